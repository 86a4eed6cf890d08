import { execFileSync } from 'node:child_process';
import type { GpuAllocator, GpuLease } from '../activities/training/train';

/** GPUs this worker hands out: NW_GPU_SLOTS when set, else what `nvidia-smi -L` lists, else none. */
export function detectGpuCount(configured: number | undefined): number {
  if (configured !== undefined) return configured;
  try {
    const out = execFileSync('nvidia-smi', ['-L'], {
      encoding: 'utf8',
      timeout: 5_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\n').filter((l) => l.startsWith('GPU ')).length;
  } catch {
    return 0;
  }
}

export type { GpuLease };

/**
 * One GPU per training activity. The training worker runs at most `count` activities at once
 * (at least one when there are no GPUs: CPU jobs), so a free slot exists whenever one is asked for.
 */
export class GpuSlots implements GpuAllocator {
  private readonly free: number[];

  constructor(readonly count: number) {
    this.free = Array.from({ length: count }, (_, i) => i);
  }

  acquire(wantsGpu: boolean): GpuLease {
    const slot = wantsGpu ? this.free.shift() : undefined;
    if (slot === undefined) return { cudaVisibleDevices: '', device: 'cpu', release: () => undefined };
    let released = false;
    return {
      cudaVisibleDevices: String(slot),
      device: `gpu:${slot}`,
      release: () => {
        if (released) return;
        released = true;
        this.free.push(slot);
        this.free.sort((a, b) => a - b);
      },
    };
  }
}
