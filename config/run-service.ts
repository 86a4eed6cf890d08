/**
 * The scaffolding of a process that runs one local service (`npm run db`, `npm run temporal`,
 * `npm run relaycore:emulator`): start it, stop it once on SIGINT, SIGTERM or SIGHUP and exit 0;
 * a start that fails prints `<name>: <reason>` and exits 1. `start` returns how to stop, or
 * nothing when there is nothing to run (the service is external).
 */
export function runService(name: string, start: () => Promise<(() => Promise<void>) | undefined>): void {
  start()
    .then((stop) => {
      if (!stop) return;
      let stopping = false;
      const shutdown = async () => {
        if (stopping) return;
        stopping = true;
        await stop();
        process.exit(0);
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => void shutdown());
    })
    .catch((err) => {
      console.error(`${name}: ${(err as Error).message}`);
      process.exit(1);
    });
}
