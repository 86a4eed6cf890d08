import { Counter, Gauge, type Registry } from 'prom-client';
import type { PlatformMetricsStore } from '../db/stores/platform-metrics';

/**
 * What the platform did, read from the database at scrape time (db/stores/platform-metrics.ts): the
 * worker and the API write the rows, so any API replica reports the same numbers.
 */
export function registerPlatformMetrics(registry: Registry, platform: PlatformMetricsStore): void {
  for (const m of platform.definitions) {
    const read = async (apply: (labels: Record<string, string>, value: number) => void, reset: () => void) => {
      let rows: Record<string, unknown>[];
      try {
        rows = await platform.read(m);
      } catch {
        return; // the database is down: keep the last values rather than fail the scrape (health says why)
      }
      reset();
      for (const row of rows)
        apply(Object.fromEntries(m.labelNames.map((l) => [l, String(row[l])])), Number(row.value));
    };
    const options = { name: m.name, help: m.help, labelNames: m.labelNames, registers: [registry] };
    if (m.kind === 'counter') {
      new Counter({
        ...options,
        async collect() {
          await read(
            (labels, value) => this.inc(labels, value),
            () => this.reset(),
          );
        },
      });
    } else {
      new Gauge({
        ...options,
        async collect() {
          await read(
            (labels, value) => this.set(labels, value),
            () => this.reset(),
          );
        },
      });
    }
  }

  new Gauge({
    name: 'database_connections_active',
    help: 'Database connections of this process in use',
    registers: [registry],
    collect() {
      this.set(platform.connectionsInUse());
    },
  });
}
