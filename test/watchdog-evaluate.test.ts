import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { initialState, judge, step, type WatchdogPolicy, type WatchdogState, type WindowStats } from '../workflows/watchdog/evaluate';
import { policyFor, ThresholdsFileSchema } from '../workflows/watchdog/policy';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
const file = ThresholdsFileSchema.parse(parseYaml(fs.readFileSync(path.join(ROOT, 'performance_thresholds.yml'), 'utf8')));
const policy: WatchdogPolicy = { ...policyFor(file), cooldownSeconds: 60 };

const healthy: WindowStats = { requests: 100, errors: 1, p95LatencyMs: 120, accuracy: 0.9, costPer1kTokens: 0.002 };
const slow: WindowStats = { ...healthy, p95LatencyMs: 400 };
const quiet: WindowStats = { ...healthy, requests: 5 };

describe('watchdog evaluation (pure)', () => {
  it('reads performance_thresholds.yml, specializations over defaults', () => {
    expect(policyFor(file)).toMatchObject({ evaluationIntervalSeconds: 5, minRequests: 20, breachesToTrip: 3, healthyToRecover: 6, cooldownSeconds: 60, autoRollback: true, thresholds: { p95LatencyMs: 250, errorRate: 0.05 } });
    expect(policyFor(file, 'parts-specialist').thresholds).toEqual({ p95LatencyMs: 150, errorRate: 0.05, minAccuracy: 0.8, maxCostPer1kTokens: 0.01 });
    expect(() => ThresholdsFileSchema.parse({ ...file, defaults: { ...file.defaults, evaluationInterval: '0.5s' } })).toThrow(/at least 1s/);
  });

  it('judges a window: no data is neither breach nor healthy; each violation is named', () => {
    expect(judge(quiet, policy).kind).toBe('no-data');
    expect(judge(healthy, policy).kind).toBe('healthy');
    expect(judge({ ...healthy, errors: 10, accuracy: 0.5 }, policy)).toEqual({ kind: 'breach', reason: 'error rate 10.0% > 5.0%; accuracy 0.5 < 0.8' });
    expect(judge({ ...healthy, accuracy: null, costPer1kTokens: null }, policy).kind).toBe('healthy');
  });

  it('trips after N consecutive breaches, not on single spikes, and ignores no-data windows', () => {
    let state = initialState();
    const seen = [slow, healthy, slow, slow, quiet, healthy, slow, slow, quiet].map((w, i) => {
      const r = step(state, w, i * 5, policy);
      state = r.state;
      return r.decision?.action ?? '-';
    });
    expect(seen.every((a) => a === '-')).toBe(true);
    const trip = step(state, slow, 50, policy);
    expect(trip.decision).toEqual({ t: 50, action: 'switch', reason: '3 breaching windows in a row (p95 400 ms > 250 ms)' });
    expect(trip.state).toMatchObject({ serving: 'backup', cooldownUntil: 110 });
  });

  it('switches back after M healthy windows, but not inside the cooldown', () => {
    let state: WatchdogState = { ...initialState(), serving: 'backup', cooldownUntil: 60 };
    const actions: string[] = [];
    for (let t = 5; t <= 70; t += 5) {
      const r = step(state, healthy, t, policy);
      state = r.state;
      actions.push(r.decision?.action ?? '-');
    }
    // Healthy from t=5; the 6th healthy window comes at t=30, but the cooldown holds it until t=60.
    expect(actions.indexOf('rollback')).toBe(11);
    expect(state.serving).toBe('primary');
    expect(step({ ...initialState(), serving: 'backup' }, healthy, 0, { ...policy, healthyToRecover: 1, autoRollback: false }).decision).toBeUndefined();
  });

  it('backtests a recorded trace from the command line, last line JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-backtest-'));
    const trace = path.join(dir, 'trace.jsonl');
    const windows = [
      ...[0, 5, 10, 15].map((t) => ({ t, model: 'primary', requests: 120, errors: 1, p95LatencyMs: 180, accuracy: 0.91, costPer1kTokens: 0.002 })),
      { t: 20, model: 'primary', requests: 120, errors: 30, p95LatencyMs: 180, accuracy: 0.91, costPer1kTokens: null },
      { t: 25, model: 'primary', requests: 3, errors: 3, p95LatencyMs: 900, accuracy: null, costPer1kTokens: null },
      ...[30, 35].map((t) => ({ t, model: 'primary', requests: 120, errors: 30, p95LatencyMs: 180, accuracy: 0.91, costPer1kTokens: null })),
      ...[40, 45].map((t) => ({ t, model: 'backup', requests: 120, errors: 0, p95LatencyMs: 90, accuracy: 0.88, costPer1kTokens: 0.001 })),
      ...[40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95].map((t) => ({ t, model: 'primary', requests: 40, errors: 0, p95LatencyMs: 150, accuracy: 0.9, costPer1kTokens: 0.002 })),
    ];
    fs.writeFileSync(trace, windows.map((w) => JSON.stringify(w)).join('\n'));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/watchdog-backtest.ts'), '--thresholds', path.join(ROOT, 'performance_thresholds.yml'), '--trace', trace], { cwd: ROOT });
    const last = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(last).toEqual({
      trips: 1,
      recoveries: 1,
      decisions: [
        { t: 35, action: 'switch', reason: '3 breaching windows in a row (error rate 25.0% > 5.0%)' },
        { t: 95, action: 'rollback', reason: 'primary healthy for 12 windows in a row' },
      ],
    });
    fs.writeFileSync(trace, '{"t": 0, "model": "primary"}\n');
    await expect(run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/watchdog-backtest.ts'), '--thresholds', path.join(ROOT, 'performance_thresholds.yml'), '--trace', trace], { cwd: ROOT })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('line 1: requests') });
  });
});
