import type { Sequelize } from 'sequelize';
import { modelsOf } from '../../db/models';
import type { SwitchEventStore } from '../../db/stores/switch-events';
import type { SwitchDecision } from '../../workflows/watchdog/types';

export function createSwitchingActivities({ sequelize, switchEvents }: { sequelize: Sequelize; switchEvents: SwitchEventStore }) {
  const { Routing } = modelsOf(sequelize);
  return {
    /**
     * Applies a watchdog decision: the switch event and the routing change in one transaction, once
     * per decision key. A retry after a crash finds the event and changes nothing; a routing that
     * moved on meanwhile (a promotion) is not overwritten.
     */
    async switchRouting(decision: SwitchDecision): Promise<{ applied: boolean; conflict?: string }> {
      return sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(decision.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        if (await switchEvents.recorded(decision.key, transaction)) return { applied: false };
        if (!routing || routing.stableDeploymentId !== decision.fromDeploymentId) {
          return { applied: false, conflict: `routing of ${decision.specialization} no longer serves ${decision.fromDeploymentId}` };
        }
        await routing.update(
          decision.action === 'switch'
            ? { stableDeploymentId: decision.toDeploymentId, backupDeploymentId: decision.fromDeploymentId, failoverFromDeploymentId: decision.fromDeploymentId, updatedBy: `watchdog:${decision.key}` }
            : { stableDeploymentId: decision.toDeploymentId, backupDeploymentId: decision.fromDeploymentId, failoverFromDeploymentId: null, updatedBy: `watchdog:${decision.key}` },
          { transaction },
        );
        await switchEvents.record(decision, transaction);
        return { applied: true };
      });
    },
  };
}
