import type { RoutingStore } from '../../db/stores/routing';
import type { SwitchDecision } from '../../workflows/watchdog/types';

export function createSwitchingActivities({ routing }: { routing: RoutingStore }) {
  return {
    /** Applies a watchdog decision once per decision key (see RoutingStore.applySwitch). */
    switchRouting: (decision: SwitchDecision): Promise<{ applied: boolean; conflict?: string }> => routing.applySwitch(decision),
  };
}
