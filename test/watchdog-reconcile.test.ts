import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { initialState, type WindowStats } from '../workflows/watchdog/evaluate';
import {
  afterWindow,
  noBackupEvaluation,
  NO_WINDOW,
  switchDecision,
  windowReason,
  windowRecord,
} from '../workflows/watchdog/records';
import { policyFor, ThresholdsFileSchema } from '../config/performance-thresholds';
import { adoptResumePoint, followRouting, freshState, type Watched } from '../workflows/watchdog/reconcile';
import type { ObservedWindow, ResumePoint, RoutingSnapshot } from '../workflows/watchdog/types';

const policy = policyFor(
  ThresholdsFileSchema.parse(
    parseYaml(fs.readFileSync(path.resolve(__dirname, '..', 'performance_thresholds.yml'), 'utf8')),
  ),
);
const stats: WindowStats = { ...NO_WINDOW, requests: 40, labelled: 5, correct: 5, accuracy: 1 };
const routing = (r: Partial<RoutingSnapshot>): RoutingSnapshot => ({
  stableDeploymentId: null,
  stableModelId: null,
  backupDeploymentId: null,
  failoverFromDeploymentId: null,
  failoverFromModelId: null,
  ...r,
});
const observed = (
  r: Partial<RoutingSnapshot>,
  primaryDeploymentId?: string,
): Pick<ObservedWindow, 'routing' | 'primary'> => ({
  routing: routing(r),
  primary: primaryDeploymentId
    ? { deploymentId: primaryDeploymentId, modelId: `m-${primaryDeploymentId}`, stats }
    : null,
});
/** Watching d1 (model m1) with streaks and evidence under way, a cooldown until t=500. */
const watching: Watched = {
  evaluation: { serving: 'primary', breachStreak: 2, healthyStreak: 0, cooldownUntil: 500, evidence: [stats] },
  primaryDeploymentId: 'd1',
  primaryModelId: 'm1',
  backupDeploymentId: null,
  backupModelId: null,
};
/** Failed over from d1 to d2. */
const failedOver: Watched = {
  ...watching,
  evaluation: { ...watching.evaluation, serving: 'backup' },
  backupDeploymentId: 'd2',
  backupModelId: 'm2',
};

describe('following routing (pure)', () => {
  it('judges the window when routing is as the run left it, and not before anything serves', () => {
    expect(followRouting(watching, observed({ stableDeploymentId: 'd1', stableModelId: 'm1' }, 'd1'))).toEqual({
      patch: {},
      judge: true,
      failoverEnded: false,
    });
    expect(followRouting(freshState('s'), observed({}))).toEqual({ patch: {}, judge: false, failoverEnded: false });
  });

  it('watches a new stable from a clean slate, keeping the cooldown; judges this window only if it observed the new one', () => {
    const promoted = followRouting(watching, observed({ stableDeploymentId: 'd3', stableModelId: 'm3' }, 'd3'));
    expect(promoted).toEqual({
      patch: {
        evaluation: { ...initialState(), cooldownUntil: 500 },
        primaryDeploymentId: 'd3',
        primaryModelId: 'm3',
      },
      judge: true,
      failoverEnded: false,
    });
    // The window was observed of the old primary (routing moved while it was read): skip it.
    expect(followRouting(watching, observed({ stableDeploymentId: 'd3', stableModelId: 'm3' }, 'd1')).judge).toBe(
      false,
    );
  });

  it('keeps a failover it made while routing still says so; ends it (alert resolves) when someone else moved routing', () => {
    const same = observed(
      { stableDeploymentId: 'd2', failoverFromDeploymentId: 'd1', failoverFromModelId: 'm1' },
      'd1',
    );
    expect(followRouting(failedOver, same)).toEqual({ patch: {}, judge: true, failoverEnded: false });
    const promoted = followRouting(failedOver, observed({ stableDeploymentId: 'd4', stableModelId: 'm4' }, 'd4'));
    expect(promoted).toEqual({
      patch: {
        evaluation: { ...initialState(), cooldownUntil: 500 },
        primaryDeploymentId: 'd4',
        primaryModelId: 'm4',
        backupDeploymentId: null,
        backupModelId: null,
      },
      judge: false,
      failoverEnded: true,
    });
  });

  it('takes over a failover it did not make (recreated during one), serving the backup, judging from the next window', () => {
    const found = observed(
      { stableDeploymentId: 'd2', stableModelId: 'm2', failoverFromDeploymentId: 'd1', failoverFromModelId: 'm1' },
      'd1',
    );
    expect(followRouting(freshState('s'), found)).toEqual({
      patch: {
        evaluation: { ...initialState(), serving: 'backup', cooldownUntil: 0 },
        primaryDeploymentId: 'd1',
        primaryModelId: 'm1',
        backupDeploymentId: 'd2',
        backupModelId: 'm2',
      },
      judge: false,
      failoverEnded: false,
    });
  });
});

describe('resuming from the records (pure)', () => {
  const resume = (r: Partial<ResumePoint>): ResumePoint => ({ cooldownUntil: 0, last: null, evidence: [], ...r });
  const state = { serving: 'primary' as const, breachStreak: 1, healthyStreak: 0, cooldownUntil: 900 };

  it('keeps the later cooldown of the two', () => {
    expect(adoptResumePoint(watching, resume({ cooldownUntil: 800 }), policy).cooldownUntil).toBe(800);
    expect(adoptResumePoint(watching, resume({ cooldownUntil: 100 }), policy).cooldownUntil).toBe(500);
  });

  it("takes the streaks and the evidence (within the policy's span) of the deployment and role it is judging", () => {
    const evidence = Array.from({ length: 500 }, () => stats);
    const adopted = adoptResumePoint(
      watching,
      resume({ last: { deploymentId: 'd1', role: 'primary-serving', state }, evidence }),
      policy,
    );
    expect(adopted).toMatchObject({ serving: 'primary', breachStreak: 1, healthyStreak: 0, cooldownUntil: 500 });
    expect(adopted.evidence!.length).toBeLessThan(evidence.length);
    expect(adopted.evidence!.length).toBe(policy.evidenceSpanSeconds / policy.evaluationIntervalSeconds);
  });

  it("ignores another deployment's records, and a role it no longer has", () => {
    const other = resume({ last: { deploymentId: 'd9', role: 'primary-serving', state }, evidence: [stats] });
    expect(adoptResumePoint(watching, other, policy)).toEqual(watching.evaluation);
    const wasServing = resume({ last: { deploymentId: 'd1', role: 'primary-serving', state }, evidence: [stats] });
    expect(adoptResumePoint(failedOver, wasServing, policy)).toEqual(failedOver.evaluation);
  });
});

describe('failover bookkeeping (pure)', () => {
  const made = { key: 'watchdog-s:run:7', at: '2026-12-06T00:00:00.000Z', workflowId: 'watchdog-s' };
  const run = { ...watching, specialization: 's', thresholdsVersion: 3 };

  it('a switch leaves the primary; a rollback leaves the backup; both name who asked', () => {
    const to = { deploymentId: 'd2', modelId: 'm2' };
    expect(switchDecision(run, { action: 'switch', to, reason: 'breach', stats, by: 'watchdog' }, made)).toEqual({
      ...made,
      action: 'switch',
      reason: 'breach',
      specialization: 's',
      fromDeploymentId: 'd1',
      fromModelId: 'm1',
      toDeploymentId: 'd2',
      toModelId: 'm2',
      stats,
      thresholdsVersion: 3,
      by: 'watchdog',
    });
    const back = switchDecision(
      { ...run, ...failedOver, thresholdsVersion: null },
      { action: 'rollback', to: { deploymentId: 'd1', modelId: 'm1' }, reason: 'manual', stats: NO_WINDOW, by: 'ops' },
      made,
    );
    expect(back).toMatchObject({ fromDeploymentId: 'd2', toDeploymentId: 'd1', thresholdsVersion: 0, by: 'ops' });
  });

  it('with no healthy backup, keeps serving the primary with cleared streaks until the cooldown ends', () => {
    expect(noBackupEvaluation(1_000, 60)).toEqual({
      serving: 'primary',
      breachStreak: 0,
      healthyStreak: 0,
      cooldownUntil: 1_060,
    });
  });

  it("names the window's incidents after its reason, the verdict's when nothing was decided", () => {
    const verdict = { kind: 'breach' as const, reason: 'error rate 0.2 > 0.05' };
    const incident = { requests: 10, errors: 10, reason: 'timeouts', by: 'relaycore' };
    expect(windowReason(undefined, verdict, [])).toBe('');
    expect(windowReason({ t: 1, action: 'switch', reason: 'breach: x' }, verdict, [])).toBe('breach: x');
    expect(windowReason(undefined, verdict, [incident])).toBe('error rate 0.2 > 0.05; incidents: timeouts (relaycore)');
  });

  it('records a window by the role the primary had, and the state after it without the evidence', () => {
    const verdict = { kind: 'healthy' as const, reason: 'ok' };
    expect(windowRecord('a', 'u', 'd1', 'backup', stats, verdict)).toEqual({
      at: 'a',
      until: 'u',
      deploymentId: 'd1',
      role: 'primary-probed',
      stats,
      verdict,
    });
    expect(afterWindow(watching.evaluation)).toEqual({
      serving: 'primary',
      breachStreak: 2,
      healthyStreak: 0,
      cooldownUntil: 500,
    });
  });
});
