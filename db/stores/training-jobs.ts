import { Op, UniqueConstraintError, type Sequelize, type WhereOptions } from 'sequelize';
import { specializationCondition } from './scope';
import { modelsOf, type TrainingJob, type TrainingWorkflowStart } from '../models';

/** The job's logs keep their most recent part only: a chatty trainer cannot grow the row without bound. */
export const MAX_LOG_CHARS = 64 * 1024;

export interface NewTrainingJob {
  id: string;
  name: string;
  trainingConfig: Record<string, unknown>;
  dataset: string;
  createdBy: string;
  idempotencyKey: string | null;
  workflowId: string;
  specialization: string;
  trainer: string;
  /** What its workflow is started with (its outbox: the dispatcher starts it from this); null: none to start. */
  workflowStart: TrainingWorkflowStart | null;
}

/** A job whose workflow Temporal has not taken yet: what the dispatcher needs to start it. */
export type JobAwaitingStart = Pick<TrainingJob, 'id' | 'createdBy' | 'workflowStart' | 'workflowStartedAt'>;

export interface TrainingJobFilter {
  status?: string;
  specialization?: string;
  trainer?: string;
  name?: string;
  /** Only these specializations (a scoped token's). */
  within?: string[];
}

/** Rows without their logs (which can be 64 KiB): what lists and views need. */
const WITHOUT_LOGS = { exclude: ['logs'] };

/** `training_jobs`: what the API and the training workflow's activities record about a job. */
export function createTrainingJobStore(sequelize: Sequelize) {
  const { TrainingJob: Jobs } = modelsOf(sequelize);
  const byKey = (createdBy: string, idempotencyKey: string) =>
    Jobs.findOne({ where: { createdBy, idempotencyKey }, attributes: WITHOUT_LOGS });
  return {
    byId: (jobId: string): Promise<TrainingJob | null> => Jobs.findByPk(jobId),
    view: (jobId: string): Promise<TrainingJob | null> => Jobs.findByPk(jobId, { attributes: WITHOUT_LOGS }),
    /** The job that trained and registered a model (none for a model registered by hand). */
    producerOf: (modelId: string): Promise<TrainingJob | null> =>
      Jobs.findOne({ where: { modelId }, attributes: WITHOUT_LOGS }),
    byKey,

    async logs(jobId: string): Promise<{ id: string; logs: string } | null> {
      const job = await Jobs.findByPk(jobId, { attributes: ['id', 'logs'] });
      return job && { id: job.id, logs: job.logs ?? '' };
    },

    /**
     * A new pending job; with an Idempotency-Key, the job that key already made (two requests with
     * the same key racing make one job: the loser finds the winner's).
     */
    async create(job: NewTrainingJob): Promise<TrainingJob> {
      try {
        return await Jobs.create({
          id: job.id,
          name: job.name,
          modelId: null,
          trainingConfig: job.trainingConfig,
          datasetPath: job.dataset,
          outputPath: null,
          startedAt: null,
          completedAt: null,
          createdBy: job.createdBy,
          logs: null,
          metrics: null,
          errorMessage: null,
          idempotencyKey: job.idempotencyKey,
          workflowId: job.workflowId,
          specialization: job.specialization,
          trainer: job.trainer,
          workflowStart: job.workflowStart,
          workflowStartedAt: null,
        });
      } catch (err) {
        if (!(err instanceof UniqueConstraintError) || !job.idempotencyKey) throw err;
        return (await byKey(job.createdBy, job.idempotencyKey))!;
      }
    },

    /** Temporal has the job's workflow; the first mark stays. */
    async markWorkflowStarted(jobId: string): Promise<void> {
      await Jobs.update({ workflowStartedAt: new Date() }, { where: { id: jobId, workflowStartedAt: null } });
    },

    /**
     * Pending jobs made more than `olderThanMs` ago whose workflow Temporal has not taken, oldest
     * first (a partial index holds just these rows, so asking often costs next to nothing).
     */
    awaitingStart: (olderThanMs: number, limit: number): Promise<JobAwaitingStart[]> =>
      Jobs.findAll({
        where: {
          workflowStartedAt: null,
          workflowStart: { [Op.ne]: null },
          status: 'pending',
          createdAt: { [Op.lt]: new Date(Date.now() - olderThanMs) },
        },
        order: [['createdAt', 'ASC']],
        limit,
        attributes: ['id', 'createdBy', 'workflowStart', 'workflowStartedAt'],
      }),

    async list(
      filter: TrainingJobFilter,
      skip: number,
      limit: number,
    ): Promise<{ items: TrainingJob[]; total: number }> {
      const where: WhereOptions<TrainingJob> = {};
      if (filter.status) where.status = filter.status as TrainingJob['status'];
      const specialization = specializationCondition(filter.specialization, filter.within);
      if (specialization !== undefined) where.specialization = specialization;
      if (filter.trainer) where.trainer = filter.trainer;
      if (filter.name) where.name = filter.name;
      const { rows, count } = await Jobs.findAndCountAll({
        where,
        offset: skip,
        limit,
        order: [
          ['createdAt', 'DESC'],
          ['id', 'ASC'],
        ],
        attributes: WITHOUT_LOGS,
      });
      return { items: rows, total: count };
    },

    async appendLogs(jobId: string, text: string): Promise<void> {
      if (!text) return;
      await sequelize.query(
        "UPDATE training_jobs SET logs = right(coalesce(logs, '') || $1, $2), updated_at = NOW() WHERE id = $3",
        { bind: [text, MAX_LOG_CHARS, jobId] },
      );
    },
  };
}

export type TrainingJobStore = ReturnType<typeof createTrainingJobStore>;
