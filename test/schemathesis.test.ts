import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import which from 'which';
import { searchAttributeKeys } from '../workflows/search-attributes';
import { createIsolatedDatabase, createTestApp, type TestApp } from './helpers/app';
import { eventually } from './helpers/training';
import { testServices, uniqueName } from './helpers/env';
import { freePort } from '../support/ports';
import { tokenFor } from './helpers/tokens';
import { serveApp } from './helpers/watchdog';

/**
 * schemathesis (PyPI, installed by .ci/run from test/requirements.txt) against /openapi.json, with
 * an admin token, positive and negative data: no 5xx, every answer as documented, invalid input
 * rejected, a missing token 401. Bounded examples per operation here; the README shows the full run.
 */
describe('the API against its own OpenAPI document (schemathesis)', () => {
  const examples = Number(process.env.NW_SCHEMATHESIS_EXAMPLES ?? 15);
  // `npm run test:fuzz` asks for many more examples: fuzzing takes about 2 s per example here.
  jest.setTimeout(Math.max(600_000, examples * 4_000));
  let t: TestApp;
  let stopServing: () => Promise<void>;

  let database: Awaited<ReturnType<typeof createIsolatedDatabase>>;

  beforeAll(async () => {
    // Its own database: the run registers models with the schema's example names, which other test files use.
    database = await createIsolatedDatabase();
    // Its own Temporal namespace: watchdogs are listed from Temporal's schedules, and the run acts on
    // what it lists (rolls back, deletes) — other files' watchdogs included, on the shared default.
    const namespace = await isolatedNamespace();
    t = await createTestApp({
      PORT: String(await freePort()),
      NW_ENABLE_FAULTS: '1',
      DATABASE_URL: database.url,
      TEMPORAL_NAMESPACE: namespace,
    });
    stopServing = serveApp(t);
  });
  afterAll(async () => {
    await stopServing();
    // Let requests that were still retrying against Temporal finish before the connection closes.
    await new Promise((r) => setTimeout(r, 2_000));
    await t.close();
    await database.drop();
  });

  it('finds no server error, no undocumented answer and no accepted invalid input', async () => {
    const schemathesis = which.sync('schemathesis', { nothrow: true });
    if (!schemathesis) throw new Error('schemathesis is not installed: pip install -r test/requirements.txt');
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nw-schemathesis-')), 'output.txt');
    const args = [
      '--config-file',
      path.join(__dirname, 'schemathesis.toml'),
      'run',
      `http://127.0.0.1:${t.config.port}/openapi.json`,
      '--header',
      `Authorization: Bearer ${tokenFor('admin', 'schemathesis')}`,
      '--mode',
      'all',
      // Every check but three: positive-data acceptance (a schema-valid ID or path still names nothing
      // the run made), object-level authorization (test/permission-matrix.test.ts calls every
      // operation with a token of another specialization) and the two header checks (required request
      // headers, response header schemas). The stateful phase checks that what a call creates can be
      // fetched and what it deletes cannot. Methods a path does not have are checked (405 with Allow).
      // Not --checks: a CLI list would override the per-operation settings in schemathesis.toml.
      '--exclude-checks',
      'positive_data_acceptance,object_level_authorization,missing_required_header,response_headers_conformance',
      '--max-examples',
      String(examples),
      // Every phase: examples, coverage, fuzzing (negative data on every operation) and stateful
      // (chains of calls along the document's links). `npm run test:fuzz` runs them longer.
      '--phases',
      'examples,coverage,fuzzing,stateful',
      '--workers',
      '1',
      '--seed',
      '20261122',
      '--generation-database',
      'none',
      // Revoking the calling token (its documented purpose) would end the run's authentication.
      '--exclude-path',
      '/api/v1/auth/revoke',
      '--no-color',
    ];
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      execFile(
        schemathesis,
        args,
        { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
      );
    });
    fs.writeFileSync(report, result.output);
    if (result.code !== 0) {
      // The failures section names each check, operation and reproducing curl; the rest is noise.
      const failures =
        /={3,} FAILURES ={3,}[\s\S]*?(?=={3,} (?:WARNINGS|SUMMARY) ={3,})/.exec(result.output)?.[0] ??
        result.output.slice(-8_000);
      throw new Error(`schemathesis exited ${result.code} (full output: ${report}):\n${failures.slice(0, 8_000)}`);
    }
  });
});

/** A new namespace on the tests' Temporal server, with the search attributes the starters set. */
async function isolatedNamespace(): Promise<string> {
  const namespace = uniqueName('schemathesis');
  const connection = await Connection.connect({ address: testServices().temporalAddress });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // The server's namespace cache takes a moment to know it.
    await eventually(
      () =>
        connection.workflowService.describeNamespace({ namespace }).then(
          () => true,
          () => false,
        ),
      (known) => known,
      30_000,
    );
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        searchAttributeKeys.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
      ),
    });
    return namespace;
  } finally {
    await connection.close();
  }
}
