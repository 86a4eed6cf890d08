import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../config/logger';
import type { MetricRow, ServingStore } from '../../db/stores/serving';

export type { MetricRow };

export interface MetricWriterOptions {
  serving: Pick<ServingStore, 'insertMetrics'>;
  logger: Logger;
  /** A batch is written this long after its first row at the latest… */
  flushIntervalMs?: number;
  /** …or as soon as it has this many rows. */
  batchSize?: number;
  /** Rows kept while the database is down; beyond this the oldest are dropped (and logged). */
  maxBuffered?: number;
}

/** Between attempts to write the last rows at shutdown. */
const CLOSE_RETRY_MS = 250;

/**
 * Inserts `performance_metrics` rows in batches, off the request path: one INSERT per batch, at
 * most every flushIntervalMs. Rows whose insert fails are retried with the next batch.
 */
export class PerformanceMetricWriter {
  private buffer: MetricRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(private readonly options: MetricWriterOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 500;
    this.batchSize = options.batchSize ?? 200;
    this.maxBuffered = options.maxBuffered ?? 20_000;
  }

  push(row: MetricRow): void {
    this.buffer.push(row);
    if (this.buffer.length > this.maxBuffered) {
      this.dropped += this.buffer.length - this.maxBuffered;
      this.buffer.splice(0, this.buffer.length - this.maxBuffered);
    }
    if (this.buffer.length >= this.batchSize) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered so far; resolves when it is in the table (or has failed and been kept). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.writeAll());
    return this.writing;
  }

  /**
   * Writes what is buffered, retrying while the database is slow or down until `deadline` (epoch
   * ms; default: one attempt): a shutdown spends its grace time on the rows, not on nothing.
   */
  async close(deadline = 0): Promise<void> {
    await this.flush();
    while (this.buffer.length && Date.now() + CLOSE_RETRY_MS < deadline) {
      await sleep(CLOSE_RETRY_MS);
      await this.flush();
    }
    clearTimeout(this.timer);
    if (this.buffer.length)
      this.options.logger.error({ rows: this.buffer.length }, 'inference: performance metrics not written at shutdown');
    this.buffer = [];
  }

  private async writeAll(): Promise<void> {
    if (this.dropped) {
      this.options.logger.warn(
        { rows: this.dropped },
        'inference: dropped performance metrics while the database was unavailable',
      );
      this.dropped = 0;
    }
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, this.batchSize);
      try {
        await this.options.serving.insertMetrics(batch);
      } catch (err) {
        this.buffer.unshift(...batch);
        this.options.logger.warn(
          { err: (err as Error).message, rows: this.buffer.length },
          'inference: writing performance metrics failed; will retry',
        );
        if (!this.timer) {
          this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs * 4);
          this.timer.unref();
        }
        return;
      }
    }
  }
}
