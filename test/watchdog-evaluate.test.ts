import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  extraProbesFor,
  initialState,
  judge,
  step,
  type WatchdogPolicy,
  type WindowStats,
} from '../workflows/watchdog/evaluate';
import { wilson, zFor } from '../workflows/watchdog/evidence';
import { policyFor, thresholdsNotices, ThresholdsFileSchema } from '../config/performance-thresholds';
import { HEALTHY, simulate, type Regime } from '../workflows/watchdog/simulator';
import { withIncidentEvidence, withIncidentsCounted } from '../workflows/watchdog/incidents';
import type { IncidentReport } from '../workflows/watchdog/types';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
const file = ThresholdsFileSchema.parse(
  parseYaml(fs.readFileSync(path.join(ROOT, 'performance_thresholds.yml'), 'utf8')),
);
const policy: WatchdogPolicy = { ...policyFor(file), cooldownSeconds: 60 };

const healthy: WindowStats = {
  requests: 100,
  errors: 1,
  slow: 0,
  p95LatencyMs: 120,
  labelled: 20,
  correct: 18,
  accuracy: 0.9,
  costPer1kTokens: 0.002,
};
const slow: WindowStats = { ...healthy, slow: 40, p95LatencyMs: 400 };
const quiet: WindowStats = { ...healthy, requests: 5, errors: 0, slow: 0, labelled: 0, correct: 0, accuracy: null };
const DAY = 86_400;

/** The 95th percentile of detection delays over seeds (null counts as never). */
function detection(after: Partial<Regime>, extraProbes: boolean, seeds = 40) {
  const delays = Array.from(
    { length: seeds },
    (_, i) =>
      simulate(
        { name: 'onset', seconds: 2_400, before: HEALTHY, after: { ...HEALTHY, ...after }, onsetSeconds: 1_800 },
        { seed: 1_000 + i, policy, judge: 'evidence', extraProbes },
      ).detectionSeconds ?? Infinity,
  ).sort((a, b) => a - b);
  return { p95: delays[Math.ceil(0.95 * seeds) - 1], max: delays[seeds - 1] };
}

describe('watchdog evaluation (pure)', () => {
  it('reads performance_thresholds.yml, specializations over defaults; an older file loads with a notice', () => {
    expect(policyFor(file)).toMatchObject({
      evaluationIntervalSeconds: 5,
      minRequests: 20,
      minLabelled: 100,
      evidenceSpanSeconds: 180,
      breachConfidence: 0.9999,
      healthyConfidence: 0.95,
      extraProbes: { perRound: 100, perMinute: 300 },
      healthyToRecover: 6,
      cooldownSeconds: 60,
      autoRollback: true,
      thresholds: { p95LatencyMs: 250, errorRate: 0.05 },
    });
    expect(policyFor(file, 'parts-specialist').thresholds).toEqual({
      p95LatencyMs: 150,
      errorRate: 0.05,
      minAccuracy: 0.8,
      maxCostPer1kTokens: 0.01,
    });
    expect(() =>
      ThresholdsFileSchema.parse({ ...file, defaults: { ...file.defaults, evaluationInterval: '0.5s' } }),
    ).toThrow(/at least 1s/);
    expect(thresholdsNotices(file)).toEqual([]);
    const older = ThresholdsFileSchema.parse({
      defaults: {
        evaluationInterval: '5s',
        minRequests: 20,
        breachesToTrip: 3,
        healthyToRecover: 6,
        cooldown: '60s',
        autoRollback: true,
        thresholds: { p95LatencyMs: 250, errorRate: 0.05, minAccuracy: 0.8, maxCostPer1kTokens: 0.01 },
      },
      specializations: { parts: { breachesToTrip: 2 } },
    });
    expect(policyFor(older)).toMatchObject({ minLabelled: 100, evidenceSpanSeconds: 180, breachConfidence: 0.9999 });
    expect(thresholdsNotices(older)).toEqual([
      expect.stringMatching(/^defaults.breachesToTrip no longer applies: a switch needs one conclusive breach/),
      expect.stringMatching(/^specializations.parts.breachesToTrip no longer applies/),
    ]);
  });

  it('bounds proportions with the Wilson score interval', () => {
    expect(zFor(0.95)).toBeCloseTo(1.6449, 4);
    expect(zFor(0.9999)).toBeCloseTo(3.719, 3);
    expect(zFor(0.001)).toBeCloseTo(-3.0902, 4);
    const w = wilson(3, 40, zFor(0.975));
    expect(w.low).toBeCloseTo(0.0258, 3);
    expect(w.high).toBeCloseTo(0.1989, 3);
    expect(wilson(0, 0, 2)).toEqual({ low: 0, high: 1 });
  });

  it('judges by evidence: a breach when the bound is past the threshold, healthy when the other one is inside, else inconclusive', () => {
    expect(judge([quiet], policy)).toMatchObject({ kind: 'inconclusive' });
    // 3 errors in 40 reads 7.5 %, above 5 %, but is no evidence of it: inconclusive, and worth probing.
    const noisy = judge([{ ...healthy, requests: 40, errors: 3 }], policy);
    expect(noisy.kind).toBe('inconclusive');
    expect(noisy.metrics?.find((m) => m.metric === 'errorRate')).toMatchObject({ kind: 'inconclusive', suspect: true });
    expect(judge([{ ...healthy, requests: 40, errors: 40 }], policy)).toMatchObject({
      kind: 'breach',
      reason: expect.stringContaining('error rate 100.0% of 40 over 1 window'),
    });
    expect(judge([slow], policy)).toMatchObject({
      kind: 'breach',
      reason: expect.stringContaining('40.0% of 100 requests slower than 250 ms'),
    });
    // Accuracy needs minLabelled labels: 5 windows of 20 pooled, 9 of 10 right, is healthy; 6 of 10 a breach.
    expect(
      judge(
        Array.from({ length: 5 }, () => healthy),
        policy,
      ).kind,
    ).toBe('healthy');
    expect(
      judge(
        Array.from({ length: 5 }, () => ({ ...healthy, correct: 12, accuracy: 0.6 })),
        policy,
      ),
    ).toMatchObject({
      kind: 'breach',
      reason: expect.stringContaining('accuracy 0.600 of 100 labelled over 5 windows'),
    });
    // An old trace's p95 without a count of slow requests is judged on the window, given enough requests.
    expect(judge([{ ...slow, slow: null }], policy).kind).toBe('breach');
    expect(
      judge([{ ...slow, slow: null, requests: 10, errors: 0 }], policy).metrics?.find((m) => m.metric === 'p95')?.kind,
    ).toBe('inconclusive');
  });

  it('takes reported incidents as evidence, not a verdict: reports about a healthy primary switch nothing, however many', () => {
    const flood: IncidentReport[] = Array.from({ length: 50 }, () => ({
      requests: 1_000_000,
      errors: 1_000_000,
      reason: 'says who',
      by: 'reporter',
    }));
    // Before: the first report alone was a conclusive breach.
    expect(step(initialState(), withIncidentsCounted(healthy, flood.slice(0, 1)), 5, policy).decision?.action).toBe(
      'switch',
    );
    let state = initialState();
    for (let t = 5; t <= 600; t += 5) {
      const r = step(state, withIncidentEvidence(healthy, flood), t, policy);
      expect(r.decision).toBeUndefined();
      state = r.state;
    }
    expect(withIncidentEvidence(quiet, flood)).toEqual(quiet); // no errors seen: nothing added
    // Errors the watchdog sees itself are corroborated: at most doubled, never more than it observed.
    const failing = { ...healthy, requests: 30, errors: 4 };
    expect(
      withIncidentEvidence(failing, [{ requests: 100, errors: 100, reason: 'upstream', by: 'reporter' }]),
    ).toMatchObject({ requests: 34, errors: 8 });
    expect(
      withIncidentEvidence(failing, [{ requests: 10, errors: 1, reason: 'upstream', by: 'reporter' }]),
    ).toMatchObject({ requests: 40, errors: 5 });
  });

  it('switches at the first conclusive breach (not inside the cooldown), starts evidence afresh, and switches back after healthy verdicts', () => {
    let state = initialState();
    const first = step(state, quiet, 5, policy);
    expect(first.decision).toBeUndefined();
    const trip = step(first.state, slow, 10, policy);
    expect(trip.decision).toMatchObject({
      t: 10,
      action: 'switch',
      reason: expect.stringMatching(/^breach: 40.0% of 100 requests slower than 250 ms/),
    });
    expect(trip.state).toMatchObject({ serving: 'backup', cooldownUntil: 70, evidence: [] });
    state = trip.state;
    const actions: string[] = [];
    for (let t = 15; t <= 80; t += 5) {
      const r = step(state, healthy, t, policy);
      state = r.state;
      actions.push(r.decision?.action ?? '-');
    }
    // Healthy from the 5th window pooled (100 labels, t=35); the 6th healthy verdict comes at t=60, the cooldown holds it to t=70.
    expect(actions.indexOf('rollback')).toBe(11);
    expect(state.serving).toBe('primary');
    expect(
      step({ ...initialState(), serving: 'backup', healthyStreak: 10, evidence: Array(9).fill(healthy) }, healthy, 0, {
        ...policy,
        autoRollback: false,
      }).decision,
    ).toBeUndefined();
    // Within the cooldown a breach waits; it switches once the cooldown is over.
    const held = step({ ...initialState(), cooldownUntil: 100 }, slow, 50, policy);
    expect(held.decision).toBeUndefined();
    expect(step(held.state, slow, 100, policy).decision?.action).toBe('switch');
  });

  it('asks for extra probes only when the evidence is inconclusive and suspect, within the per-minute budget', () => {
    const suspect = { ...healthy, requests: 40, errors: 3 };
    expect(extraProbesFor(initialState(), suspect, 0, policy, [])).toBe(100);
    expect(extraProbesFor(initialState(), suspect, 100, policy, [{ t: 50, probes: 250 }])).toBe(50);
    expect(extraProbesFor(initialState(), suspect, 100, policy, [{ t: 30, probes: 250 }])).toBe(100);
    expect(extraProbesFor(initialState(), healthy, 0, policy, [])).toBe(0);
    expect(extraProbesFor({ ...initialState(), serving: 'backup' }, suspect, 0, policy, [])).toBe(0);
  });

  it('never switches a healthy model in 30 simulated days at the shipped defaults, where the point-estimate judge switched every half hour', () => {
    const month = simulate(
      { name: 'healthy', seconds: 30 * DAY, before: HEALTHY },
      { seed: 11, policy, judge: 'evidence', extraProbes: true },
    );
    expect(month).toMatchObject({ windows: 518_400, switches: 0, switchBacks: 0 });
    // What the extra probes cost a healthy model: a few per window beside the 5 labelled ones.
    expect(month.probesSent / month.windows).toBeLessThan(20);
    // Without extra probes (a backtest cannot send them), a week: no switch either.
    const backtested = simulate(
      { name: 'healthy', seconds: 7 * DAY, before: HEALTHY },
      { seed: 12, policy, judge: 'evidence', extraProbes: false },
    );
    expect(backtested.switches).toBe(0);
    const before = simulate(
      { name: 'healthy', seconds: DAY, before: HEALTHY },
      { seed: 11, policy, judge: 'point-estimate', extraProbes: false },
    );
    expect(before.switches).toBeGreaterThan(24);
  });

  it('detects real degradations within the targets (95th percentile over 40 seeds)', () => {
    expect(detection({ errorRate: 1 }, false).max).toBe(5);
    expect(detection({ errorRate: 0.3 }, true).p95).toBeLessThanOrEqual(10);
    expect(detection({ errorRate: 0.1 }, true).p95).toBeLessThanOrEqual(60);
    expect(detection({ p95Ms: 1_000, liveRequests: 10 }, true).p95).toBeLessThanOrEqual(20);
    expect(detection({ p95Ms: 520, liveRequests: 20 }, true).p95).toBeLessThanOrEqual(20);
    expect(detection({ accuracy: 0.6 }, false).p95).toBeLessThanOrEqual(180);
    expect(detection({ accuracy: 0.6 }, true).p95).toBeLessThanOrEqual(30);
  });

  it('backtests a recorded trace from the command line, last line JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-backtest-'));
    const trace = path.join(dir, 'trace.jsonl');
    const windows = [
      // An older trace's window (accuracy alone) beside windows with counts.
      { t: 0, model: 'primary', requests: 120, errors: 1, p95LatencyMs: 180, accuracy: 0.91, costPer1kTokens: 0.002 },
      ...[5, 10, 15].map((t) => ({
        t,
        model: 'primary',
        requests: 120,
        errors: 1,
        slow: 0,
        p95LatencyMs: 180,
        labelled: 5,
        correct: 5,
        accuracy: 1,
        costPer1kTokens: 0.002,
      })),
      {
        t: 20,
        model: 'primary',
        requests: 120,
        errors: 30,
        slow: 0,
        p95LatencyMs: 180,
        labelled: 5,
        correct: 4,
        accuracy: 0.8,
        costPer1kTokens: null,
      },
      {
        t: 25,
        model: 'primary',
        requests: 3,
        errors: 3,
        slow: 0,
        p95LatencyMs: null,
        labelled: 0,
        correct: 0,
        accuracy: null,
        costPer1kTokens: null,
      },
      ...[25, 30].map((t) => ({
        t,
        model: 'backup',
        requests: 120,
        errors: 0,
        p95LatencyMs: 90,
        accuracy: 0.88,
        costPer1kTokens: 0.001,
      })),
      // Failed over, the primary is judged on 20 probes a window.
      ...Array.from({ length: 16 }, (_, i) => ({
        t: 30 + 5 * i,
        model: 'primary',
        requests: 20,
        errors: 0,
        slow: 0,
        p95LatencyMs: 150,
        labelled: 20,
        correct: 19,
        accuracy: 0.95,
        costPer1kTokens: 0.002,
      })),
    ];
    fs.writeFileSync(trace, windows.map((w) => JSON.stringify(w)).join('\n'));
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'scripts/watchdog-backtest.ts'),
        '--thresholds',
        path.join(ROOT, 'performance_thresholds.yml'),
        '--trace',
        trace,
      ],
      { cwd: ROOT },
    );
    const last = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(last).toEqual({
      trips: 1,
      recoveries: 1,
      decisions: [
        { t: 20, action: 'switch', reason: 'breach: error rate 25.0% of 120 over 1 window (99.99% sure)' },
        {
          t: 90,
          action: 'rollback',
          reason: expect.stringMatching(
            /^primary healthy in 6 evaluations in a row \(error rate 1\.1% of 263 over 14 windows; .*accuracy 0\.950 of 260 labelled/,
          ),
        },
      ],
    });
    fs.writeFileSync(trace, '{"t": 0, "model": "primary"}\n');
    await expect(
      run(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(ROOT, 'scripts/watchdog-backtest.ts'),
          '--thresholds',
          path.join(ROOT, 'performance_thresholds.yml'),
          '--trace',
          trace,
        ],
        { cwd: ROOT },
      ),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('line 1: requests') });
  });
});
