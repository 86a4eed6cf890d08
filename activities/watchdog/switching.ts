import type { RoutingStore } from '../../db/stores/routing';
import type { SwitchEventStore } from '../../db/stores/switch-events';
import type { SwitchDecision } from '../../workflows/watchdog/types';

export function createSwitchingActivities({
  routing,
  switchEvents,
}: {
  routing: RoutingStore;
  switchEvents: SwitchEventStore;
}) {
  return {
    /** Applies a watchdog decision once per decision key (see RoutingStore.applySwitch). */
    switchRouting: (decision: SwitchDecision): Promise<{ applied: boolean; conflict?: string }> =>
      routing.applySwitch(decision),
    /** The switch event with idempotency key `key` records that RelayCore refused it. */
    recordSwitchUndeliverable: (p: { key: string; reason: string }): Promise<void> =>
      switchEvents.markUndeliverable(p.key, p.reason),
  };
}
