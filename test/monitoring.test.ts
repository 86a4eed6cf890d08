import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import which from 'which';
import { spawn } from 'node:child_process';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { createTestApp, json, type TestApp } from './helpers/app';
import { freePort } from '../support/ports';
import { bearer, tokenFor } from './helpers/tokens';
import { eventually } from './helpers/training';
import { serveApp } from './helpers/watchdog';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const MONITORING = path.join(ROOT, 'monitoring');
const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** .ci/run installs Debian's prometheus and prometheus-alertmanager; the checks need their tools. */
const tool = (name: string) => {
  const found = which.sync(name, { nothrow: true });
  if (!found) throw new Error(`${name} is not installed (apt-get install prometheus prometheus-alertmanager)`);
  return found;
};

const PROMQL_WORDS = new Set([
  'sum',
  'rate',
  'increase',
  'irate',
  'histogram_quantile',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'clamp_min',
  'clamp_max',
  'scalar',
  'max',
  'min',
  'avg',
  'count',
  'topk',
  'bottomk',
  'and',
  'or',
  'unless',
  'offset',
  'bool',
  'abs',
  'delta',
  'deriv',
  'time',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
  'count_over_time',
  'quantile_over_time',
  'absent',
  'absent_over_time',
  'vector',
]);

/** The metric names a PromQL expression reads: label matchers, by-lists, strings, numbers and ranges removed. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/(^|[^a-zA-Z0-9_:])\d+(\.\d+)?(e[-+]?\d+)?/g, '$1 ');
  return [
    ...new Set(
      (stripped.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []).filter((w) => !PROMQL_WORDS.has(w) && !/^\d/.test(w)),
    ),
  ];
}

/** Names a /metrics text exposes (a histogram's _bucket, _sum and _count included). */
function exposed(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)/gm)) {
    names.add(m[1]);
    if (m[2] === 'histogram' || m[2] === 'summary')
      for (const s of ['_bucket', '_sum', '_count']) names.add(`${m[1]}${s}`);
  }
  for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{| )/gm)) names.add(m[1]);
  return names;
}

/** Metrics of services this repo does not build: Prometheus itself and the exporters in the compose stack. */
const EXTERNAL = [/^up$/, /^pg_/, /^node_/];

const dashboards = fs.readdirSync(path.join(MONITORING, 'grafana/dashboards')).filter((f) => f.endsWith('.json'));
const rules = parseYaml(fs.readFileSync(path.join(MONITORING, 'prometheus/alert_rules.yml'), 'utf8')) as {
  groups: { rules: { alert: string; expr: string }[] }[];
};

describe('monitoring configuration', () => {
  it('prometheus.yml, the alert rules and their unit tests pass promtool', async () => {
    const promtool = tool('promtool');
    // The scrape token is a file beside the config in production (a mounted secret): give it one.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-prometheus-'));
    fs.cpSync(path.join(MONITORING, 'prometheus'), dir, { recursive: true });
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets/metrics_token'), METRICS_TOKEN);
    await expect(run(promtool, ['check', 'config', path.join(dir, 'prometheus.yml')])).resolves.toMatchObject({
      stdout: expect.stringContaining('SUCCESS'),
    });
    await expect(
      run(promtool, ['check', 'rules', path.join(MONITORING, 'prometheus/alert_rules.yml')]),
    ).resolves.toMatchObject({ stdout: expect.stringContaining('SUCCESS: 10 rules found') });
    const tested = await run(promtool, ['test', 'rules', 'alert_rules.test.yml'], {
      cwd: path.join(MONITORING, 'prometheus/tests'),
    });
    expect(tested.stdout).toContain('SUCCESS');
    // Every alert has a test.
    const testsText = fs.readFileSync(path.join(MONITORING, 'prometheus/tests/alert_rules.test.yml'), 'utf8');
    for (const group of rules.groups)
      for (const rule of group.rules) expect(testsText).toContain(`alertname: ${rule.alert}`);
  });

  it('alertmanager.yml passes amtool', async () => {
    const { stdout } = await run(tool('amtool'), [
      'check-config',
      path.join(MONITORING, 'alertmanager/alertmanager.yml'),
    ]);
    expect(stdout).toContain('SUCCESS');
  });

  it.each(dashboards)('dashboard %s is valid JSON with Prometheus panels', (file) => {
    const board = JSON.parse(fs.readFileSync(path.join(MONITORING, 'grafana/dashboards', file), 'utf8')) as {
      uid: string;
      title: string;
      panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    expect(board.uid).toMatch(/^nw-/);
    expect(board.panels.length).toBeGreaterThan(3);
    for (const p of board.panels) {
      expect(p.datasource.uid).toBe('prometheus');
      expect(p.targets.length).toBeGreaterThan(0);
    }
    const datasources = parseYaml(
      fs.readFileSync(path.join(MONITORING, 'grafana/provisioning/datasources/datasources.yml'), 'utf8'),
    ) as { datasources: { uid: string }[] };
    expect(datasources.datasources.map((d) => d.uid)).toEqual(expect.arrayContaining(['prometheus', 'jaeger']));
  });
});

describe('metrics the dashboards and rules read exist on the running services', () => {
  jest.setTimeout(120_000);
  let t: TestApp;
  let worker: WorkerProcess;
  let workerMetricsPort: number;

  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN, PORT: String(await freePort()) });
    workerMetricsPort = await freePort();
    worker = await startWorkerProcess(t.config, {
      JWT_SECRET: 'test-secret-0123456789abcdef0123456789abcdef',
      NW_WORKER_METRICS_PORT: String(workerMetricsPort),
    });
  });
  afterAll(async () => {
    await worker.kill('SIGTERM');
    await t.close();
  });

  const scrapeApi = async () => {
    const res = await t.app.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('every metric named in a dashboard or an alert rule is exported by the API, the worker or an exporter of the stack', async () => {
    await t.app.request('/api/v1/models', { headers: bearer('not-a-token') }); // an auth failure, so its counter has a series
    const api = exposed(await scrapeApi());
    const workerText = await eventually(
      () => fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`).then((r) => r.text()),
      (text) => text.includes('temporal_'),
      30_000,
    );
    const available = new Set([...api, ...exposed(workerText)]);
    const exprs = [
      ...dashboards.flatMap((f) =>
        (
          JSON.parse(fs.readFileSync(path.join(MONITORING, 'grafana/dashboards', f), 'utf8')) as {
            panels: { targets: { expr: string }[] }[];
          }
        ).panels.flatMap((p) => p.targets.map((x) => x.expr)),
      ),
      ...rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    ];
    const missing = [...new Set(exprs.flatMap(metricNames))].filter(
      (name) => !available.has(name) && !EXTERNAL.some((re) => re.test(name)),
    );
    expect(missing).toEqual([]);
  });

  it('the API /metrics passes promtool check metrics and needs the token', async () => {
    expect((await t.app.request('/metrics')).status).toBe(401);
    const text = await scrapeApi();
    const child = execFile(tool('promtool'), ['check', 'metrics']);
    const output: string[] = [];
    child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
    child.stdin!.end(text);
    await new Promise((r) => child.once('close', r));
    // prom-client's own default gauges (nodejs_active_*_total) break the "_total" naming rule; ours do not.
    const problems = output
      .join('')
      .split('\n')
      .filter(Boolean)
      .filter((line) => !/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(line));
    expect(problems).toEqual([]);
  });

  it("records Alertmanager's webhook in the alert list, firing then resolved", async () => {
    const writer = bearer(tokenFor('write', 'alertmanager'));
    const alert = (status: 'firing' | 'resolved') => ({
      version: '4',
      status,
      alerts: [
        {
          status,
          labels: { alertname: 'HighLatency', job: 'neuroweaver-backend', severity: 'warning' },
          annotations: { summary: 'API p95 latency above 2 s' },
          startsAt: '2026-11-22T10:00:00Z',
          fingerprint: `fp${Date.now()}`,
        },
      ],
    });
    const firing = alert('firing');
    expect((await t.app.request('/api/v1/alerts/prometheus', json(firing, writer))).status).toBe(200);
    expect((await t.app.request('/api/v1/alerts/prometheus', json(firing, writer))).status).toBe(200); // a re-notification
    const list = async () =>
      (
        (await (
          await t.app.request('/api/v1/alerts?alertClass=prometheus&specialization=neuroweaver-backend', {
            headers: writer,
          })
        ).json()) as { items: { fingerprint: string; status: string; summary: string; count: number }[] }
      ).items.filter((a) => a.fingerprint === `am:${firing.alerts[0].fingerprint}`);
    expect(await list()).toMatchObject([{ status: 'firing', summary: 'API p95 latency above 2 s', count: 1 }]);
    expect(
      (
        await t.app.request(
          '/api/v1/alerts/prometheus',
          json(
            {
              ...alert('resolved'),
              alerts: [{ ...alert('resolved').alerts[0], fingerprint: firing.alerts[0].fingerprint }],
            },
            writer,
          ),
        )
      ).status,
    ).toBe(200);
    expect(await list()).toMatchObject([{ status: 'resolved' }]);
    expect(
      (
        await t.app.request(
          '/api/v1/alerts/prometheus',
          json({ status: 'firing', alerts: [{ status: 'firing' }] }, writer),
        )
      ).status,
    ).toBe(400);
  });

  it("Debian's Prometheus, run with our scrape config against the API and the worker, sees every NeuroWeaver target up", async () => {
    const stopServing = serveApp(t);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-prometheus-e2e-'));
    const config = parseYaml(fs.readFileSync(path.join(MONITORING, 'prometheus/prometheus.yml'), 'utf8')) as {
      global: Record<string, unknown>;
      alerting?: unknown;
      scrape_configs: { job_name: string; dns_sd_configs?: unknown; static_configs?: { targets: string[] }[] }[];
    };
    // Our jobs as they are (auth, paths, labels), pointed at this test stack instead of compose's DNS
    // names (every replica of the service there); the exporters are not part of it.
    const targets: Record<string, string> = {
      'neuroweaver-backend': `127.0.0.1:${t.config.port}`,
      'neuroweaver-worker': `127.0.0.1:${workerMetricsPort}`,
    };
    config.scrape_configs = config.scrape_configs
      .filter((j) => j.job_name in targets)
      .map(({ dns_sd_configs: _replicas, ...j }) => ({ ...j, static_configs: [{ targets: [targets[j.job_name]] }] }));
    config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s' };
    delete config.alerting;
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), toYaml(config));
    fs.copyFileSync(path.join(MONITORING, 'prometheus/alert_rules.yml'), path.join(dir, 'alert_rules.yml'));
    fs.mkdirSync(path.join(dir, 'secrets'));
    fs.writeFileSync(path.join(dir, 'secrets/metrics_token'), METRICS_TOKEN);
    const port = await freePort();
    const prometheus = spawn(
      tool('prometheus'),
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const health = await eventually(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/targets`).catch(() => undefined);
          if (!res?.ok) return {};
          const body = (await res.json()) as { data: { activeTargets: { labels: { job: string }; health: string }[] } };
          return Object.fromEntries(body.data.activeTargets.map((x) => [x.labels.job, x.health]));
        },
        (h: Record<string, string>) => h['neuroweaver-backend'] === 'up' && h['neuroweaver-worker'] === 'up',
        60_000,
      );
      expect(health).toEqual({ 'neuroweaver-backend': 'up', 'neuroweaver-worker': 'up' });
      // The rules load and evaluate against the real series.
      const rulesRes = await fetch(`http://127.0.0.1:${port}/api/v1/rules`);
      const groups = ((await rulesRes.json()) as { data: { groups: { rules: { health: string }[] }[] } }).data.groups;
      expect(groups.flatMap((g) => g.rules).length).toBe(10);
    } finally {
      prometheus.kill('SIGTERM');
      await new Promise((r) => prometheus.once('exit', r));
      await stopServing();
    }
  });
});
