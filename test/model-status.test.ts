import { createTestApp, type TestApp } from './helpers/app';
import { uniqueName } from './helpers/env';
import { deploymentRow } from '../support/deployment-rows';
import { registerServableModel } from '../support/servable-model';

/** A model's status follows routing: `deployed` while it serves (stable or backup), `retired` once it leaves. */
describe('model status across promotions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('retires the model a third promotion pushes out of routing, and keeps the stable and the backup deployed', async () => {
    const specialization = uniqueName('status');
    const models = [];
    for (let i = 0; i < 3; i++) {
      const model = await registerServableModel(t, specialization);
      const deploymentId = await deploymentRow(t.sequelize, specialization, model, {
        status: 'rolling_out',
        by: 'test',
      });
      await t.stores.routing.promote({ specialization, deploymentId });
      models.push(model.id);
    }
    const status = async (id: string) => (await t.stores.models.get(id))!.status;
    expect(await Promise.all(models.map(status))).toEqual(['retired', 'deployed', 'deployed']);
  });

  it('keeps a model deployed when the deployment pushed out was another of its own', async () => {
    const specialization = uniqueName('status-same');
    const model = await registerServableModel(t, specialization);
    const other = await registerServableModel(t, specialization);
    for (const m of [model, other, model]) {
      const deploymentId = await deploymentRow(t.sequelize, specialization, m, { status: 'rolling_out', by: 'test' });
      await t.stores.routing.promote({ specialization, deploymentId });
    }
    expect((await t.stores.models.get(model.id))!.status).toBe('deployed');
  });
});
