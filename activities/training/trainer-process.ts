import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { parseTrainerLine, type TrainerLine } from '../../trainers/protocol';

export interface TrainerProcess {
  pid: number;
  /** Resolves with the exit code (null when killed by a signal) once stdout is fully read. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM to the trainer's whole process group, SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

export interface StartTrainerOptions {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  onLine: (line: TrainerLine) => void;
  onInvalidLine: (text: string) => void;
  onStderr: (text: string) => void;
}

/**
 * Starts a trainer in its own process group (so a stop reaches every process it spawned, e.g.
 * PyTorch's data loader workers) with stdin held open as the "parent alive" pipe of the contract.
 */
export function startTrainer(o: StartTrainerOptions): TrainerProcess {
  const child = spawn(o.command, o.args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.on('error', () => undefined); // EPIPE when the trainer exits first
  child.stderr.setEncoding('utf8').on('data', o.onStderr);
  const lines = readline.createInterface({ input: child.stdout });
  lines.on('line', (text) => {
    const line = parseTrainerLine(text);
    if (line) o.onLine(line);
    else if (text.trim()) o.onInvalidLine(text);
  });
  const closed = new Promise<void>((resolve) => lines.once('close', () => resolve()));
  const exitedRaw = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const exited = Promise.all([exitedRaw, closed]).then(([exit]) => exit);
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return {
    pid: child.pid!,
    exited,
    stop: async (graceMs) => {
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
      await exitedRaw.catch(() => undefined);
      clearTimeout(timer);
      // Children of the trainer that ignored SIGTERM go too.
      killGroup('SIGKILL');
    },
  };
}
