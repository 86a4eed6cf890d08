import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/**
 * The image runs the API, the worker and the migrations from source (tsx): every folder they import
 * must be copied into it. No Docker engine here, so this reads the entry points' imports instead of
 * building the image.
 */
describe('Dockerfile', () => {
  it('copies every top-level folder the API, the worker and the migrations import', () => {
    const copied = new Set(
      [...fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^COPY (?!--from)(\S+) /gm)].map((m) =>
        m[1].replace(/\/$/, ''),
      ),
    );
    const needed = new Set<string>();
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      needed.add(path.relative(ROOT, file).split(path.sep)[0]);
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
        const base = path.resolve(path.dirname(file), spec);
        const found = [`${base}.ts`, path.join(base, 'index.ts'), base].find(
          (f) => fs.existsSync(f) && fs.statSync(f).isFile(),
        );
        if (found?.endsWith('.ts')) visit(found);
        else if (found) needed.add(path.relative(ROOT, found).split(path.sep)[0]);
      }
    };
    for (const entry of ['api/main.ts', 'worker/main.ts', 'migrations/cli.ts', 'scripts/start.ts'])
      visit(path.join(ROOT, entry));
    expect([...needed].filter((dir) => !copied.has(dir)).sort()).toEqual([]);
  });
});
