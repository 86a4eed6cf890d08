import type { Sequelize } from 'sequelize';
import { modelsOf, type TrainingJob } from '../models';

/** The job's logs keep their most recent part only: a chatty trainer cannot grow the row without bound. */
export const MAX_LOG_CHARS = 64 * 1024;

/** `training_jobs`: what the training workflow's activities record about a job. */
export function createTrainingJobStore(sequelize: Sequelize) {
  const { TrainingJob: Jobs } = modelsOf(sequelize);
  return {
    byId: (jobId: string): Promise<TrainingJob | null> => Jobs.findByPk(jobId),

    async appendLogs(jobId: string, text: string): Promise<void> {
      if (!text) return;
      await sequelize.query("UPDATE training_jobs SET logs = right(coalesce(logs, '') || $1, $2), updated_at = NOW() WHERE id = $3", { bind: [text, MAX_LOG_CHARS, jobId] });
    },
  };
}

export type TrainingJobStore = ReturnType<typeof createTrainingJobStore>;
