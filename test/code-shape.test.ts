import fs from 'node:fs';
import path from 'node:path';
import { CONSOLE_PAGES } from '../api/console';

const ROOT = path.resolve(__dirname, '..');
const lines = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8').trimEnd().split('\n').length;

/**
 * Code that explains itself (issue #17): a route file holds the handlers and their mapping (the
 * operations' definitions live in api/operations/, orchestration in api/services/); the watchdog
 * workflow keeps its loop, its parts beside it in workflows/watchdog/.
 */
describe('code shape', () => {
  it('keeps every file under api/routes/ at 150 lines or fewer', () => {
    const long = fs
      .readdirSync(path.join(ROOT, 'api', 'routes'))
      .map((file) => ({ file, lines: lines(path.join('api', 'routes', file)) }))
      .filter(({ lines }) => lines > 150);
    expect(long).toEqual([]);
  });

  it("serves every console page's URL (api/console.ts) that the app routes (web/src/main.tsx)", () => {
    const routed = [
      ...fs.readFileSync(path.join(ROOT, 'web', 'src', 'main.tsx'), 'utf8').matchAll(/path="([^"*]+)"/g),
    ].map((m) => `/${m[1]}`);
    expect(['/', ...routed].sort()).toEqual([...CONSOLE_PAGES].sort());
  });

  it('keeps the watchdog workflow under 150 lines', () => {
    expect(lines('workflows/watchdog/performance-watchdog.ts')).toBeLessThan(150);
  });
});
