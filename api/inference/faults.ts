/** An injected fault: extra latency and/or a fraction of failed requests for one model, for `ttl` seconds. */
export interface Fault {
  modelId: string;
  latencyMs: number;
  errorRate: number;
  ttl: number;
  createdAt: string;
  expiresAt: string;
  createdBy: string;
}

export type FaultSpec = Pick<Fault, 'modelId' | 'ttl'> & { latencyMs?: number; errorRate?: number };

/**
 * Faults for tests and demos (NW_ENABLE_FAULTS=1, never in production): held in this API process
 * only, one per model, gone when their ttl runs out.
 */
export class FaultRegistry {
  private readonly faults = new Map<string, Fault & { expiresAtMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  set(spec: FaultSpec, createdBy: string): Fault {
    const now = this.now();
    const expiresAtMs = now + spec.ttl * 1_000;
    const fault = {
      modelId: spec.modelId,
      latencyMs: spec.latencyMs ?? 0,
      errorRate: spec.errorRate ?? 0,
      ttl: spec.ttl,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(expiresAtMs).toISOString(),
      createdBy,
    };
    this.faults.set(spec.modelId, { ...fault, expiresAtMs });
    return fault;
  }

  get(modelId: string): Fault | undefined {
    const fault = this.faults.get(modelId);
    if (!fault) return undefined;
    if (fault.expiresAtMs <= this.now()) {
      this.faults.delete(modelId);
      return undefined;
    }
    return strip(fault);
  }

  list(): Fault[] {
    return [...this.faults.keys()].map((id) => this.get(id)).filter((f): f is Fault => f !== undefined);
  }

  delete(modelId: string): boolean {
    return this.get(modelId) !== undefined && this.faults.delete(modelId);
  }
}

function strip({ expiresAtMs: _, ...fault }: Fault & { expiresAtMs: number }): Fault {
  return fault;
}
