import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import type { SwitchDecision } from '../../workflows/watchdog/types';

/**
 * A switch event as recorded: a watchdog decision, or a rollout's rollback (no window decided it,
 * and it may leave nothing serving).
 */
export type SwitchRecord = Omit<SwitchDecision, 'stats' | 'thresholdsVersion' | 'toDeploymentId' | 'toModelId'> & {
  stats: SwitchDecision['stats'] | null;
  thresholdsVersion: number | null;
  toDeploymentId: string | null;
  toModelId: string | null;
};

export interface SwitchEvent {
  id: string;
  specialization: string;
  fromModelId: string | null;
  toModelId: string | null;
  action: 'switch' | 'rollback';
  reason: string;
  stats: Record<string, unknown> | null;
  thresholdsVersion: number | null;
  workflowId: string;
  idempotencyKey: string;
  /** Why RelayCore was not told ("undeliverable: 400 …"), or null. */
  undeliverable: string | null;
  createdAt: string;
}

/** `model_switch_events`: what the watchdog switched, why, and with which thresholds. */
export function createSwitchEventStore(sequelize: Sequelize) {
  return {
    /** Switch events of a specialization, or those a model was switched from or to; newest first. */
    async list(of: { specialization: string } | { modelId: string }, limit: number): Promise<SwitchEvent[]> {
      const where = 'modelId' in of ? '(from_model_id = $1 OR to_model_id = $1)' : 'specialization = $1';
      const rows = await sequelize.query<Omit<SwitchEvent, 'createdAt'> & { createdAt: Date }>(
        `SELECT id, specialization, from_model_id AS "fromModelId", to_model_id AS "toModelId", action, reason, stats,
                thresholds_version AS "thresholdsVersion", workflow_id AS "workflowId", idempotency_key AS "idempotencyKey", undeliverable, created_at AS "createdAt"
           FROM model_switch_events WHERE ${where} ORDER BY created_at DESC LIMIT $2`,
        { bind: ['modelId' in of ? of.modelId : of.specialization, limit], type: QueryTypes.SELECT },
      );
      return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
    },

    /** The newest `perSpecialization` switch events of each specialization (within a scope; undefined = all). */
    async latest(perSpecialization: number, within: string[] | undefined): Promise<SwitchEvent[]> {
      const rows = await sequelize.query<Omit<SwitchEvent, 'createdAt'> & { createdAt: Date }>(
        `SELECT id, specialization, "fromModelId", "toModelId", action, reason, stats, "thresholdsVersion", "workflowId", "idempotencyKey", undeliverable, "createdAt"
           FROM (SELECT id, specialization, from_model_id AS "fromModelId", to_model_id AS "toModelId", action, reason, stats,
                        thresholds_version AS "thresholdsVersion", workflow_id AS "workflowId", idempotency_key AS "idempotencyKey",
                        undeliverable, created_at AS "createdAt",
                        row_number() OVER (PARTITION BY specialization ORDER BY created_at DESC) AS rank
                   FROM model_switch_events WHERE ($2::text[] IS NULL OR specialization = ANY($2::text[]))) newest
          WHERE rank <= $1 ORDER BY specialization, "createdAt" DESC`,
        { bind: [perSpecialization, within ?? null], type: QueryTypes.SELECT },
      );
      return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
    },

    /** RelayCore refused to hear of the switch: its row says so (the first refusal is kept). */
    async markUndeliverable(key: string, reason: string): Promise<void> {
      await sequelize.query(
        'UPDATE model_switch_events SET undeliverable = COALESCE(undeliverable, $2) WHERE idempotency_key = $1',
        { bind: [key, reason] },
      );
    },

    async recorded(key: string, transaction: Transaction): Promise<boolean> {
      const [done] = await sequelize.query('SELECT 1 FROM model_switch_events WHERE idempotency_key = $1', {
        bind: [key],
        type: QueryTypes.SELECT,
        transaction,
      });
      return done !== undefined;
    },

    async record(decision: SwitchRecord, transaction: Transaction): Promise<void> {
      await sequelize.query(
        `INSERT INTO model_switch_events (specialization, from_model_id, to_model_id, action, reason, stats, thresholds_version, workflow_id, idempotency_key)
         VALUES ($1, $2, $3, $4, $5, CAST($6 AS jsonb), $7, $8, $9)`,
        {
          bind: [
            decision.specialization,
            decision.fromModelId,
            decision.toModelId,
            decision.action,
            decision.reason,
            JSON.stringify({
              ...decision.stats,
              by: decision.by,
              fromDeploymentId: decision.fromDeploymentId,
              toDeploymentId: decision.toDeploymentId,
              decidedAt: decision.at,
            }),
            decision.thresholdsVersion,
            decision.workflowId,
            decision.key,
          ],
          transaction,
        },
      );
    },
  };
}

export type SwitchEventStore = ReturnType<typeof createSwitchEventStore>;
