import { QueryTypes, UniqueConstraintError, type Sequelize, type WhereOptions } from 'sequelize';
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
  /** The making process's claim on sending that start: no other sends it before this. */
  startNotBefore: Date | null;
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
        // One statement mapped onto the model, not Jobs.create: building, validating and
        // formatting a new instance was about a quarter of an accepted job's CPU (`npm run bench`).
        const [created] = await sequelize.query<TrainingJob>(
          `INSERT INTO training_jobs (id, name, status, training_config, dataset_path, created_by, idempotency_key,
             workflow_id, specialization, trainer, workflow_start, start_not_before, start_attempts, created_at, updated_at)
           VALUES ($1, $2, 'pending', CAST($3 AS jsonb), $4, $5, $6, $7, $8, $9, CAST($10 AS jsonb), $11, 0, now(), now())
           RETURNING *`,
          {
            bind: [
              job.id,
              job.name,
              JSON.stringify(job.trainingConfig),
              job.dataset,
              job.createdBy,
              job.idempotencyKey,
              job.workflowId,
              job.specialization,
              job.trainer,
              job.workflowStart && JSON.stringify(job.workflowStart),
              job.startNotBefore,
            ],
            type: QueryTypes.SELECT,
            model: Jobs,
            mapToModel: true,
          },
        );
        return created;
      } catch (err) {
        if (!(err instanceof UniqueConstraintError) || !job.idempotencyKey) throw err;
        return (await byKey(job.createdBy, job.idempotencyKey))!;
      }
    },

    /** Temporal has the job's workflow; the first mark stays. */
    async markWorkflowStarted(jobId: string): Promise<void> {
      await sequelize.query(
        'UPDATE training_jobs SET workflow_started_at = now(), updated_at = now() WHERE id = $1 AND workflow_started_at IS NULL',
        { bind: [jobId] },
      );
    },

    /**
     * Claims up to `limit` pending jobs whose start is due — none sent yet, no holder's claim or
     * back-off in force — for `leaseMs`, oldest first. Concurrent claimers skip each other's rows,
     * so each row goes to one process (a partial index holds just the waiting rows).
     */
    claimDueStarts: (limit: number, leaseMs: number): Promise<JobAwaitingStart[]> =>
      sequelize.query<JobAwaitingStart>(
        `UPDATE training_jobs SET start_not_before = now() + $2 * interval '1 millisecond'
          WHERE id IN (SELECT id FROM training_jobs
                        WHERE workflow_started_at IS NULL AND status = 'pending' AND workflow_start IS NOT NULL
                          AND (start_not_before IS NULL OR start_not_before <= now())
                        ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING id, created_by AS "createdBy", workflow_start AS "workflowStart",
                    workflow_started_at AS "workflowStartedAt"`,
        { bind: [limit, leaseMs], type: QueryTypes.SELECT },
      ),

    /**
     * A failed start: the next one is due after 1 s, 2 s, 4 s … at most `maxBackoffMs`, whoever
     * sends it. Returns how many have failed.
     */
    async deferStart(jobId: string, maxBackoffMs: number): Promise<number> {
      const [row] = await sequelize.query<{ attempts: number }>(
        `UPDATE training_jobs SET start_attempts = start_attempts + 1,
                start_not_before = now() + least($2, 1000 * 2 ^ start_attempts) * interval '1 millisecond'
          WHERE id = $1 RETURNING start_attempts AS attempts`,
        { bind: [jobId, maxBackoffMs], type: QueryTypes.SELECT },
      );
      return row?.attempts ?? 0;
    },

    /** Gives claims up (a process closing with starts still queued): any process may send them now. */
    async releaseStarts(jobIds: string[]): Promise<void> {
      if (jobIds.length === 0) return;
      await sequelize.query(
        'UPDATE training_jobs SET start_not_before = NULL WHERE id = ANY($1) AND workflow_started_at IS NULL',
        { bind: [jobIds] },
      );
    },

    /** A job Temporal keeps refusing to start fails, saying why (not while its start is recorded). */
    async failStart(jobId: string, errorMessage: string): Promise<void> {
      await Jobs.update(
        { status: 'failed', errorMessage, completedAt: new Date() },
        { where: { id: jobId, status: 'pending', workflowStartedAt: null } },
      );
    },

    /**
     * A keyed job made before the outbox and left pending gets the start the client's retry asks
     * for (the same body: the key's check): its workflow may exist or not, and the start finds out.
     */
    async adoptStart(jobId: string, start: TrainingWorkflowStart, startNotBefore: Date): Promise<TrainingJob | null> {
      const [count] = await Jobs.update(
        { workflowStart: start, workflowStartedAt: null, startNotBefore },
        { where: { id: jobId, status: 'pending', workflowStart: null } },
      );
      return count > 0 ? Jobs.findByPk(jobId, { attributes: WITHOUT_LOGS }) : null;
    },

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
