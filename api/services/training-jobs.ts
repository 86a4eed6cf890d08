import type { Config } from '../../config/env';
import type { TrainingJob, TrainingWorkflowStart } from '../../db/models';
import type { TrainingJobStore } from '../../db/stores/training-jobs';
import type { TrainingJobRequestBody } from '../schemas/training';
import { trainingWorkflowId, type TrainingPipelineInput } from '../../workflows/training-types';
import type { TrainingStarts } from './training-starts';

/**
 * The job a POST asks for, committed with its workflow's start and its maker's claim on sending
 * it — from here the job is never lost, and its start is tried until Temporal takes it
 * (training-starts.ts). With a key the job may be there already: a keyed job made before the
 * outbox and left pending gets its start from this retry (the same body: the route checked it).
 */
export async function acceptTrainingJob(
  { config, trainingJobs, starts }: { config: Config; trainingJobs: TrainingJobStore; starts: TrainingStarts },
  request: {
    body: TrainingJobRequestBody;
    deploy: TrainingPipelineInput['deploy'];
    sub: string;
    key: string | undefined;
    existing: TrainingJob | null;
  },
): Promise<TrainingJob> {
  const { body, deploy, sub, key, existing } = request;
  const startOf = (jobId: string): TrainingWorkflowStart => ({
    taskQueue: config.temporal.taskQueue,
    input: { jobId, ...body, deploy, requestedBy: sub, trainingTaskQueue: config.temporal.trainingTaskQueue },
  });
  if (!existing) {
    const id = crypto.randomUUID();
    return trainingJobs.create({
      id,
      name: body.name,
      trainingConfig: body,
      dataset: body.dataset,
      createdBy: sub,
      idempotencyKey: key ?? null,
      workflowId: trainingWorkflowId(id),
      specialization: body.specialization,
      trainer: body.trainer,
      workflowStart: startOf(id),
      startNotBefore: starts.claimUntil(),
    });
  }
  if (existing.status !== 'pending' || existing.workflowStart) return existing;
  return (
    (await trainingJobs.adoptStart(existing.id, startOf(existing.id), starts.claimUntil())) ??
    (await trainingJobs.view(existing.id))!
  );
}
