import fs from 'node:fs';
import path from 'node:path';

/**
 * Route handlers stay thin (issue #17): a route file holds the handlers and their mapping; the
 * operations' definitions live in api/operations/, orchestration in api/services/.
 */
describe('code shape', () => {
  it('keeps every file under api/routes/ at 150 lines or fewer', () => {
    const dir = path.resolve(__dirname, '..', 'api', 'routes');
    const long = fs
      .readdirSync(dir)
      .map((file) => ({ file, lines: fs.readFileSync(path.join(dir, file), 'utf8').trimEnd().split('\n').length }))
      .filter(({ lines }) => lines > 150);
    expect(long).toEqual([]);
  });
});
