import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { Deliveries } from './deliveries';
import { FailureType, RELAYCORE_RETRY } from './failures';
import { NwStage } from './search-attributes';
import {
  rollbackSwitchKey,
  type Decision,
  type DeploymentStage,
  type DeploymentStatusView,
  type DeployModelInput,
  type DeployModelResult,
  type StepAnalysis,
} from './deployment-types';

export * from './deployment-types';

export interface AbortRequest {
  reason: string;
  by: string;
}
export interface ApprovalRequest {
  by: string;
  comment?: string;
}

export const deploymentStatusQuery = defineQuery<DeploymentStatusView>('status');
/** Stops a rollout at once: the canary leaves traffic, the stable keeps serving. */
export const abortSignal = defineSignal<[AbortRequest]>('abort');
/** The manual gate before promotion; refused unless the rollout is waiting for it. */
export const approveUpdate = defineUpdate<{ approved: true; by: string }, [ApprovalRequest]>('approve');

/** One rollout per specialization: the business key is the workflow ID. */
export const deploymentWorkflowId = (specialization: string) => `deployment-${specialization}`;

const rollout = proxyActivities<Activities>({
  // Database and routing changes: quick, retried until the database answers.
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [FailureType.ModelNotFound, FailureType.ModelStagingFailed],
  },
});
const staging = proxyActivities<Activities>({
  // Loads the artifact and runs the probe set; a model that cannot load fails without retries.
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '2 seconds',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [FailureType.ModelNotFound, FailureType.ModelStagingFailed],
  },
});

const relay = proxyActivities<Activities>({
  // Above the connector's own 10 s call timeout; an outage is retried for as long as it takes.
  startToCloseTimeout: '30 seconds',
  retry: RELAYCORE_RETRY,
});

export async function deployModel(input: DeployModelInput): Promise<DeployModelResult> {
  const state: DeploymentStatusView = {
    stage: 'staging',
    step: null,
    weight: 0,
    decisions: [],
    awaitingApprovalUntil: null,
  };
  let abortRequest: AbortRequest | undefined;
  let approval: ApprovalRequest | undefined;
  // Read through functions: handlers change these between awaits, which TypeScript cannot see.
  const aborted = (): AbortRequest | undefined => abortRequest;
  const approved = (): ApprovalRequest | undefined => approval;
  // The approval is answered once its decision is recorded (or the rollout ends): "approved" then
  // means durable, and the answer never shares a workflow task with the timer it cancels — an
  // ordering the SDK's replay does not reproduce reliably. Rollouts started before replay as they ran.
  const answerOnceRecorded = patched('approval-answered-once-recorded');
  let approvalSettled: 'recorded' | 'rollout-ended' | undefined;
  setHandler(deploymentStatusQuery, () => state);
  setHandler(abortSignal, (request) => {
    abortRequest ??= request;
  });
  setHandler(
    approveUpdate,
    async (request) => {
      approval = request;
      if (answerOnceRecorded) {
        await condition(() => approvalSettled !== undefined);
        // An abort that won the race: the caller hears that the approval did not count.
        if (approvalSettled !== 'recorded')
          throw ApplicationFailure.nonRetryable('the rollout ended before the approval was recorded');
      }
      return { approved: true, by: request.by };
    },
    {
      validator: (request: ApprovalRequest) => {
        if (!request?.by) throw new Error('approve needs "by"');
        if (state.stage !== 'awaiting-approval') throw new Error(`nothing to approve: the rollout is ${state.stage}`);
        if (input.fourEyes && request.by === input.requestedBy)
          throw new Error(`four-eyes: ${request.by} deployed this rollout, so someone else approves it`);
      },
    },
  );

  const { deploymentId, specialization } = input;
  // RelayCore deliveries run beside the rollout (an outage must not stall it) and the workflow
  // ends once every one was delivered, or refused by RelayCore and recorded as a decision.
  // Keys: workflow run + step, stable across retries.
  const deliveries = new Deliveries(async (what, reason) => {
    await decide({ key: `undeliverable-${what}`, kind: 'undeliverable', message: `RelayCore ${what}: ${reason}` });
  });
  const keyFor = (step: string) => `${workflowInfo().workflowId}:${workflowInfo().runId}:${step}`;
  const enter = (stage: DeploymentStage) => {
    state.stage = stage;
    upsertSearchAttributes([{ key: NwStage, value: stage }]);
  };
  const decide = async (decision: Omit<Decision, 'at'>) => {
    const full: Decision = { ...decision, at: new Date().toISOString() };
    state.decisions.push(full);
    await rollout.recordDecision({ deploymentId, decision: full });
  };
  const end = async (outcome: DeployModelResult['outcome'], reason: string): Promise<DeployModelResult> => {
    approvalSettled ??= 'rollout-ended';
    await rollout.removeCanary({ specialization, deploymentId });
    state.weight = 0;
    enter(outcome === 'rolled_back' ? 'rolled-back' : outcome);
    await decide({ key: outcome, kind: outcome === 'rolled_back' ? 'rolled-back' : outcome, message: reason });
    await rollout.finishDeployment({ deploymentId, status: outcome, reason });
    await deliveries.settled();
    return { deploymentId, outcome, reason, decisions: state.decisions };
  };

  await rollout.createDeployment({ input, workflowId: workflowInfo().workflowId });
  let staged;
  try {
    staged = await staging.stageModel({ modelId: input.modelId });
  } catch (err) {
    let cause = err as { message?: string; cause?: unknown };
    while (cause.cause) cause = cause.cause as typeof cause;
    return end('failed', cause.message ?? 'staging failed');
  }
  await decide({
    key: 'staged',
    kind: 'staged',
    message: `loaded and warmed up in ${staged.warmupMs} ms; probe accuracy ${staged.probeAccuracy.toFixed(3)} on ${staged.probeExamples} examples`,
  });

  // Without a stable deployment there is nothing to split traffic with: one step at 100 %.
  const hasStable = (await rollout.currentStable(specialization)) !== null;
  const weights = hasStable ? input.steps : [100];
  enter('rolling-out');
  for (const [index, weight] of weights.entries()) {
    if (abortRequest) break;
    const step = index + 1;
    await rollout.setCanaryWeight({ specialization, deploymentId, weight });
    state.step = step;
    state.weight = weight;
    await decide({ key: `step-${step}-started`, kind: 'step-started', step, weight, message: `canary at ${weight}%` });

    let analysis: StepAnalysis | undefined;
    for (let window = 1; window <= input.analysis.maxWindows; window++) {
      const since = new Date().toISOString();
      await condition(() => abortRequest !== undefined, input.analysis.windowSeconds * 1000);
      if (abortRequest) break;
      analysis = await rollout.analyzeCanary({
        deploymentId,
        since,
        thresholds: input.analysis,
        probeAccuracy: staged.probeAccuracy,
        specialization,
      });
      if (!analysis.insufficientData) break;
    }
    if (abortRequest || !analysis) break;
    await decide({
      key: `step-${step}-analysis`,
      kind: 'step-analysis',
      step,
      weight,
      analysis,
      message: `${analysis.passed ? 'passed' : 'failed'}: ${analysis.reason}`,
    });
    deliveries.add(
      `step-${step}-performance`,
      relay.reportModelPerformance({
        modelId: input.modelId,
        metrics: {
          specialization,
          deploymentId,
          step,
          weight,
          requests: analysis.requests,
          errorRate: analysis.errorRate,
          p95LatencyMs: analysis.p95LatencyMs,
          probeAccuracy: analysis.probeAccuracy,
          passed: analysis.passed,
        },
        idempotencyKey: keyFor(`step-${step}-performance`),
      }),
    );
    if (!analysis.passed) return end('rolled_back', `step ${step} (${weight}%) failed: ${analysis.reason}`);
  }
  if (abortRequest) return end('aborted', `aborted by ${abortRequest.by}: ${abortRequest.reason}`);

  if (input.requireApproval) {
    enter('awaiting-approval');
    state.awaitingApprovalUntil = new Date(Date.now() + input.approvalTimeoutSeconds * 1000).toISOString();
    const answered = await condition(
      () => approved() !== undefined || aborted() !== undefined,
      input.approvalTimeoutSeconds * 1000,
    );
    state.awaitingApprovalUntil = null;
    const abort = aborted();
    if (abort) return end('aborted', `aborted by ${abort.by}: ${abort.reason}`);
    if (!answered) {
      await decide({
        key: 'approval',
        kind: 'approval',
        message: `no approval within ${input.approvalTimeoutSeconds} s: policy ${input.onApprovalTimeout}`,
      });
      if (input.onApprovalTimeout === 'rollback')
        return end('rolled_back', `approval deadline passed (${input.approvalTimeoutSeconds} s)`);
    } else {
      const { by, comment } = approved()!;
      await decide({ key: 'approval', kind: 'approval', message: `approved by ${by}${comment ? `: ${comment}` : ''}` });
      approvalSettled = 'recorded';
    }
  }

  enter('promoting');
  const { backupDeploymentId } = await rollout.promoteDeployment({ specialization, deploymentId });
  state.weight = 100;
  enter('promoted');
  const reason = `promoted ${staged.modelName} v${staged.version}${backupDeploymentId ? `; previous stable ${backupDeploymentId} kept as backup` : ''}`;
  await decide({ key: 'promoted', kind: 'promoted', message: reason });
  // Rollouts recorded before watching by default replay without this step.
  if (patched('watch-by-default')) {
    const watched = await rollout.watchSpecialization({
      specialization,
      requested: input.watch !== false,
      by: input.requestedBy,
    });
    await decide({ key: 'watched', kind: 'watched', message: watched.reason });
  }
  // The promotion's deliveries in a scope of their own: a rollback cancels them, so that the
  // promotion's route cannot reach RelayCore after the rollback's.
  const promotionDeliveries = new CancellationScope();
  void promotionDeliveries.run(async () => {
    deliveries.add(
      'deployed',
      relay.notifyModelDeployed({
        modelId: input.modelId,
        specialization,
        deploymentId,
        version: staged.version,
        idempotencyKey: keyFor('deployed'),
      }),
    );
    deliveries.add(
      'route',
      relay.updateRelayCoreRoute({
        specialization,
        modelId: input.modelId,
        reason: `deployment ${deploymentId} promoted`,
        idempotencyKey: keyFor('route'),
      }),
    );
  });
  if (patched('rollback-after-promotion')) {
    // While this workflow still runs (its deliveries under way, perhaps for a long RelayCore outage)
    // the API cannot start rollbackDeployment under the same ID: a rollback (or an abort that came
    // too late to stop the rollout) is done here, at once.
    let delivered = false;
    void deliveries.settled().then(() => {
      delivered = true;
    });
    await condition(() => delivered || aborted() !== undefined);
    const rollback = aborted();
    if (rollback) {
      promotionDeliveries.cancel();
      const why = `rolled back by ${rollback.by} after promotion: ${rollback.reason}`;
      const { restoredDeploymentId, restoredModelId } = await rollout.restoreBackup({
        specialization,
        deploymentId,
        reason: why,
        requestedBy: rollback.by,
      });
      if (restoredModelId) {
        deliveries.add(
          'rollback route',
          relay.updateRelayCoreRoute({
            specialization,
            modelId: restoredModelId,
            reason: `rollback of deployment ${deploymentId}: ${rollback.reason}`,
            idempotencyKey: keyFor('rollback-route'),
          }),
          // The rollback's switch event says RelayCore refused it, as the watchdog's do.
          async (reason) => {
            if (patched('rollback-refusal-recorded'))
              await rollout.recordSwitchUndeliverable({ key: rollbackSwitchKey(deploymentId), reason });
          },
        );
      }
      return end(
        'rolled_back',
        `${why}; ${restoredDeploymentId ? `${restoredDeploymentId} serves again` : 'nothing serves the specialization now'}`,
      );
    }
  }
  await deliveries.settled();
  return { deploymentId, outcome: 'promoted', reason, decisions: state.decisions };
}
