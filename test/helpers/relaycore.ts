import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import type { EmulatorMode, RecordedCall } from '../../relaycore/emulator';
import { freePort } from '../../support/ports';

export {
  startRelayCoreEmulator,
  type RelayCoreEmulator,
  type RecordedCall,
  type EmulatorMode,
} from '../../relaycore/emulator';

const ROOT = path.resolve(__dirname, '..', '..');

export interface RelayCoreEmulatorProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  /** SIGTERM (or `signal`) and wait; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `npm run relaycore:emulator` as its own process on a free port: for worker and API processes. */
export async function startRelayCoreEmulatorProcess(port?: number | string): Promise<RelayCoreEmulatorProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, RELAYCORE_EMULATOR_PORT: String(port ?? (await freePort())) };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'relaycore/main.ts')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout!, child.stderr!])
    readline.createInterface({ input: stream }).on('line', (l) => output.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const ready = output.map((l) => l.match(/ready on (\S+)/)).find(Boolean);
      if (ready) {
        clearInterval(timer);
        resolve(ready[1]);
      }
    }, 50);
    // 'close', not 'exit': by then every line it wrote is in `output`.
    child.once('close', (code) => {
      clearInterval(timer);
      reject(new Error(`RelayCore emulator exited (${code}) before it was ready:\n${output.join('\n')}`));
    });
  });
  return {
    url,
    child,
    output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The calls an emulator (in this process or another) recorded, through its control API. */
export async function emulatorCalls(url: string): Promise<RecordedCall[]> {
  const res = await fetch(`${url}/__emulator/calls`);
  if (!res.ok) throw new Error(`emulator calls: ${res.status}`);
  return ((await res.json()) as { calls: RecordedCall[] }).calls;
}

/** Sets the fault mode of an emulator in another process. */
export async function setEmulatorMode(url: string, mode: EmulatorMode): Promise<void> {
  const res = await fetch(`${url}/__emulator/mode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode }),
  });
  if (!res.ok) throw new Error(`emulator mode ${mode}: ${res.status} ${await res.text()}`);
}

export async function resetEmulator(url: string): Promise<void> {
  const res = await fetch(`${url}/__emulator/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`emulator reset: ${res.status}`);
}

/** Deliveries that changed something: accepted, first of their Idempotency-Key. */
export const uniqueDeliveries = (calls: RecordedCall[]) =>
  calls.filter((c) => !c.duplicate && c.status !== null && c.status >= 200 && c.status < 300);
