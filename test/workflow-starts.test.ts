import { DEFAULT_ANALYSIS, DEFAULT_STEPS, type DeployModelInput } from '../workflows/deployment-types';
import {
  deliverAlertChangeStart,
  deployModelStart,
  performanceWatchdogStart,
  rollbackDeploymentStart,
  trainingPipelineStart,
  validateModelStart,
} from '../workflows/workflow-starts';
import type { TrainingPipelineInput } from '../workflows/training-types';

/** What each workflow is started with: the IDs the routes find runs by, the search attributes the Web UI finds them by. */
describe('workflow starts', () => {
  const attributes = (start: { typedSearchAttributes: { key: { name: string }; value: unknown }[] }) =>
    Object.fromEntries(start.typedSearchAttributes.map((a) => [a.key.name, a.value]));
  const rollout: DeployModelInput = {
    deploymentId: 'd-1',
    modelId: 'm-1',
    specialization: 'parts',
    steps: DEFAULT_STEPS,
    analysis: DEFAULT_ANALYSIS,
    requireApproval: false,
    approvalTimeoutSeconds: 60,
    onApprovalTimeout: 'rollback',
    requestedBy: 'alice',
  };

  it('starts a rollout as deployment-<specialization>, findable by deployment, model and stage', () => {
    const start = deployModelStart(rollout, { name: 'router', version: '3' });
    expect(start.workflowId).toBe('deployment-parts');
    expect(start.args).toEqual([rollout]);
    expect(start.memo).toEqual({ deploymentId: 'd-1', modelId: 'm-1', version: '3' });
    expect(attributes(start)).toEqual({
      NwKind: 'deployment',
      NwModelId: 'm-1',
      NwModelName: 'router',
      NwSpecialization: 'parts',
      NwStage: 'staging',
    });
    // The training pipeline's child rollout knows no version: its memo is what it always was.
    expect(deployModelStart(rollout, { name: 'router' }).memo).toEqual({ deploymentId: 'd-1', modelId: 'm-1' });
  });

  it('starts a rollback under the rollout ID, so the two never run side by side', () => {
    const start = rollbackDeploymentStart(
      { deploymentId: 'd-1', specialization: 'parts', requestedBy: 'bob', reason: 'r' },
      'm-1',
    );
    expect(start.workflowId).toBe(deployModelStart(rollout, { name: 'router' }).workflowId);
    expect(start.memo).toEqual({ deploymentId: 'd-1', rollback: true });
    expect(attributes(start)).toEqual({
      NwKind: 'deployment',
      NwModelId: 'm-1',
      NwSpecialization: 'parts',
      NwStage: 'rolling-back',
    });
  });

  it('starts training, validation, alert deliveries and watchdogs under their documented IDs', () => {
    const training = trainingPipelineStart(
      {
        jobId: 'j-1',
        name: 'router',
        specialization: 'parts',
        trainer: 'builtin',
        dataset: 'automotive-queries',
      } as TrainingPipelineInput,
      'alice',
    );
    expect(training.workflowId).toBe('training-j-1');
    expect(training.memo).toEqual({
      jobId: 'j-1',
      name: 'router',
      trainer: 'builtin',
      dataset: 'automotive-queries',
      createdBy: 'alice',
    });
    expect(attributes(training)).toEqual({
      NwKind: 'training',
      NwModelName: 'router',
      NwSpecialization: 'parts',
      NwStage: 'queued',
    });

    const validation = validateModelStart({ id: 'm-1', name: 'router', specialization: null });
    expect(validation.workflowId).toBe('validation-m-1');
    expect(attributes(validation)).toEqual({
      NwKind: 'validation',
      NwModelId: 'm-1',
      NwModelName: 'router',
      NwStage: 'queued',
    });

    const delivery = deliverAlertChangeStart({ alertId: 'a-1', status: 'resolved', count: 2 }, 'parts');
    expect(delivery.workflowId).toBe('alert-a-1-resolved');
    expect(attributes(delivery)).toEqual({ NwKind: 'alert-delivery', NwSpecialization: 'parts' });

    const watchdog = performanceWatchdogStart('parts');
    expect(watchdog).toMatchObject({ workflowId: 'watchdog-parts', args: [{ specialization: 'parts' }] });
    expect(attributes(watchdog)).toEqual({ NwKind: 'watchdog', NwSpecialization: 'parts' });
  });
});
