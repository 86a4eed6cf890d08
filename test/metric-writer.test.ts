import { createLogger } from '../config/logger';
import { PerformanceMetricWriter, type MetricRow } from '../api/inference/metric-writer';

const row = (i: number): MetricRow => ({
  modelId: 'm',
  deploymentId: 'd',
  metricType: 'inference_latency_ms',
  metricValue: i,
  timestamp: new Date(),
  metadata: { ok: true },
});

/** A database that refuses inserts until `downUntil` (a restart, a failover), then keeps every row it takes. */
function flakyDatabase(downForMs: number) {
  const downUntil = Date.now() + downForMs;
  const written: MetricRow[] = [];
  let refused = 0;
  return {
    written,
    refused: () => refused,
    serving: {
      insertMetrics: async (rows: MetricRow[]) => {
        if (Date.now() < downUntil) {
          refused++;
          throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        }
        written.push(...rows);
      },
    },
  };
}

describe('performance metric writer at shutdown', () => {
  const logger = createLogger('test', 'error');

  it('keeps trying to write what it holds until the grace deadline while the database is down', async () => {
    const db = flakyDatabase(1_000);
    const writer = new PerformanceMetricWriter({ serving: db.serving, logger, flushIntervalMs: 60_000 });
    for (let i = 0; i < 450; i++) writer.push(row(i));
    await writer.close(Date.now() + 5_000);
    expect(db.refused()).toBeGreaterThan(0);
    expect(db.written.map((r) => r.metricValue)).toEqual(Array.from({ length: 450 }, (_, i) => i));
  });

  it('gives up at the deadline, not before and not never', async () => {
    const db = flakyDatabase(60_000);
    const writer = new PerformanceMetricWriter({ serving: db.serving, logger, flushIntervalMs: 60_000 });
    writer.push(row(1));
    await writer.close(Date.now() + 1_000);
    expect(db.refused()).toBeGreaterThan(1);
    expect(db.written).toEqual([]);
  });
});
