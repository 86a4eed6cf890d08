import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { testServices } from './env';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');
const run = promisify(execFile);

/**
 * With NW_RECORD_HISTORIES=1, saves the workflow's history (as the Temporal CLI exports it) to
 * test/histories/<name>.json, which test/replay.test.ts replays against the current bundle in
 * every run. Without it, does nothing: histories change only when someone re-records on purpose.
 */
export async function recordHistory(
  handle: WorkflowHandle,
  name: string,
  { address, runId }: { address?: string; runId?: string } = {},
): Promise<void> {
  if (process.env.NW_RECORD_HISTORIES !== '1') return;
  const { temporalCli, temporalAddress: devServer } = testServices();
  // The dev server's, unless the workflow ran on another server (the time-skipping one).
  const temporalAddress = address ?? devServer;
  const { stdout } = await run(
    temporalCli,
    [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      // One run of a chain of continue-as-new; without it, the latest.
      ...(runId ? ['--run-id', runId] : []),
      '--output',
      'json',
      '--address',
      temporalAddress,
    ],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${JSON.stringify(JSON.parse(stdout), null, 1)}\n`);
}
