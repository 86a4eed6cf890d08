import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { initialState, step, type Decision } from '../workflows/watchdog/evaluate';
import { policyFor, ThresholdsFileSchema } from '../workflows/watchdog/policy';

/**
 * `npm run -s watchdog:backtest -- --thresholds FILE --trace FILE [--specialization NAME]`: runs the
 * watchdog's own evaluation over a recorded trace (JSON lines, one window each) and prints, as its
 * last stdout line, {"trips", "recoveries", "decisions": [{t, action, reason}]}.
 */
const TraceWindow = z.object({
  t: z.number(),
  model: z.enum(['primary', 'backup']),
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  p95LatencyMs: z.number().nullable().default(null),
  accuracy: z.number().nullable().default(null),
  costPer1kTokens: z.number().nullable().default(null),
});

function fail(message: string): never {
  process.stderr.write(`watchdog:backtest: ${message}\n`);
  process.exit(2);
}

function main(): void {
  const { values } = parseArgs({ options: { thresholds: { type: 'string' }, trace: { type: 'string' }, specialization: { type: 'string' } } });
  if (!values.thresholds || !values.trace) fail('usage: --thresholds FILE --trace FILE [--specialization NAME]');
  let file;
  try {
    file = ThresholdsFileSchema.parse(parseYaml(fs.readFileSync(values.thresholds, 'utf8')));
  } catch (err) {
    const issue = (err as z.ZodError).issues?.[0];
    fail(issue ? `${values.thresholds}: ${issue.path.join('.')}: ${issue.message}` : `${values.thresholds}: ${(err as Error).message}`);
  }
  const policy = policyFor(file, values.specialization);
  const windows = fs
    .readFileSync(values.trace, 'utf8')
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line)
    .map(({ line, n }) => {
      const parsed = TraceWindow.safeParse((() => { try { return JSON.parse(line); } catch { return undefined; } })());
      if (!parsed.success) fail(`${values.trace} line ${n}: ${parsed.error?.issues[0]?.path.join('.') ?? ''} ${parsed.error?.issues[0]?.message ?? 'not JSON'}`);
      return parsed.data;
    })
    .sort((a, b) => a.t - b.t);
  // The decisions follow the primary: while it serves its live windows, afterwards its probe windows.
  let state = initialState();
  const decisions: Decision[] = [];
  for (const w of windows.filter((x) => x.model === 'primary')) {
    const result = step(state, w, w.t, policy);
    state = result.state;
    if (result.decision) decisions.push(result.decision);
  }
  const out = {
    trips: decisions.filter((d) => d.action === 'switch').length,
    recoveries: decisions.filter((d) => d.action === 'rollback').length,
    decisions,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main();
