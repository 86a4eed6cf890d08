import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * Runs one of the bench's load generators (`open-loop.ts`, `closed-loop.ts`) as a process of its
 * own, so its heap and event loop are not counted as the server's; each line it prints is one
 * JSON result.
 */
export async function runLoadProcess<T>(generator: 'open-loop.ts' | 'closed-loop.ts', args: object): Promise<T[]> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, generator), JSON.stringify(args)],
    { maxBuffer: 1 << 20 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}
