import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config/env';

/**
 * Another "machine" for a process of the test: the same shared services as `config` (database,
 * Temporal, artifact store), a data directory of its own (its disk: models it wrote, its cache).
 */
export function onAnotherMachine(config: Config): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nw-machine-'));
  return { ...config, dataDir, modelStoragePath: path.join(dataDir, 'models') };
}
