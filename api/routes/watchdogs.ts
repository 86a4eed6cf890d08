import { mayAccess } from '../../auth/token';
import { requireSpecialization } from '../auth/scope';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, AppEnv } from '../deps';
import { ApiError, conflict } from '../errors';
import { createWatchdogService, ignoreNotFound } from '../services/watchdogs';
import { updateWithin } from '../live-query';
import { createWatchdogSchedule } from '../../temporal/watchdog-schedule';
import { pauseSignal, reportIncidentSignal, resumeSignal, rollbackUpdate } from '../../workflows/watchdog/messages';
import { watchdogScheduleId } from '../../workflows/watchdog/supervise-watchdog';
import {
  createWatchdogRoute,
  listWatchdogsRoute,
  getWatchdogRoute,
  pauseRoute,
  resumeRoute,
  deleteRoute,
  rollbackRoute,
  incidentRoute,
} from '../operations/watchdogs';

export function createWatchdogRoutes({ temporal, config }: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const { taskQueue } = config.temporal;

  const { view, running, remove } = createWatchdogService(temporal, config.temporal);

  app.openapi(createWatchdogRoute, async (c) => {
    const { specialization } = c.req.valid('json');
    requireSpecialization(c, specialization);
    const created = await createWatchdogSchedule(temporal, {
      specialization,
      taskQueue,
      note: `created by ${c.get('principal').sub}`,
    });
    if (created === 'exists')
      throw conflict(`a watchdog for ${specialization} exists`, { scheduleId: watchdogScheduleId(specialization) });
    return c.json(await view(specialization), 201);
  });

  app.openapi(listWatchdogsRoute, async (c) => {
    const items = [];
    for await (const schedule of temporal.schedule.list()) {
      if (schedule.action?.type !== 'startWorkflow' || schedule.action.workflowType !== 'superviseWatchdog') continue;
      const specialization = schedule.scheduleId.replace(/^watchdog-/, '');
      if (!mayAccess(c.get('principal'), specialization)) continue;
      try {
        items.push(await view(specialization));
      } catch (err) {
        // Deleted between the list and its description: not a watchdog any more. Anything else
        // (Temporal down) is the caller's answer, not a shorter list.
        if (!(err instanceof ApiError && err.status === 404)) throw err;
      }
    }
    return c.json({ items }, 200);
  });

  app.openapi(getWatchdogRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    return c.json(await view(specialization), 200);
  });

  app.openapi(pauseRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const handle = await running(specialization);
    await temporal.schedule.getHandle(watchdogScheduleId(specialization)).pause(`paused by ${c.get('principal').sub}`);
    await handle.signal(pauseSignal).catch(ignoreNotFound);
    return c.json(await view(specialization), 200);
  });

  app.openapi(resumeRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const handle = await running(specialization);
    await temporal.schedule
      .getHandle(watchdogScheduleId(specialization))
      .unpause(`resumed by ${c.get('principal').sub}`);
    await handle.signal(resumeSignal).catch(ignoreNotFound);
    return c.json(await view(specialization), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    await remove(specialization);
    return c.body(null, 204);
  });

  app.openapi(rollbackRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const body = c.req.valid('json') ?? { reason: 'manual rollback' };
    const handle = await running(specialization);
    // Refused by the watchdog, or the watchdog not running: a 409 (api/errors.ts).
    await updateWithin(temporal, handle.workflowId, () =>
      handle.executeUpdate(rollbackUpdate, { args: [{ by: c.get('principal').sub, reason: body.reason }] }),
    );
    return c.json(await view(specialization), 202);
  });

  app.openapi(incidentRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const handle = await running(specialization);
    await handle.signal(reportIncidentSignal, { ...c.req.valid('json'), by: c.get('principal').sub });
    return c.json(await view(specialization), 202);
  });

  return app;
}
