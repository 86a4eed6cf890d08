import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';

/** A child's stdout and stderr, line by line, as they come. */
export function collectLines(child: ChildProcess): string[] {
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr])
    if (stream) readline.createInterface({ input: stream }).on('line', (line) => output.push(line));
  return output;
}

/** Resolves once a line of `output` contains `marker`; rejects, with the output, if the child exits first. */
export function untilLine(child: ChildProcess, output: string[], marker: string, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.some((line) => line.includes(marker))) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    child.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`${name} exited (${code}) before "${marker}":\n${output.join('\n')}`));
    });
  });
}
