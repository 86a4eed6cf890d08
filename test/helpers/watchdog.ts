import { serveApi } from '../../api/server';
import type { TestApp } from './app';

export { startAlertReceiver, type ReceivedAlert } from '../../support/alert-receiver';
export { writeThresholds } from '../../support/thresholds-file';

/** Serves the test app over HTTP on its configured PORT, where the worker's probes reach it. */
export function serveApp(t: TestApp) {
  const server = serveApi(t.app.fetch, { port: t.config.port, hostname: '127.0.0.1' });
  return () => new Promise<void>((r) => server.close(() => r()));
}
