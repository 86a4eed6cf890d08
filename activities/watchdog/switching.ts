import { QueryTypes, type Sequelize } from 'sequelize';
import { Routing } from '../../db/models';
import type { SwitchDecision } from '../../workflows/watchdog/types';

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
  createdAt: string;
}

export function createSwitchingActivities({ sequelize }: { sequelize: Sequelize }) {
  return {
    /**
     * Applies a watchdog decision: the switch event and the routing change in one transaction, once
     * per decision key. A retry after a crash finds the event and changes nothing; a routing that
     * moved on meanwhile (a promotion) is not overwritten.
     */
    async switchRouting(decision: SwitchDecision): Promise<{ applied: boolean; conflict?: string }> {
      return sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(decision.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        const [done] = await sequelize.query('SELECT 1 FROM model_switch_events WHERE idempotency_key = $1', { bind: [decision.key], type: QueryTypes.SELECT, transaction });
        if (done) return { applied: false };
        if (!routing || routing.stableDeploymentId !== decision.fromDeploymentId) {
          return { applied: false, conflict: `routing of ${decision.specialization} no longer serves ${decision.fromDeploymentId}` };
        }
        await routing.update(
          decision.action === 'switch'
            ? { stableDeploymentId: decision.toDeploymentId, backupDeploymentId: decision.fromDeploymentId, failoverFromDeploymentId: decision.fromDeploymentId, updatedBy: `watchdog:${decision.key}` }
            : { stableDeploymentId: decision.toDeploymentId, backupDeploymentId: decision.fromDeploymentId, failoverFromDeploymentId: null, updatedBy: `watchdog:${decision.key}` },
          { transaction },
        );
        await sequelize.query(
          `INSERT INTO model_switch_events (specialization, from_model_id, to_model_id, action, reason, stats, thresholds_version, workflow_id, idempotency_key)
           VALUES ($1, $2, $3, $4, $5, CAST($6 AS jsonb), $7, $8, $9)`,
          {
            bind: [decision.specialization, decision.fromModelId, decision.toModelId, decision.action, decision.reason, JSON.stringify({ ...decision.stats, by: decision.by, fromDeploymentId: decision.fromDeploymentId, toDeploymentId: decision.toDeploymentId, decidedAt: decision.at }), decision.thresholdsVersion, decision.workflowId, decision.key],
            transaction,
          },
        );
        return { applied: true };
      });
    },
  };
}

/** Switch events of a specialization, newest first. */
export async function switchEvents(sequelize: Sequelize, specialization: string, limit: number): Promise<SwitchEvent[]> {
  const rows = await sequelize.query<Omit<SwitchEvent, 'createdAt'> & { createdAt: Date }>(
    `SELECT id, specialization, from_model_id AS "fromModelId", to_model_id AS "toModelId", action, reason, stats,
            thresholds_version AS "thresholdsVersion", workflow_id AS "workflowId", idempotency_key AS "idempotencyKey", created_at AS "createdAt"
       FROM model_switch_events WHERE specialization = $1 ORDER BY created_at DESC LIMIT $2`,
    { bind: [specialization, limit], type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
}
