import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { policyFor, ThresholdsFileSchema } from '../config/performance-thresholds';
import { HEALTHY, simulate, type Regime } from '../workflows/watchdog/simulator';

export interface JudgementRow {
  scenario: string;
  /** Per judge: false switches per simulated month, or the 95th percentile of detection delay (s; null: not within the run). */
  pointEstimate: number | null;
  evidence: number | null;
  evidenceNoExtraProbes: number | null;
}

export interface JudgementBench {
  seeds: number;
  rows: JudgementRow[];
}

const DAY = 86_400;
const SCENARIOS: { name: string; after: Partial<Regime> }[] = [
  { name: 'every request failing', after: { errorRate: 1 } },
  { name: 'errors 1 % → 30 % (target ≤ 10 s)', after: { errorRate: 0.3 } },
  { name: 'errors 1 % → 10 % (target ≤ 60 s)', after: { errorRate: 0.1 } },
  { name: 'p95 60 → 1,000 ms, live traffic ÷ 4 (target ≤ 20 s)', after: { p95Ms: 1_000, liveRequests: 10 } },
  { name: 'p95 60 → 520 ms, live traffic ÷ 2 (target ≤ 20 s)', after: { p95Ms: 520, liveRequests: 20 } },
  { name: 'accuracy 0.867 → 0.60 (targets ≤ 180 s without, ≤ 30 s with extra probes)', after: { accuracy: 0.6 } },
];

/**
 * The watchdog's judgement on the seeded simulator, the point-estimate judge it replaced beside it:
 * false switches of a healthy model per simulated month, and the 95th percentile of detection
 * delay after the onset of each degradation, at the shipped thresholds.
 */
export function benchJudgement({ seeds = 40, months = 1 } = {}): JudgementBench {
  const file = ThresholdsFileSchema.parse(
    parseYaml(fs.readFileSync(path.join(__dirname, '..', 'performance_thresholds.yml'), 'utf8')),
  );
  const policy = policyFor(file);
  const judges = [
    { key: 'pointEstimate', judge: 'point-estimate', extraProbes: false },
    { key: 'evidence', judge: 'evidence', extraProbes: true },
    { key: 'evidenceNoExtraProbes', judge: 'evidence', extraProbes: false },
  ] as const;
  const row = (scenario: string, measure: (judge: (typeof judges)[number]) => number | null): JudgementRow => ({
    scenario,
    ...(Object.fromEntries(judges.map((j) => [j.key, measure(j)])) as Omit<JudgementRow, 'scenario'>),
  });
  const rows = [
    row(
      'false switches per simulated month, healthy model',
      (j) =>
        simulate(
          { name: 'healthy', seconds: months * 30 * DAY, before: HEALTHY },
          { seed: 7, policy, judge: j.judge, extraProbes: j.extraProbes },
        ).switches / months,
    ),
    ...SCENARIOS.map((s) =>
      row(`${s.name}: detection p95, s`, (j) => {
        const delays = Array.from(
          { length: seeds },
          (_, i) =>
            simulate(
              { name: s.name, seconds: 1_200, before: HEALTHY, after: { ...HEALTHY, ...s.after }, onsetSeconds: 600 },
              { seed: 500 + i, policy, judge: j.judge, extraProbes: j.extraProbes },
            ).detectionSeconds ?? Infinity,
        ).sort((a, b) => a - b);
        const p95 = delays[Math.ceil(0.95 * seeds) - 1];
        return Number.isFinite(p95) ? p95 : null;
      }),
    ),
  ];
  return { seeds, rows };
}

/** The table for bench/results/latest.md and the README. */
export function judgementTable(b: JudgementBench): string[] {
  const cell = (v: number | null) => (v === null ? 'not within 10 min' : v.toLocaleString('en'));
  return [
    `| watchdog judgement on the seeded simulator (healthy: accuracy 0.867, ~40 requests per 5 s window, 1 % errors; ${b.seeds} seeds per scenario) | point estimates (before) | evidence, extra probes (live watchdog) | evidence, no extra probes (backtest) |`,
    '| --- | --- | --- | --- |',
    ...b.rows.map(
      (r) => `| ${r.scenario} | ${cell(r.pointEstimate)} | ${cell(r.evidence)} | ${cell(r.evidenceNoExtraProbes)} |`,
    ),
  ];
}

/** `npm run -s bench:judgement`: this table alone (seconds, no services), also written to bench/results/judgement.md. */
if (require.main === module) {
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run -s bench:judgement\`.`,
    '',
    ...judgementTable(benchJudgement()),
    '',
  ].join('\n');
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'judgement.md'), table);
  console.log(table);
}
