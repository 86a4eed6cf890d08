import { ApplicationFailure } from '@temporalio/activity';
import type { TrainingJob } from '../../db/models';
import type { TrainingJobStore } from '../../db/stores/training-jobs';
import { FailureType } from '../../workflows/failures';
import type { Evaluation, TrainModelResult } from '../../workflows/training-types';
import type { ArtifactStore } from '../../storage/artifact-store';
import { checkpointPrefix } from '../../storage/paths';

export function createTrainingJobActivities({
  artifacts,
  trainingJobs,
}: {
  /** Checkpoints and outputs are removed from the store (the folders under MODEL_STORAGE_PATH by default). */
  artifacts: { store: ArtifactStore };
  trainingJobs: TrainingJobStore;
}) {
  const jobOrFail = async (jobId: string): Promise<TrainingJob> => {
    const job = await trainingJobs.byId(jobId);
    if (!job)
      throw ApplicationFailure.nonRetryable(`training job ${jobId} does not exist`, FailureType.TrainingJobNotFound);
    return job;
  };

  return {
    /** Idempotent: a retry keeps the first started_at. */
    async markTrainingJobRunning(jobId: string): Promise<void> {
      const job = await jobOrFail(jobId);
      if (job.status === 'pending') {
        job.status = 'running';
        job.startedAt = new Date();
        await job.save();
      }
    },

    async completeTrainingJob(p: {
      jobId: string;
      modelId: string;
      modelPath: string;
      trained: TrainModelResult;
      evaluation: Evaluation;
    }): Promise<void> {
      const job = await jobOrFail(p.jobId);
      job.status = 'completed';
      job.modelId = p.modelId;
      job.outputPath = p.modelPath;
      job.completedAt ??= new Date();
      job.metrics = {
        ...p.trained.metrics,
        holdoutAccuracy: p.evaluation.holdoutAccuracy,
        macroF1: p.evaluation.macroF1,
        perLabelAccuracy: p.evaluation.perLabelAccuracy,
        training: {
          device: p.trained.device,
          startedAt: p.trained.startedAt,
          finishedAt: p.trained.finishedAt,
          resumedFromCheckpoint: p.trained.resumedFromCheckpoint,
          // The loss at the end of each epoch: the job's learning curve, kept once it is done.
          epochs: p.trained.progress?.epochs ?? [],
        },
      };
      await job.save();
      // Checkpoints served their purpose once the model is registered.
      await artifacts.store.removeAll(checkpointPrefix(p.jobId));
    },

    /** Failed or cancelled: the row says why, and nothing half-made stays on disk. */
    async finishTrainingJob(p: {
      jobId: string;
      status: 'failed' | 'cancelled';
      message: string;
      outputDir: string;
    }): Promise<void> {
      const job = await jobOrFail(p.jobId);
      if (job.status !== 'completed') {
        job.status = p.status;
        job.errorMessage = p.message;
        job.completedAt ??= new Date();
        await job.save();
      }
      await artifacts.store.removeAll(p.outputDir);
      await artifacts.store.removeAll(checkpointPrefix(p.jobId));
    },
  };
}
