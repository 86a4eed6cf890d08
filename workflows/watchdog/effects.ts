/**
 * The watchdog's writes, in workflow code: alerts raised and resolved, routing switched, and the
 * deliveries (webhook, RelayCore) each starts. Every write is keyed by the run's sequence, so
 * retries and replays repeat none of them.
 */
import { isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import { Deliveries } from '../deliveries';
import { db, delivery } from './activity-proxies';
import { switchDecision, type SwitchRequest } from './records';
import type { PendingDelivery, SwitchDecision, WatchdogRunState } from './types';

/** How many of the newest windows and refused deliveries the state keeps. */
export const RECENT_WINDOWS = 20;

export type WatchdogAlertClass = 'performance-degraded' | 'no-healthy-backup';

export type WatchdogEffects = ReturnType<typeof watchdogEffects>;

/** Starts again the deliveries a previous run left under way (same idempotency keys: receivers dedupe). */
export function watchdogEffects(s: WatchdogRunState) {
  const info = workflowInfo();
  const { specialization } = s;
  // Deliveries run beside the evaluation: an outage must not stall it, and a refusal is recorded
  // (the alert row says so; the state lists it), never left unhandled.
  const deliveries = new Deliveries(async (what, reason) => {
    s.undeliverable = [...(s.undeliverable ?? []), { what, reason, at: new Date().toISOString() }].slice(
      -RECENT_WINDOWS,
    );
  });
  const recordRefusedSwitch = async (key: string, reason: string) => {
    if (!patched('switch-refusal-recorded')) return;
    try {
      await db.recordSwitchUndeliverable({ key, reason });
    } catch (err) {
      if (isCancellation(err)) throw err; // the state keeps the refusal either way
    }
  };
  /** Starts a delivery and keeps it in the state until it ends, so a continue-as-new can carry it over. */
  const deliver = (d: PendingDelivery) => {
    s.pendingDeliveries = [...(s.pendingDeliveries ?? []), d];
    const run = d.kind === 'alert' ? delivery.deliverAlert(d.alert) : delivery.updateRelayCoreRoute(d.route);
    deliveries.add(
      d.what,
      run.finally(() => {
        s.pendingDeliveries = (s.pendingDeliveries ?? []).filter((p) => p !== d);
      }),
      // A switch RelayCore refused says so on its switch event (runs before this recorded it in the state only).
      d.kind === 'relaycore-route' ? (reason) => recordRefusedSwitch(d.route.idempotencyKey, reason) : undefined,
    );
  };
  const carried = s.pendingDeliveries ?? [];
  s.pendingDeliveries = [];
  carried.forEach(deliver);
  const nextKey = () => `${info.workflowId}:${info.firstExecutionRunId}:${++s.sequence}`;

  return {
    /** Every delivery started so far, delivered or recorded as undeliverable. */
    settled: () => deliveries.settled(),

    async raise(
      alertClass: WatchdogAlertClass,
      modelId: string,
      severity: 'warning' | 'critical',
      summary: string,
      details: Record<string, unknown>,
    ): Promise<void> {
      const alert = await db.raiseAlert({
        alertClass,
        specialization,
        modelId,
        severity,
        summary,
        details,
        key: nextKey(),
      });
      if (alert.changed)
        deliver({
          what: `alert ${alert.alertId} firing`,
          kind: 'alert',
          alert: { alertId: alert.alertId, status: 'firing', count: alert.count },
        });
    },

    async resolve(alertClass: WatchdogAlertClass, modelId: string | null, reason: string): Promise<void> {
      for (const alert of await db.resolveAlerts({ specialization, modelId, alertClass, reason, key: nextKey() })) {
        deliver({
          what: `alert ${alert.alertId} resolved`,
          kind: 'alert',
          alert: { alertId: alert.alertId, status: 'resolved', count: alert.count },
        });
      }
    },

    /**
     * One routing change: the switch event and the routing row in one transaction, then RelayCore.
     * Undefined when routing moved on under us (a promotion): nothing switched; the next window follows it.
     */
    async switchTo(request: SwitchRequest): Promise<SwitchDecision | undefined> {
      const decision = switchDecision(s, request, {
        key: nextKey(),
        at: new Date().toISOString(),
        workflowId: info.workflowId,
      });
      const { conflict } = await db.switchRouting(decision);
      if (conflict) return undefined;
      s.lastDecision = decision;
      deliver({
        what: `RelayCore route of ${decision.key}`,
        kind: 'relaycore-route',
        route: {
          specialization,
          modelId: request.to.modelId,
          reason: `watchdog ${request.action}: ${request.reason}`,
          idempotencyKey: decision.key,
        },
      });
      return decision;
    },
  };
}
