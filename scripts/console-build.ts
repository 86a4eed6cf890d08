import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CONSOLE_DIST } from '../api/console';

const ROOT = path.resolve(__dirname, '..');
const WEB = path.join(ROOT, 'web');
const STAMP = path.join(CONSOLE_DIST, '.sources');

/** Every file the build reads from us (sources, page, config) and the locked dependencies. */
function sourcesHash(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(full);
    }
  };
  walk(path.join(WEB, 'src'));
  walk(path.join(WEB, 'public'));
  files.push(path.join(WEB, 'index.html'), path.join(WEB, 'vite.config.mts'), path.join(ROOT, 'package-lock.json'));
  const hash = createHash('sha256');
  for (const file of files.sort()) hash.update(path.relative(ROOT, file)).update('\0').update(fs.readFileSync(file));
  return hash.digest('hex');
}

/**
 * Builds the console (Vite) when its sources changed since the last build, so `npm start` always
 * serves what is checked out. Where the sources are not there (an image that ships only the
 * built console), what is built is what there is.
 */
export function buildConsoleIfChanged(log: (line: string) => void = console.log): void {
  if (!fs.existsSync(path.join(WEB, 'src'))) return;
  const hash = sourcesHash();
  if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === hash) return;
  log('neuroweaver: building the console (its sources changed)…');
  buildConsole();
  fs.writeFileSync(STAMP, hash);
}

/**
 * A production build, whatever NODE_ENV the caller runs under: Vite takes NODE_ENV from the
 * environment, and a test runner's `test` would bundle React's development build (a third larger).
 */
export function buildConsole(): void {
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'vite'), ['build', 'web', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}

if (require.main === module) buildConsoleIfChanged();
