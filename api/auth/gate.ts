import type { Context } from 'hono';
import { levelAtLeast } from '../../auth/token';
import type { ThresholdsStore } from '../../db/stores/thresholds';
import type { GateChoice } from '../../workflows/deployment-types';
import { judgeGate, type Gate, type GateRequest } from '../../workflows/gate-policy';
import { gatePolicyFor } from '../../config/performance-thresholds';
import type { AppEnv } from '../deps';
import { ApiError } from '../errors';

/**
 * The gate a rollout runs with: the request over its specialization's gate policy. A gate weaker
 * than the policy needs admin (403 naming every weaker field otherwise); the choice — who, at which
 * level, against which policy version, what is weaker — travels with the rollout and opens its log.
 * `fieldPrefix` says where the request's gate fields are in the body (`body.` or `body.deploy.`).
 */
export async function chooseGate(
  c: Context<AppEnv>,
  thresholds: ThresholdsStore,
  request: GateRequest,
  placement: { specialization: string; modelSpecialization: string | null },
  fieldPrefix: string,
): Promise<{ gate: Gate; choice: GateChoice }> {
  const principal = c.get('principal');
  const current = await thresholds.current();
  const { gate, weakened } = judgeGate(gatePolicyFor(current.thresholds, placement.specialization), request, placement);
  if (weakened.length > 0 && !levelAtLeast(principal.level, 'admin')) {
    throw new ApiError(
      403,
      'forbidden',
      `the requested health gate is weaker than the gate policy for ${placement.specialization}: weakening it needs admin`,
      {
        fields: weakened.map((w) => ({
          field: w.field === 'specialization' ? 'body.specialization' : `${fieldPrefix}${w.field}`,
          message: `${JSON.stringify(w.requested)} is weaker than the policy's ${JSON.stringify(w.policy)}`,
        })),
        policyVersion: current.version,
      },
    );
  }
  return {
    gate,
    choice: {
      policyVersion: current.version,
      chosenBy: principal.sub,
      level: principal.level,
      weakened,
      at: new Date().toISOString(),
    },
  };
}
