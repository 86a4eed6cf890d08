import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { TraceWindowSchema } from '../api/schemas/performance';
import { backtest } from '../workflows/watchdog/backtest';
import { thresholdsNotices, ThresholdsFileSchema } from '../config/performance-thresholds';

/**
 * `npm run -s watchdog:backtest -- --thresholds FILE --trace FILE [--specialization NAME]`: runs the
 * watchdog's own evaluation over a recorded trace (JSON lines, one window each) and prints, as its
 * last stdout line, {"trips", "recoveries", "decisions": [{t, action, reason}]}.
 */
function fail(message: string): never {
  process.stderr.write(`watchdog:backtest: ${message}\n`);
  process.exit(2);
}

function main(): void {
  const { values } = parseArgs({
    options: { thresholds: { type: 'string' }, trace: { type: 'string' }, specialization: { type: 'string' } },
  });
  if (!values.thresholds || !values.trace) fail('usage: --thresholds FILE --trace FILE [--specialization NAME]');
  let file;
  try {
    file = ThresholdsFileSchema.parse(parseYaml(fs.readFileSync(values.thresholds, 'utf8')));
  } catch (err) {
    const issue = (err as z.ZodError).issues?.[0];
    fail(
      issue
        ? `${values.thresholds}: ${issue.path.join('.')}: ${issue.message}`
        : `${values.thresholds}: ${(err as Error).message}`,
    );
  }
  for (const notice of thresholdsNotices(file!))
    process.stderr.write(`watchdog:backtest: ${values.thresholds}: ${notice}\n`);
  const windows = fs
    .readFileSync(values.trace, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line)
    .map(({ line, n }) => {
      const parsed = TraceWindowSchema.safeParse(
        (() => {
          try {
            return JSON.parse(line);
          } catch {
            return undefined;
          }
        })(),
      );
      if (!parsed.success)
        fail(
          `${values.trace} line ${n}: ${parsed.error?.issues[0]?.path.join('.') ?? ''} ${parsed.error?.issues[0]?.message ?? 'not JSON'}`,
        );
      return parsed.data;
    });
  const out = backtest(file, windows, values.specialization);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main();
