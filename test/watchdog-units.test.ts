import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { alertWebhookPayload } from '../activities/watchdog/alerts';
import { alertFingerprint, type Alert } from '../db/stores/alerts';
import { combine } from '../activities/watchdog/observe';
import { resumePoint } from '../activities/watchdog/resume';
import type { RecordedWindow } from '../db/stores/watchdog';
import { backtest, windowOf, type TraceWindow } from '../workflows/watchdog/backtest';
import { judgePoint } from '../workflows/watchdog/point-estimate';
import type { WindowStats } from '../workflows/watchdog/evaluate';
import { policyFor, ThresholdsFileSchema } from '../config/performance-thresholds';
import { chooseBackup, rankBackups, type BackupCandidate } from '../workflows/watchdog/ranking';

const file = ThresholdsFileSchema.parse(
  parseYaml(fs.readFileSync(path.resolve(__dirname, '..', 'performance_thresholds.yml'), 'utf8')),
);
const policy = policyFor(file);
const ok: WindowStats = {
  requests: 20,
  errors: 0,
  slow: 0,
  p95LatencyMs: 50,
  labelled: 20,
  correct: 18,
  accuracy: 0.9,
  costPer1kTokens: 0.002,
};
const candidate = (deploymentId: string, stats: Partial<WindowStats>, previousStable = false): BackupCandidate => ({
  deploymentId,
  modelId: `m-${deploymentId}`,
  previousStable,
  stats: { ...ok, ...stats },
});

describe('backup ranking (pure)', () => {
  it('ranks healthy first, the previous stable first among them, then accuracy, p95 and cost', () => {
    const ranked = rankBackups(
      [
        candidate('broken', { errors: 20 }),
        candidate('cheap', { costPer1kTokens: 0.001 }),
        candidate('accurate', { accuracy: 0.95, correct: 19 }),
        candidate('fast', { p95LatencyMs: 10 }),
        candidate('previous', { accuracy: 0.85, correct: 17 }, true),
        candidate('silent', { requests: 0, slow: null, labelled: 0, correct: 0, accuracy: null, p95LatencyMs: null }),
      ],
      policy,
      'm-none',
    );
    expect(ranked.map((c) => c.deploymentId)).toEqual(['previous', 'accurate', 'fast', 'cheap', 'broken', 'silent']);
    expect(ranked.map((c) => c.healthy)).toEqual([true, true, true, true, false, false]);
  });

  it('never picks the tripped model, nor an unhealthy one, nor one whose probes look past a threshold', () => {
    expect(chooseBackup([candidate('a', { correct: 14, accuracy: 0.7 })], policy, 'm-x')).toBeUndefined();
    expect(chooseBackup([candidate('a', {}, true)], policy, 'm-a')).toBeUndefined();
    expect(chooseBackup([candidate('a', { errors: 10 })], policy, 'm-x')).toBeUndefined();
    expect(chooseBackup([candidate('a', { errors: 10 }, true), candidate('b', {})], policy, 'm-x')?.deploymentId).toBe(
      'b',
    );
  });
});

describe('window stats from live traffic and probes', () => {
  const probe = {
    deploymentId: 'd',
    modelId: 'm',
    requests: 5,
    errors: 5,
    latenciesMs: [],
    labelled: 0,
    correct: 0,
    accuracy: null,
    tokens: 0,
    costDollars: 0,
  };
  const quiet = { latencies: [], errors: 0, tokens: 0, costDollars: 0 };
  it('uses live traffic when there is enough of it, probes only for labels; counts requests over the p95 threshold', () => {
    const live = {
      latencies: Array.from({ length: 20 }, (_, i) => i + 1),
      errors: 1,
      tokens: 1_900,
      costDollars: 0.0038,
    };
    expect(
      combine(
        live,
        {
          ...probe,
          errors: 0,
          latenciesMs: [900],
          labelled: 5,
          correct: 4,
          accuracy: 0.8,
          tokens: 100,
          costDollars: 0.0002,
        },
        20,
        18,
      ),
    ).toEqual({
      requests: 20,
      errors: 1,
      slow: 2,
      p95LatencyMs: 19.05,
      labelled: 5,
      correct: 4,
      accuracy: 0.8,
      costPer1kTokens: 0.002,
    });
  });
  it('counts probes as traffic when live traffic is too thin', () => {
    expect(
      combine(
        { ...quiet, latencies: [10] },
        {
          ...probe,
          requests: 6,
          errors: 1,
          latenciesMs: [400, 20, 30, 40, 50].sort((a, b) => a - b),
          labelled: 5,
          correct: 5,
          accuracy: 1,
        },
        20,
        250,
      ),
    ).toMatchObject({ requests: 7, errors: 1, slow: 1, labelled: 5, correct: 5 });
    expect(combine(quiet, null, 20, 250)).toMatchObject({
      requests: 0,
      slow: 0,
      p95LatencyMs: null,
      labelled: 0,
      accuracy: null,
      costPer1kTokens: null,
    });
  });
  it('measures the cost from what the answered requests were charged, not from a declared constant', () => {
    // A model priced at 0.004 per 1,000 tokens: 250 tokens cost 0.001 dollars.
    expect(
      combine({ ...quiet, latencies: [10], tokens: 250, costDollars: 0.001 }, null, 1, 250).costPer1kTokens,
    ).toBeCloseTo(0.004, 12);
    expect(
      combine(
        quiet,
        { ...probe, requests: 2, errors: 0, latenciesMs: [5, 6], tokens: 40, costDollars: 0.0004 },
        20,
        250,
      ).costPer1kTokens,
    ).toBeCloseTo(0.01, 12);
  });
});

describe('resuming a recreated watchdog from its records', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s));
  const state = (serving: 'primary' | 'backup', healthyStreak: number, cooldownUntil: number) => ({
    serving,
    breachStreak: 0,
    healthyStreak,
    cooldownUntil,
  });
  const rec = (
    s: number,
    verdict: RecordedWindow['verdict'],
    role: RecordedWindow['role'] = 'primary-probed',
    deploymentId = 'a',
    st = state('backup', 0, 0),
  ): RecordedWindow => ({ until: at(s), deploymentId, role, stats: { ...ok, requests: s }, verdict, state: st });

  it('takes the cooldown from the last switch event when nothing was judged since', () => {
    expect(resumePoint({ lastSwitchAt: at(0), windows: [] }, policy)).toEqual({
      cooldownUntil: at(0).getTime() / 1_000 + policy.cooldownSeconds,
      last: null,
      evidence: [],
    });
    expect(resumePoint({ lastSwitchAt: null, windows: [] }, policy).cooldownUntil).toBe(0);
  });

  it("takes the newest window's state, and that deployment's evidence since its last breach while failed over (oldest first)", () => {
    const newest = state('backup', 2, at(0).getTime() / 1_000 + 600);
    const windows = [
      rec(9, 'healthy', 'primary-probed', 'a', newest),
      rec(8, 'healthy'),
      rec(7, 'inconclusive'),
      rec(6, 'breach'),
      rec(5, 'healthy'),
    ];
    const r = resumePoint({ lastSwitchAt: at(0), windows }, policy);
    expect(r.last).toEqual({ deploymentId: 'a', role: 'primary-probed', state: newest });
    expect(r.cooldownUntil).toBe(newest.cooldownUntil); // the later of the recorded and the switch's cooldown
    expect(r.evidence.map((w) => w.requests)).toEqual([7, 8, 9]);
  });

  it('stops the evidence at another deployment or role; windows recorded before states were kept give nothing to resume', () => {
    const windows = [
      rec(9, 'healthy', 'primary-serving', 'b', state('primary', 1, 0)),
      rec(8, 'healthy', 'primary-serving', 'b'),
      rec(7, 'healthy', 'primary-probed', 'b'),
      rec(6, 'healthy', 'primary-serving', 'a'),
    ];
    expect(resumePoint({ lastSwitchAt: null, windows }, policy).evidence.map((w) => w.requests)).toEqual([8, 9]);
    expect(resumePoint({ lastSwitchAt: null, windows: [{ ...rec(9, 'healthy'), state: null }] }, policy)).toEqual({
      cooldownUntil: 0,
      last: null,
      evidence: [],
    });
  });
});

describe('alerts', () => {
  it('have one fingerprint per specialization, model and class', () => {
    const a = alertFingerprint('parts', 'm1', 'performance-degraded');
    expect(a).toHaveLength(32);
    expect(alertFingerprint('parts', 'm1', 'performance-degraded')).toBe(a);
    expect(
      new Set([
        a,
        alertFingerprint('parts', 'm2', 'performance-degraded'),
        alertFingerprint('parts', 'm1', 'no-healthy-backup'),
        alertFingerprint('sales', 'm1', 'performance-degraded'),
      ]).size,
    ).toBe(4);
  });

  it("are delivered in Alertmanager's webhook format, carrying the fingerprint", () => {
    const alert: Alert = {
      id: 'a1',
      fingerprint: 'f1',
      specialization: 'parts',
      modelId: 'm1',
      alertClass: 'performance-degraded',
      severity: 'warning',
      status: 'resolved',
      summary: 'switched',
      details: null,
      count: 2,
      firstSeen: '2026-01-01T00:00:00.000Z',
      lastSeen: '2026-01-01T00:01:00.000Z',
      acknowledgedAt: null,
      acknowledgedBy: null,
      resolvedAt: '2026-01-01T00:02:00.000Z',
      deliveredStatus: null,
      deliveredAt: null,
    };
    const payload = alertWebhookPayload(alert, 'resolved', 'http://nw');
    expect(payload).toMatchObject({
      version: '4',
      status: 'resolved',
      groupKey: 'f1',
      commonLabels: { alertname: 'performance-degraded', specialization: 'parts' },
    });
    expect(payload.alerts[0]).toMatchObject({
      status: 'resolved',
      fingerprint: 'f1',
      startsAt: alert.firstSeen,
      endsAt: alert.resolvedAt,
      annotations: { count: '2' },
    });
    expect(alertWebhookPayload({ ...alert, resolvedAt: null }, 'firing', 'http://nw').alerts[0].endsAt).toBe(
      '0001-01-01T00:00:00Z',
    );
  });
});

describe('backtest over written traces', () => {
  const w = (t: number, errors: number, model: TraceWindow['model'] = 'primary', requests = 100): TraceWindow => ({
    t,
    model,
    requests,
    errors,
    slow: null,
    p95LatencyMs: 100,
    accuracy: null,
    costPer1kTokens: null,
  });

  it('trips at the first conclusive breach; recovers on evidence since its last breach, healthyToRecover times in a row, not before the cooldown ends', () => {
    const trace = [
      ...[0, 5].map((t) => w(t, 0)),
      ...[10, 15, 20].map((t) => w(t, 30)),
      ...Array.from({ length: 40 }, (_, i) => w(25 + 5 * i, 0)),
      w(12, 50, 'backup'),
    ];
    const result = backtest(file, trace);
    expect(result).toMatchObject({ trips: 1, recoveries: 1 });
    expect(result.decisions.map((d) => [d.t, d.action])).toEqual([
      [10, 'switch'],
      [70, 'rollback'],
    ]);
  });

  it('ignores what noise makes of small windows: 3 errors in 40 (7.5 %), a quiet window of 3 errors in 4', () => {
    const trace = Array.from({ length: 120 }, (_, i) =>
      i % 7 === 3
        ? w(i * 5, 3, 'primary', 40)
        : i % 11 === 5
          ? w(i * 5, 3, 'primary', 4)
          : w(i * 5, i % 2, 'primary', 40),
    );
    expect(backtest(file, trace)).toEqual({ trips: 0, recoveries: 0, decisions: [] });
    // The point-estimate judge this replaced reads each 3-in-40 window as a breach.
    expect(judgePoint(windowOf(trace[3]), policy)).toMatchObject({ kind: 'breach', reason: 'error rate 7.5% > 5.0%' });
  });

  it('applies the specialization overrides', () => {
    const slow = Array.from({ length: 4 }, (_, i) => ({ ...w(i * 5, 0), p95LatencyMs: 200 }));
    expect(backtest(file, slow).trips).toBe(0);
    expect(backtest(file, slow, 'parts-specialist').trips).toBe(1);
  });
});
