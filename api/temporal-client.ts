import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { Config } from '../config/env';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { clientTracing } from '../temporal/tracing';

/**
 * The API's one Temporal client. Lazy, so the API starts while Temporal is still coming up; with
 * few, quick retries, so an HTTP caller hears 503 within about a second rather than waiting out
 * the SDK's default backoff.
 */
export function createTemporalClient(config: Pick<Config, 'temporal'>) {
  const connection = Connection.lazy({
    ...temporalConnectionOptions(config),
    connectTimeout: 2_000,
    interceptors: [
      makeGrpcRetryInterceptor(
        defaultGrpcRetryOptions({ maxAttempts: 3, initialIntervalMs: () => 100, maxIntervalMs: () => 500 }),
      ),
    ],
  });
  // Starts, signals and queries carry the request's trace into the workflow (Temporal headers).
  return {
    connection,
    client: new Client({ connection, namespace: config.temporal.namespace, interceptors: clientTracing() }),
  };
}
