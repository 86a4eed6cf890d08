import { parseArgs } from 'node:util';
import { signToken, LEVELS, type AccessLevel } from '../auth/token';
import { resolveJwtSecret } from '../config/dev-secret';
import { loadConfigOrExit } from '../config/load';
import { parseDuration } from './duration';

/** `npm run token -- --sub alice --level admin [--ttl 1h] [--resources a,b]`: prints a token on its last line. */
function main(): void {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string', default: 'dev-admin' },
      level: { type: 'string', default: 'admin' },
      ttl: { type: 'string', default: '1h' },
      // The specializations it may act on, comma-separated; `*` (the default) is every one.
      resources: { type: 'string', default: '*' },
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
  const resources = values
    .resources!.split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (resources.length === 0) {
    console.error('--resources must name at least one specialization, or * for every one');
    process.exit(2);
  }
  const config = loadConfigOrExit();
  if (ttlSeconds > config.jwtMaxLifetimeSeconds) {
    console.error(
      `--ttl is longer than the API accepts (NW_JWT_MAX_LIFETIME_DAYS: ${config.jwtMaxLifetimeSeconds / 86_400} days)`,
    );
    process.exit(2);
  }
  const token = signToken(resolveJwtSecret(config), {
    sub: values.sub!,
    level: values.level as AccessLevel,
    ttlSeconds,
    resources,
    ...config.jwtParty,
  });
  console.log(token);
}

main();
