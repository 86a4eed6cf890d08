/**
 * Deliveries a workflow runs beside its own work (RelayCore calls, alert webhooks). Each gets its
 * handler the moment it starts: a delivery the receiver rejected (a 4xx, not retried) is handed to
 * `onUndeliverable` to be recorded, and never becomes an unhandled rejection — which the SDK would
 * turn into a failed workflow task, repeated on every replay, wedging the workflow.
 */
import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';

/** "undeliverable: 400 RelayCore PUT … answered 400: {…}" from an activity's failure. */
export function undeliverableReason(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const details =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as { status?: number } | undefined) : undefined;
  const message = (cause as Error | undefined)?.message ?? String(err);
  return `undeliverable: ${details?.status ?? ''}${details?.status ? ' ' : ''}${message}`.slice(0, 2_000);
}

export class Deliveries {
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly onUndeliverable: (what: string, reason: string) => Promise<void>) {}

  /**
   * Runs `delivery` beside the workflow; `what` names it in the record of a rejection, and
   * `onRefused`, where given, records it where the decision it delivers is kept too.
   */
  add(what: string, delivery: Promise<unknown>, onRefused?: (reason: string) => Promise<void>): void {
    this.pending.push(
      delivery.then(
        () => undefined,
        async (err: unknown) => {
          // Cancelled with the workflow: nothing was refused, nothing to record.
          if (isCancellation(err)) return;
          const reason = undeliverableReason(err);
          await this.onUndeliverable(what, reason);
          await onRefused?.(reason);
        },
      ),
    );
  }

  /** Every delivery started so far, delivered or recorded as undeliverable; never rejects for a rejection. */
  async settled(): Promise<void> {
    await Promise.all(this.pending);
  }
}
