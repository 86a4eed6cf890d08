import { Op, QueryTypes, UniqueConstraintError, type Sequelize } from 'sequelize';
import { MODELS_CHANGED_CHANNEL } from '../../migrations/0020-models-change-notice';
import { ChangeNotices } from '../change-notices';
import { ModelPages, type Page } from './model-pages';
import { specializationCondition } from './scope';
import { modelsOf } from '../models';

/** A registry row as the API shows it. */
export interface ModelView {
  id: string;
  name: string;
  description: string | null;
  specialization: string;
  baseModel: string;
  version: string;
  status: string;
  modelPath: string | null;
  /** The bytes at modelPath, when an upload or a training job recorded them. */
  artifact: ArtifactDigest | null;
  config: Record<string, unknown> | null;
  performanceMetrics: Record<string, unknown> | null;
  deploymentConfig: Record<string, unknown> | null;
  validation: Record<string, unknown> | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ArtifactDigest {
  sha256: string;
  sizeBytes: number;
}

/** What a caller registers: the view's own fields, less what the registry assigns. */
export type NewModel = Omit<
  ModelView,
  'id' | 'status' | 'artifact' | 'validation' | 'createdBy' | 'createdAt' | 'updatedAt'
> & {
  createdBy: string;
};

/** A trained model to register under the next integer version of its name, with its bytes' digest. */
export type TrainedModel = Omit<NewModel, 'version' | 'createdBy'> & {
  config: Record<string, unknown> & { trainingJobId: string };
  artifact?: ArtifactDigest;
};

/** Which page of the registry: `within` narrows it to those specializations (a scoped token's). */
export interface PageQuery {
  skip: number;
  limit: number;
  specialization?: string;
  status?: string;
  within?: string[];
}

/** What attaching uploaded bytes to a model did. */
export type AttachOutcome =
  | { outcome: 'attached'; previousPath: string | null; model: ModelView }
  | { outcome: 'unchanged'; model: ModelView }
  | { outcome: 'frozen'; model: ModelView }
  | { outcome: 'missing' };

/**
 * Statuses whose bytes may still be replaced: nothing has been judged on them, or what was judged
 * failed. A validated (or deployed, retired…) model keeps the bytes it was judged on.
 */
const REPLACEABLE_STATUSES = ['registered', 'invalid'];

/** Integer versions for trained models: the next after the highest integer version of that name. */
function nextVersion(versions: string[]): string {
  const numbers = versions.filter((v) => /^\d+$/.test(v)).map(Number);
  return String((numbers.length ? Math.max(...numbers) : 0) + 1);
}

/** (name, version) is taken: the registry keeps one row per version. */
export class ModelVersionExists extends Error {
  override name = 'ModelVersionExists';
}

const COLUMNS = `id, name, description, specialization, base_model AS "baseModel", version, status, model_path AS "modelPath",
  CASE WHEN artifact_sha256 IS NULL THEN NULL ELSE json_build_object('sha256', artifact_sha256, 'sizeBytes', artifact_size_bytes) END AS artifact, config,
  performance_metrics AS "performanceMetrics", deployment_config AS "deploymentConfig", validation, created_by AS "createdBy",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

type Row = Omit<ModelView, 'createdAt' | 'updatedAt'> & { createdAt: Date; updatedAt: Date };
const toView = (r: Row): ModelView => ({
  ...r,
  validation: r.validation ?? null,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/**
 * `models`, the registry, as the API reads and writes it: plain rows (no model instances to build),
 * each page and its total in one statement, newest first on an index
 * (idx_models_created / idx_models_specialization_created). Pages are held in memory once
 * `pages.start()` ran (the API does; model-pages.ts), and every write here drops them.
 */
export function createModelStore(
  sequelize: Sequelize,
  pages = new ModelPages<ModelView>(new ChangeNotices(sequelize, MODELS_CHANGED_CHANNEL)),
) {
  const { ModelRecord, TrainingJob } = modelsOf(sequelize);
  /** A write of this process: its own next page read must show it, before the database's notice comes back. */
  const writing = async <R>(write: () => Promise<R>): Promise<R> => {
    try {
      return await write();
    } finally {
      pages.changed();
    }
  };
  /** One page and its total from the database, in one statement. */
  const listPage = async ({ skip, limit, specialization, status, within }: PageQuery): Promise<Page<ModelView>> => {
    const where: string[] = [];
    const bind: unknown[] = [];
    const wanted = specializationCondition(specialization, within);
    if (typeof wanted === 'string') where.push(`specialization = $${bind.push(wanted)}`);
    else if (wanted) where.push(`specialization = ANY($${bind.push(wanted)})`);
    if (status) where.push(`status = $${bind.push(status)}`);
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // One statement, one round trip: the page, with the total beside it (one row with a null page
    // when the page is empty). The total from the counts the database keeps per (specialization,
    // status) (migration 0018): counting the table itself was nearly all of a page's cost.
    const rows = await sequelize.query<Partial<Row> & { total: string }>(
      `SELECT page.*, counted.total FROM (SELECT COALESCE(sum(n), 0) AS total FROM model_counts ${filter}) counted
         LEFT JOIN LATERAL (SELECT ${COLUMNS} FROM models ${filter} ORDER BY created_at DESC, id LIMIT $${bind.length + 1} OFFSET $${bind.length + 2}) page ON true`,
      { bind: [...bind, limit, skip], type: QueryTypes.SELECT },
    );
    const total = Number(rows[0]?.total ?? 0);
    const items = rows
      .filter((r) => r.id !== null && r.id !== undefined)
      .map(({ total: _total, ...r }) => toView(r as Row));
    return { items, total };
  };

  return {
    /** Holding pages in memory: started and stopped by the process that serves them. */
    pages: pages as Pick<ModelPages<ModelView>, 'start' | 'stop' | 'holding'>,

    /**
     * Registers a training job's model as the next version of its name. Idempotent: the job id is
     * stored on the model, so a retried or replayed call returns the version it already made. A lock
     * per name keeps two jobs from taking the same version; the job's author is the model's.
     */
    async registerTrained(model: TrainedModel): Promise<{ modelId: string; version: string }> {
      const jobId = model.config.trainingJobId;
      return writing(() =>
        sequelize.transaction(async (transaction) => {
          await sequelize.query('SELECT pg_advisory_xact_lock(hashtext($1))', {
            bind: [`models:${model.name}`],
            transaction,
          });
          const existing = await ModelRecord.findOne({ where: { config: { trainingJobId: jobId } }, transaction });
          if (existing) return { modelId: existing.id, version: existing.version };
          const siblings = await ModelRecord.findAll({
            where: { name: model.name, version: { [Op.regexp]: '^[0-9]+$' } },
            attributes: ['version'],
            transaction,
          });
          const { artifact, ...fields } = model;
          const created = await ModelRecord.create(
            {
              ...fields,
              artifactSha256: artifact?.sha256 ?? null,
              artifactSizeBytes: artifact ? String(artifact.sizeBytes) : null,
              version: nextVersion(siblings.map((m) => m.version)),
              createdBy:
                (await TrainingJob.findByPk(jobId, { transaction, attributes: ['createdBy'] }))?.createdBy ?? null,
            },
            { transaction },
          );
          return { modelId: created.id, version: created.version };
        }),
      );
    },

    /** A page of models, newest first; `within` narrows it to those specializations (a scoped token's). */
    async list({ skip, limit, specialization, status, within }: PageQuery): Promise<Page<ModelView>> {
      const key = JSON.stringify([skip, limit, specialization ?? null, status ?? null, within ?? null]);
      return pages.read(key, () => listPage({ skip, limit, specialization, status, within }));
    },

    async setValidation(id: string, validation: Record<string, unknown>, status: string | undefined): Promise<void> {
      await writing(() =>
        sequelize.query(
          `UPDATE models SET validation = CAST($2 AS jsonb), status = COALESCE($3, status), updated_at = NOW() WHERE id = $1`,
          { bind: [id, JSON.stringify(validation), status ?? null] },
        ),
      );
    },

    /**
     * Points a model at bytes just stored under `key`: one decision per model at a time (a row lock),
     * so two uploads racing cannot both win. The same bytes again change nothing; other bytes replace
     * those of a model nothing was judged on (its status and validation start over) and are refused
     * for one that was.
     */
    async attachArtifact(id: string, key: string, digest: ArtifactDigest): Promise<AttachOutcome> {
      return writing(() =>
        sequelize.transaction(async (transaction) => {
          const [current] = await sequelize.query<{ status: string; sha256: string | null; modelPath: string | null }>(
            `SELECT status, artifact_sha256 AS sha256, model_path AS "modelPath" FROM models WHERE id = $1 FOR UPDATE`,
            { bind: [id], type: QueryTypes.SELECT, transaction },
          );
          if (!current) return { outcome: 'missing' } as const;
          const read = async () => {
            const [row] = await sequelize.query<Row>(`SELECT ${COLUMNS} FROM models WHERE id = $1`, {
              bind: [id],
              type: QueryTypes.SELECT,
              transaction,
            });
            return toView(row);
          };
          if (current.sha256 === digest.sha256) return { outcome: 'unchanged', model: await read() } as const;
          if (!REPLACEABLE_STATUSES.includes(current.status))
            return { outcome: 'frozen', model: await read() } as const;
          await sequelize.query(
            `UPDATE models SET model_path = $2, artifact_sha256 = $3, artifact_size_bytes = $4, status = 'registered',
             validation = NULL, updated_at = NOW() WHERE id = $1`,
            { bind: [id, key, digest.sha256, digest.sizeBytes], transaction },
          );
          return { outcome: 'attached', previousPath: current.modelPath, model: await read() } as const;
        }),
      );
    },

    /**
     * Points a model at a manifest stored under `key` (`config.manifestPath`), on the same terms as its
     * file: a model nothing was judged on takes it (its validation starts over); a judged one refuses it.
     */
    async attachManifest(
      id: string,
      key: string,
    ): Promise<
      | { outcome: 'attached'; previousPath: string | null; model: ModelView }
      | { outcome: 'frozen'; model: ModelView }
      | { outcome: 'missing' }
    > {
      return writing(() =>
        sequelize.transaction(async (transaction) => {
          const [current] = await sequelize.query<{ status: string; previousPath: string | null }>(
            `SELECT status, config->>'manifestPath' AS "previousPath" FROM models WHERE id = $1 FOR UPDATE`,
            {
              bind: [id],
              type: QueryTypes.SELECT,
              transaction,
            },
          );
          if (!current) return { outcome: 'missing' } as const;
          const replaceable = REPLACEABLE_STATUSES.includes(current.status);
          if (replaceable)
            await sequelize.query(
              `UPDATE models SET config = jsonb_set(COALESCE(config, '{}'::jsonb), '{manifestPath}', to_jsonb($2::text)),
               status = 'registered', validation = NULL, updated_at = NOW() WHERE id = $1`,
              { bind: [id, key], transaction },
            );
          const [row] = await sequelize.query<Row>(`SELECT ${COLUMNS} FROM models WHERE id = $1`, {
            bind: [id],
            type: QueryTypes.SELECT,
            transaction,
          });
          return replaceable
            ? ({ outcome: 'attached', previousPath: current.previousPath, model: toView(row) } as const)
            : ({ outcome: 'frozen', model: toView(row) } as const);
        }),
      );
    },

    async get(id: string): Promise<ModelView | undefined> {
      const [row] = await sequelize.query<Row>(`SELECT ${COLUMNS} FROM models WHERE id = $1`, {
        bind: [id],
        type: QueryTypes.SELECT,
      });
      return row ? toView(row) : undefined;
    },

    async register(model: NewModel): Promise<ModelView> {
      try {
        const [row] = await writing(() =>
          sequelize.query<Row>(
            `INSERT INTO models (id, name, description, specialization, base_model, version, status, model_path, config, performance_metrics, deployment_config, created_by, created_at, updated_at)
           VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, 'registered', $6, CAST($7 AS jsonb), CAST($8 AS jsonb), CAST($9 AS jsonb), $10, NOW(), NOW())
           RETURNING ${COLUMNS}`,
            {
              bind: [
                model.name,
                model.description,
                model.specialization,
                model.baseModel,
                model.version,
                model.modelPath,
                model.config && JSON.stringify(model.config),
                model.performanceMetrics && JSON.stringify(model.performanceMetrics),
                model.deploymentConfig && JSON.stringify(model.deploymentConfig),
                model.createdBy,
              ],
              type: QueryTypes.SELECT,
            },
          ),
        );
        return toView(row);
      } catch (err) {
        if (err instanceof UniqueConstraintError)
          throw new ModelVersionExists(`model ${model.name} version ${model.version} already exists`);
        throw err;
      }
    },
  };
}

export type ModelStore = ReturnType<typeof createModelStore>;
