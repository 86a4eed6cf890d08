import type { Sequelize, Transaction } from 'sequelize';
import { rollbackSwitchKey } from '../../workflows/deployment-types';
import type { SwitchDecision } from '../../workflows/watchdog/types';
import { modelsOf, type Deployment as DeploymentRow } from '../models';
import type { DeploymentStore } from './deployments';
import type { RoutingChangeStore } from './routing-changes';
import type { SwitchEventStore } from './switch-events';

/**
 * `routing`: what serves each specialization, and every change to it — a rollout's canary steps,
 * promotion and rollback, the watchdog's switches — each as one transaction with the rows that
 * change with it (deployment statuses, the model's status, the switch event).
 */
export function createRoutingStore(
  sequelize: Sequelize,
  switchEvents: SwitchEventStore,
  changes: RoutingChangeStore,
  deployments: Pick<DeploymentStore, 'recordDecision'>,
) {
  const { Deployment, ModelRecord, Routing } = modelsOf(sequelize);

  /** A rollback that changed what serves is a switch event like the watchdog's (once per deployment). */
  async function recordRollbackSwitch(
    rolledBack: DeploymentRow,
    restored: DeploymentRow | null,
    reason: string,
    by: string,
    transaction: Transaction,
  ) {
    const key = rollbackSwitchKey(rolledBack.id);
    if (await switchEvents.recorded(key, transaction)) return;
    await switchEvents.record(
      {
        key,
        action: 'rollback',
        at: new Date().toISOString(),
        reason,
        specialization: rolledBack.specialization,
        fromDeploymentId: rolledBack.id,
        fromModelId: rolledBack.modelId,
        toDeploymentId: restored?.id ?? null,
        toModelId: restored?.modelId ?? null,
        stats: null,
        thresholdsVersion: null,
        workflowId: rolledBack.workflowId ?? `deployment-${rolledBack.specialization}`,
        by,
      },
      transaction,
    );
  }

  return {
    async currentStable(specialization: string): Promise<string | null> {
      return (await Routing.findByPk(specialization))?.stableDeploymentId ?? null;
    },

    /** The canary takes `weight` % of traffic; its deployment is rolling out. */
    async setCanaryWeight(p: { specialization: string; deploymentId: string; weight: number }): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        const [routing] = await Routing.findOrCreate({
          where: { specialization: p.specialization },
          defaults: {
            specialization: p.specialization,
            stableDeploymentId: null,
            canaryDeploymentId: null,
            backupDeploymentId: null,
            updatedBy: null,
          },
          transaction,
        });
        await routing.update(
          { canaryDeploymentId: p.deploymentId, canaryWeight: p.weight, updatedBy: `deployment:${p.deploymentId}` },
          { transaction },
        );
        await Deployment.update({ status: 'rolling_out' }, { where: { id: p.deploymentId }, transaction });
        await changes.record(
          routing,
          { cause: 'canary-step', reason: `canary at ${p.weight}%`, deploymentId: p.deploymentId },
          transaction,
        );
      });
    },

    /** Takes the canary out of traffic; the stable deployment is untouched. */
    async removeCanary(p: { specialization: string; deploymentId: string }): Promise<void> {
      await sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(p.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        if (routing?.canaryDeploymentId !== p.deploymentId) return;
        await routing.update(
          { canaryDeploymentId: null, canaryWeight: 0, updatedBy: `deployment:${p.deploymentId}` },
          { transaction },
        );
        await changes.record(
          routing,
          { cause: 'canary-removed', reason: 'the rollout ended without promotion', deploymentId: p.deploymentId },
          transaction,
        );
      });
    },

    /** A promoted deployment steps down: its backup serves again (idempotent). */
    async restoreBackup(p: {
      specialization: string;
      deploymentId: string;
      reason: string;
      requestedBy?: string;
    }): Promise<{ restoredDeploymentId: string | null; restoredModelId: string | null }> {
      return sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(p.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        const servingChanges = routing?.stableDeploymentId === p.deploymentId;
        if (servingChanges) {
          await routing.update(
            {
              stableDeploymentId: routing.backupDeploymentId,
              backupDeploymentId: null,
              canaryDeploymentId: null,
              canaryWeight: 0,
              failoverFromDeploymentId: null,
              updatedBy: `rollback:${p.deploymentId}`,
            },
            { transaction },
          );
          if (routing.stableDeploymentId)
            await Deployment.update({ status: 'promoted' }, { where: { id: routing.stableDeploymentId }, transaction });
          await changes.record(
            routing,
            { cause: 'rollback', reason: p.reason, deploymentId: p.deploymentId },
            transaction,
          );
        } else if (routing && routing.failoverFromDeploymentId === p.deploymentId) {
          // Rolled back while the watchdog has failed away from it: the backup already serves and
          // stays; the failover is over, so nothing may switch the rolled-back model back.
          await routing.update(
            { backupDeploymentId: null, failoverFromDeploymentId: null, updatedBy: `rollback:${p.deploymentId}` },
            { transaction },
          );
          if (routing.stableDeploymentId)
            await Deployment.update({ status: 'promoted' }, { where: { id: routing.stableDeploymentId }, transaction });
          await changes.record(
            routing,
            {
              cause: 'rollback',
              reason: `${p.reason} (during a failover away from it: the failover ends)`,
              deploymentId: p.deploymentId,
            },
            transaction,
          );
        }
        await Deployment.update(
          { status: 'rolled_back', reason: p.reason },
          { where: { id: p.deploymentId }, transaction },
        );
        const restored = routing?.stableDeploymentId
          ? await Deployment.findByPk(routing.stableDeploymentId, { transaction })
          : null;
        const rolledBack = servingChanges ? await Deployment.findByPk(p.deploymentId, { transaction }) : null;
        if (rolledBack)
          await recordRollbackSwitch(rolledBack, restored, p.reason, p.requestedBy ?? 'unknown', transaction);
        // The decision on the deployment, in the same transaction (a rollout that rolls itself back
        // records the same key, so it stays one decision).
        const outcome = restored ? `${restored.id} serves` : 'nothing serves the specialization now';
        await deployments.recordDecision(
          p.deploymentId,
          { key: 'rolled_back', kind: 'rolled-back', at: new Date().toISOString(), message: `${p.reason}; ${outcome}` },
          transaction,
        );
        return { restoredDeploymentId: restored?.id ?? null, restoredModelId: restored?.modelId ?? null };
      });
    },

    /** The new deployment becomes stable; the previous stable is remembered as the backup. Idempotent. */
    async promote(p: { specialization: string; deploymentId: string }): Promise<{ backupDeploymentId: string | null }> {
      return sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(p.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        if (routing?.stableDeploymentId === p.deploymentId) return { backupDeploymentId: routing.backupDeploymentId };
        const previous = routing?.stableDeploymentId ?? null;
        const dropped = routing?.backupDeploymentId ?? null;
        // A promotion ends any watchdog failover: the new model is the primary from now on.
        const values = {
          stableDeploymentId: p.deploymentId,
          canaryDeploymentId: null,
          canaryWeight: 0,
          backupDeploymentId: previous,
          failoverFromDeploymentId: null,
          updatedBy: `deployment:${p.deploymentId}`,
        };
        const row = routing
          ? await routing.update(values, { transaction })
          : await Routing.create({ specialization: p.specialization, ...values }, { transaction });
        await changes.record(
          row,
          {
            cause: 'promotion',
            reason: previous
              ? `promoted; ${previous} kept as backup`
              : 'promoted (the first model of the specialization)',
            deploymentId: p.deploymentId,
          },
          transaction,
        );
        const deployment = (await Deployment.findByPk(p.deploymentId, { transaction }))!;
        await deployment.update({ status: 'promoted', deployedAt: new Date(), reason: null }, { transaction });
        await ModelRecord.update({ status: 'deployed' }, { where: { id: deployment.modelId }, transaction });
        if (previous) await Deployment.update({ status: 'superseded' }, { where: { id: previous }, transaction });
        // The old backup leaves routing: its model serves no more, unless it also is the new stable or backup.
        if (dropped && dropped !== p.deploymentId && dropped !== previous) {
          const servingNow = await Deployment.findAll({
            where: { id: [p.deploymentId, ...(previous ? [previous] : [])] },
            attributes: ['modelId'],
            transaction,
          });
          const droppedModel = (await Deployment.findByPk(dropped, { attributes: ['modelId'], transaction }))?.modelId;
          if (droppedModel && !servingNow.some((d) => d.modelId === droppedModel))
            await ModelRecord.update(
              { status: 'retired' },
              { where: { id: droppedModel, status: 'deployed' }, transaction },
            );
        }
        return { backupDeploymentId: previous };
      });
    },

    /**
     * Applies a watchdog decision: the switch event and the routing change in one transaction, once
     * per decision key. A retry after a crash finds the event and changes nothing; a routing that
     * moved on meanwhile (a promotion) is not overwritten.
     */
    async applySwitch(decision: SwitchDecision): Promise<{ applied: boolean; conflict?: string }> {
      return sequelize.transaction(async (transaction) => {
        const routing = await Routing.findByPk(decision.specialization, { transaction, lock: transaction.LOCK.UPDATE });
        if (await switchEvents.recorded(decision.key, transaction)) return { applied: false };
        if (!routing || routing.stableDeploymentId !== decision.fromDeploymentId) {
          return {
            applied: false,
            conflict: `routing of ${decision.specialization} no longer serves ${decision.fromDeploymentId}`,
          };
        }
        // A switch back goes only to the deployment the failover came from, and only while it is one
        // (a rollback of that deployment during the failover ended it).
        if (decision.action === 'rollback' && routing.failoverFromDeploymentId !== decision.toDeploymentId) {
          return {
            applied: false,
            conflict: `${decision.toDeploymentId} is no longer the deployment ${decision.specialization} failed over from`,
          };
        }
        await routing.update(
          decision.action === 'switch'
            ? {
                stableDeploymentId: decision.toDeploymentId,
                backupDeploymentId: decision.fromDeploymentId,
                failoverFromDeploymentId: decision.fromDeploymentId,
                updatedBy: `watchdog:${decision.key}`,
              }
            : {
                stableDeploymentId: decision.toDeploymentId,
                backupDeploymentId: decision.fromDeploymentId,
                failoverFromDeploymentId: null,
                updatedBy: `watchdog:${decision.key}`,
              },
          { transaction },
        );
        await switchEvents.record(decision, transaction);
        await changes.record(
          routing,
          {
            cause: decision.action === 'switch' ? 'watchdog-switch' : 'watchdog-switch-back',
            reason: `${decision.reason} (by ${decision.by})`,
            workflowId: decision.workflowId,
            decisionKey: decision.key,
          },
          transaction,
        );
        return { applied: true };
      });
    },
  };
}

export type RoutingStore = ReturnType<typeof createRoutingStore>;
