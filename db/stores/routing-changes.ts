import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { Routing } from '../models';

/** Why routing changed: a rollout's step or end, a rollback, the watchdog. */
export type RoutingCause =
  'canary-step' | 'canary-removed' | 'promotion' | 'rollback' | 'watchdog-switch' | 'watchdog-switch-back';

export interface RoutingChangeOrigin {
  cause: RoutingCause;
  reason: string;
  /** The deployment whose rollout or rollback made the change (its workflow is found through it). */
  deploymentId?: string;
  /** The workflow that decided, and its decision key, where the change is the watchdog's. */
  workflowId?: string;
  decisionKey?: string;
}

/** A deployment as the history names it. */
export interface ServedDeployment {
  deploymentId: string;
  modelId: string;
  modelName: string;
  version: string;
}

export interface RoutingChange {
  id: string;
  changedAt: string;
  stable: ServedDeployment | null;
  canary: (ServedDeployment & { weight: number }) | null;
  backup: ServedDeployment | null;
  failoverFrom: ServedDeployment | null;
  cause: RoutingCause;
  reason: string;
  deploymentId: string | null;
  /** The deciding workflow: the watchdog's, or the rollout's (or rollback's) of `deploymentId`. */
  workflowId: string | null;
  decisionKey: string | null;
}

const TRACKS = ['stable', 'canary', 'backup', 'failover_from'] as const;
/** Each track's deployment and model, for a row `c` with the routing table's columns. */
const TRACK_JOINS = TRACKS.map(
  (t) =>
    `LEFT JOIN deployments ${t}_d ON ${t}_d.id = c.${t}_deployment_id LEFT JOIN models ${t}_m ON ${t}_m.id = ${t}_d.model_id`,
).join('\n');
const TRACK_COLUMNS = TRACKS.map(
  (t) =>
    `${t}_d.id AS "${t}Id", ${t}_m.id AS "${t}ModelId", ${t}_m.name AS "${t}Name", ${t}_m.version AS "${t}Version"`,
).join(', ');

type Row = Record<string, string | number | Date | null>;
const served = (r: Row, t: string): ServedDeployment | null =>
  r[`${t}Id`]
    ? {
        deploymentId: r[`${t}Id`] as string,
        modelId: r[`${t}ModelId`] as string,
        modelName: r[`${t}Name`] as string,
        version: r[`${t}Version`] as string,
      }
    : null;
const tracksOf = (r: Row) => {
  const canary = served(r, 'canary');
  return {
    stable: served(r, 'stable'),
    canary: canary && { ...canary, weight: Number(r.canaryWeight) },
    backup: served(r, 'backup'),
    failoverFrom: served(r, 'failover_from'),
  };
};

/** What serves a specialization now. */
export type CurrentRouting = Pick<RoutingChange, 'stable' | 'canary' | 'backup' | 'failoverFrom'> & {
  specialization: string;
  updatedAt: string;
  updatedBy: string | null;
};

/** `routing_changes`: each routing row a change left, and why (written by the routing store). */
export function createRoutingChangeStore(sequelize: Sequelize) {
  return {
    /** Appends what `routing` is now, in the transaction that changed it. */
    async record(routing: Routing, origin: RoutingChangeOrigin, transaction: Transaction): Promise<void> {
      await sequelize.query(
        `INSERT INTO routing_changes (specialization, stable_deployment_id, canary_deployment_id, canary_weight, backup_deployment_id, failover_from_deployment_id, cause, reason, deployment_id, workflow_id, decision_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        {
          bind: [
            routing.specialization,
            routing.stableDeploymentId,
            routing.canaryDeploymentId,
            routing.canaryWeight,
            routing.backupDeploymentId,
            routing.failoverFromDeploymentId ?? null,
            origin.cause,
            origin.reason.slice(0, 2_000),
            origin.deploymentId ?? null,
            origin.workflowId ?? null,
            origin.decisionKey ?? null,
          ],
          transaction,
        },
      );
    },

    /** A specialization's changes, newest first, `limit` of them before change id `before` (paging). */
    async list(specialization: string, limit: number, before?: string): Promise<RoutingChange[]> {
      const rows = await sequelize.query<Row>(
        `SELECT c.id::text AS id, c.changed_at AS "changedAt", c.canary_weight AS "canaryWeight", c.cause, c.reason,
                c.deployment_id AS "deploymentId", coalesce(c.workflow_id, origin.workflow_id) AS "workflowId", c.decision_key AS "decisionKey", ${TRACK_COLUMNS}
           FROM routing_changes c
           LEFT JOIN deployments origin ON origin.id = c.deployment_id
           ${TRACK_JOINS}
          WHERE c.specialization = $1 AND ($2::bigint IS NULL OR c.id < $2::bigint)
          ORDER BY c.id DESC LIMIT $3`,
        { bind: [specialization, before ?? null, limit], type: QueryTypes.SELECT },
      );
      return rows.map((r) => ({
        id: r.id as string,
        changedAt: new Date(r.changedAt as Date).toISOString(),
        ...tracksOf(r),
        cause: r.cause as RoutingCause,
        reason: r.reason as string,
        deploymentId: (r.deploymentId as string | null) ?? null,
        workflowId: (r.workflowId as string | null) ?? null,
        decisionKey: (r.decisionKey as string | null) ?? null,
      }));
    },

    /** When the change after `id` was made (what ended the routing `id` left); null for the newest. */
    async endOf(specialization: string, id: string): Promise<string | null> {
      const [row] = await sequelize.query<{ changedAt: Date }>(
        'SELECT changed_at AS "changedAt" FROM routing_changes WHERE specialization = $1 AND id > $2::bigint ORDER BY id LIMIT 1',
        { bind: [specialization, id], type: QueryTypes.SELECT },
      );
      return row ? new Date(row.changedAt).toISOString() : null;
    },

    /** The routing row of a specialization with the model behind each track; undefined when it has none. */
    async current(specialization: string): Promise<CurrentRouting | undefined> {
      const [r] = await sequelize.query<Row>(
        `SELECT c.specialization, c.canary_weight AS "canaryWeight", c.updated_at AS "updatedAt", c.updated_by AS "updatedBy", ${TRACK_COLUMNS}
           FROM routing c ${TRACK_JOINS} WHERE c.specialization = $1`,
        { bind: [specialization], type: QueryTypes.SELECT },
      );
      if (!r) return undefined;
      return currentOf(r);
    },

    /** What serves every routed specialization (within a scoped token's; undefined = all), by name. */
    async all(within: string[] | undefined): Promise<CurrentRouting[]> {
      const rows = await sequelize.query<Row>(
        `SELECT c.specialization, c.canary_weight AS "canaryWeight", c.updated_at AS "updatedAt", c.updated_by AS "updatedBy", ${TRACK_COLUMNS}
           FROM routing c ${TRACK_JOINS} WHERE ($1::text[] IS NULL OR c.specialization = ANY($1::text[]))
          ORDER BY c.specialization`,
        { bind: [within ?? null], type: QueryTypes.SELECT },
      );
      return rows.map(currentOf);
    },
  };
}

export type RoutingChangeStore = ReturnType<typeof createRoutingChangeStore>;

function currentOf(r: Row): CurrentRouting {
  return {
    specialization: r.specialization as string,
    ...tracksOf(r),
    updatedAt: new Date(r.updatedAt as Date).toISOString(),
    updatedBy: (r.updatedBy as string | null) ?? null,
  };
}
