import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';

const SHIPPED = parseYaml(fs.readFileSync(path.resolve(__dirname, '..', 'performance_thresholds.yml'), 'utf8')) as {
  defaults: Record<string, unknown> & { thresholds: Record<string, number> };
};

/**
 * The shipped thresholds file with test-speed clocks: 1 s windows, a 3 s cooldown, 3 healthy
 * verdicts to recover. Error rate, accuracy, sample minimums and confidence are the shipped ones;
 * only latency is generous, because a busy CI machine stalls requests for reasons that are not the
 * model's (the latency statistics at the shipped 250 ms are covered by the seeded simulations).
 */
export function writeThresholds(
  defaults: Record<string, unknown>,
  specializations: Record<string, unknown> = {},
): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-thresholds-')), 'performance_thresholds.yml');
  fs.writeFileSync(
    file,
    stringify({
      defaults: {
        ...SHIPPED.defaults,
        evaluationInterval: '1s',
        healthyToRecover: 3,
        cooldown: '3s',
        thresholds: { ...SHIPPED.defaults.thresholds, p95LatencyMs: 30_000 },
        ...defaults,
      },
      specializations,
    }),
  );
  return file;
}
