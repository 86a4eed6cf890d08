import type { WindowStats } from './evaluate';
import type { IncidentReport } from './types';

/** Before incidents were evidence: every reported request and error counted in full (replayed runs only). */
export function withIncidentsCounted(stats: WindowStats, incidents: IncidentReport[]): WindowStats {
  return incidents.reduce((w, i) => ({ ...w, requests: w.requests + i.requests, errors: w.errors + i.errors }), stats);
}

/**
 * Reported incidents as evidence, not a verdict: they corroborate what the watchdog observes. Scaled
 * so that they add at most as many requests as the window observed itself and at most as many
 * errors as it saw itself: a model the watchdog sees failing is caught sooner, while reports about
 * one it sees healthy add nothing — repeated reports can neither switch production nor keep a
 * recovered primary from returning.
 */
export function withIncidentEvidence(stats: WindowStats, incidents: IncidentReport[]): WindowStats {
  const reported = incidents.reduce(
    (sum, i) => ({ requests: sum.requests + i.requests, errors: sum.errors + i.errors }),
    { requests: 0, errors: 0 },
  );
  if (reported.requests === 0) return stats;
  const scale = Math.min(
    1,
    stats.requests / reported.requests,
    reported.errors > 0 ? stats.errors / reported.errors : 1,
  );
  const requests = Math.floor(reported.requests * scale);
  const errors = Math.min(requests, Math.floor(reported.errors * scale));
  return { ...stats, requests: stats.requests + requests, errors: stats.errors + errors };
}
