import fs from 'node:fs';
import path from 'node:path';
import { NwKind, NwModelId, NwStage } from '../workflows/search-attributes';
import type { ValidateModelResult } from '../workflows/validate-model';
import { createTestApp, json, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { writeTinyOnnxModel } from './helpers/onnx';
import { recordHistory } from './helpers/histories';
import { bearer, tokenFor } from './helpers/tokens';
import { withWorker } from './helpers/worker';

describe('validateModel: API → Temporal → worker → activity → DB', () => {
  let t: TestApp;
  const writer = bearer(tokenFor('write'));

  beforeAll(async () => {
    t = await createTestApp();
    writeTinyOnnxModel(path.join(t.config.modelStoragePath, 'good/model.onnx'));
    fs.mkdirSync(path.join(t.config.modelStoragePath, 'broken'), { recursive: true });
    fs.writeFileSync(path.join(t.config.modelStoragePath, 'broken/model.onnx'), 'this is not a protobuf');
  });
  afterAll(() => t.close());

  async function registerAndValidate(modelPath: string) {
    const registered = await t.app.request(
      '/api/v1/models/register',
      json(
        { name: uniqueName('m'), specialization: 'service-advisor', baseModel: 'tiny', version: '1', modelPath },
        writer,
      ),
    );
    const model = (await registered.json()) as { id: string };
    const started = await t.app.request(`/api/v1/models/${model.id}/validate`, { method: 'POST', headers: writer });
    expect(started.status).toBe(202);
    const body = (await started.json()) as { workflowId: string; runId: string; webUiUrl: string };
    expect(body.workflowId).toBe(`validation-${model.id}`);
    expect(body.webUiUrl).toBe(
      `http://localhost:8233/namespaces/default/workflows/validation-${model.id}/${body.runId}/history`,
    );
    const result = await t.temporal.workflow.getHandle(body.workflowId, body.runId).result();
    const fetched = (await (await t.app.request(`/api/v1/models/${model.id}`, { headers: writer })).json()) as {
      status: string;
      validation: ValidateModelResult;
    };
    return { model, started: body, result: result as ValidateModelResult, fetched };
  }

  it('records a loadable ONNX artifact as valid, with search attributes for the Web UI', async () => {
    await withWorker(t.config, t.sequelize, async () => {
      const { model, started, result, fetched } = await registerAndValidate('good/model.onnx');
      expect(result.valid).toBe(true);
      await recordHistory(t.temporal.workflow.getHandle(started.workflowId), 'validate-model-valid');
      expect(result.check).toMatchObject({
        exists: true,
        format: 'onnx',
        loadable: true,
        inputNames: ['x'],
        outputNames: ['y'],
      });
      expect(fetched.status).toBe('validated');
      expect(fetched.validation).toMatchObject({ valid: true, workflowId: started.workflowId });

      const description = await t.temporal.workflow.getHandle(started.workflowId).describe();
      expect(description.typedSearchAttributes.get(NwKind)).toBe('validation');
      expect(description.typedSearchAttributes.get(NwModelId)).toBe(model.id);
      expect(description.typedSearchAttributes.get(NwStage)).toBe('done');
      // What an operator types into the Web UI's search box; visibility may lag a moment.
      const query = `NwKind = "validation" AND NwModelId = "${model.id}"`;
      const found: string[] = [];
      for (let i = 0; i < 40 && found.length === 0; i++) {
        for await (const w of t.temporal.workflow.list({ query })) found.push(w.workflowId);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(found).toEqual([started.workflowId]);
    });
  });

  it('records a missing or corrupt artifact as invalid, saying why', async () => {
    await withWorker(t.config, t.sequelize, async () => {
      const missing = await registerAndValidate('nowhere/model.onnx');
      expect(missing.result.valid).toBe(false);
      expect(missing.fetched.status).toBe('invalid');
      expect(missing.fetched.validation.check.error).toBe('artifact not found at nowhere/model.onnx');

      const broken = await registerAndValidate('broken/model.onnx');
      expect(broken.result.check).toMatchObject({ exists: true, loadable: false });
      expect(broken.result.check.error).toMatch(/^onnxruntime could not load it/);
      await recordHistory(t.temporal.workflow.getHandle(broken.started.workflowId), 'validate-model-invalid');
    });
  });

  it('answers 404 without starting anything for an unknown model', async () => {
    const res = await t.app.request('/api/v1/models/00000000-0000-4000-8000-000000000000/validate', {
      method: 'POST',
      headers: writer,
    });
    expect(res.status).toBe(404);
  });

  it('joins a validation that is already running instead of starting a second', async () => {
    // No worker yet: the first validation stays queued.
    const registered = await t.app.request(
      '/api/v1/models/register',
      json(
        {
          name: uniqueName('m'),
          specialization: 'service-advisor',
          baseModel: 'tiny',
          version: '1',
          modelPath: 'good/model.onnx',
        },
        writer,
      ),
    );
    const { id } = (await registered.json()) as { id: string };
    const first = (await (
      await t.app.request(`/api/v1/models/${id}/validate`, { method: 'POST', headers: writer })
    ).json()) as { runId: string };
    const second = (await (
      await t.app.request(`/api/v1/models/${id}/validate`, { method: 'POST', headers: writer })
    ).json()) as { runId: string };
    expect(second.runId).toBe(first.runId);
    await withWorker(t.config, t.sequelize, () => t.temporal.workflow.getHandle(`validation-${id}`).result());
  });

  it('answers 503 (not 500) when Temporal is unreachable', async () => {
    const down = await createTestApp({ TEMPORAL_ADDRESS: '127.0.0.1:9' });
    try {
      const registered = await down.app.request(
        '/api/v1/models/register',
        json({ name: uniqueName('m'), specialization: 'service-advisor', baseModel: 'tiny', version: '1' }, writer),
      );
      const { id } = (await registered.json()) as { id: string };
      const res = await down.app.request(`/api/v1/models/${id}/validate`, { method: 'POST', headers: writer });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: { code: 'unavailable', message: 'Temporal is unavailable; try again shortly' },
      });
      const health = (await (await down.app.request('/health/detailed')).json()) as { status: string };
      expect(health.status).toBe('degraded');
    } finally {
      await down.close();
    }
  });
});
