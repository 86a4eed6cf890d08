import { parseArgs } from 'node:util';
import { signToken, LEVELS, type AccessLevel } from '../auth/token';
import { resolveJwtSecret } from '../config/dev-secret';
import { loadConfigOrExit } from '../config/load';
import { parseDuration } from './duration';

/** `npm run token -- --sub alice --level admin [--ttl 1h]`: prints a token on its last line. */
function main(): void {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: 'dev-admin' },
      level: { type: 'string', default: 'admin' },
      ttl: { type: 'string', default: '1h' },
    },
  });
  if (!LEVELS.includes(values.level as AccessLevel)) {
    console.error(`--level must be one of ${LEVELS.join(', ')}`);
    process.exit(2);
  }
  const ttlSeconds = parseDuration(values.ttl!);
  if (ttlSeconds === undefined) {
    console.error('--ttl must look like 30s, 15m, 1h or 7d');
    process.exit(2);
  }
  const config = loadConfigOrExit();
  const token = signToken(resolveJwtSecret(config), { sub: values.sub!, level: values.level as AccessLevel, ttlSeconds });
  console.log(token);
}

main();
