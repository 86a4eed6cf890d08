import type { Deployment, TrainingJob } from '../db/models';
import type { TrainingProgress } from '../workflows/training-types';

/** A link to a workflow (and run) in the Temporal Web UI. */
export type WorkflowLink = (workflowId: string, runId?: string) => string;

/**
 * How rows look on the wire, for every route that answers with them (a job on its own page and in
 * a model's lineage say the same thing the same way).
 */
export const trainingJobView = (job: TrainingJob, progress: TrainingProgress | null, link: WorkflowLink) => ({
  id: job.id,
  name: job.name,
  status: job.status,
  specialization: job.specialization,
  trainer: job.trainer,
  config: job.trainingConfig,
  modelId: job.modelId,
  outputPath: job.outputPath,
  metrics: job.metrics,
  errorMessage: job.errorMessage,
  workflowId: job.workflowId,
  webUiUrl: job.workflowId ? link(job.workflowId) : null,
  createdBy: job.createdBy,
  createdAt: job.createdAt.toISOString(),
  workflowStartedAt: job.workflowStartedAt?.toISOString() ?? null,
  startedAt: job.startedAt?.toISOString() ?? null,
  completedAt: job.completedAt?.toISOString() ?? null,
  progress,
});

const decisionsOf = (d: Deployment) => d.decisions as Record<string, unknown>[];

const deploymentFields = (d: Deployment, link: WorkflowLink) => ({
  id: d.id,
  modelId: d.modelId,
  specialization: d.specialization,
  status: d.status,
  reason: d.reason,
  config: d.deploymentConfig,
  workflowId: d.workflowId,
  webUiUrl: d.workflowId ? link(d.workflowId) : null,
  deployedAt: d.deployedAt?.toISOString() ?? null,
  createdBy: d.createdBy,
  createdAt: d.createdAt.toISOString(),
});

/** A deployment in a list: its decisions are on its own page; the last one says where it stands. */
export const deploymentSummary = (d: Deployment, link: WorkflowLink) => ({
  ...deploymentFields(d, link),
  lastDecision: decisionsOf(d).at(-1) ?? null,
});

/** A deployment with every decision. */
export const deploymentView = (d: Deployment, link: WorkflowLink) => ({
  ...deploymentFields(d, link),
  decisions: decisionsOf(d),
});
