import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEV_SECRET_PREFIX, type Config } from './env';

/**
 * The JWT secret in force: JWT_SECRET, or (outside production) a development secret created once
 * under the data dir, so `npm start` and `npm run token` sign and verify with the same key.
 */
export function resolveJwtSecret(config: Pick<Config, 'jwtSecret' | 'dataDir' | 'env'>): string {
  if (config.jwtSecret) return config.jwtSecret;
  if (config.env === 'production') throw new Error('JWT_SECRET is required in production');
  const file = path.join(config.dataDir, 'dev-jwt-secret');
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, DEV_SECRET_PREFIX + randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file, 'utf8').trim();
}
