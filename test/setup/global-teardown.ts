import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__NW_TEST__;
  if (!state) return;
  await Promise.allSettled([state.temporal?.stop(), state.database.drop()]);
  fs.rmSync(state.workDir, { recursive: true, force: true });
}
