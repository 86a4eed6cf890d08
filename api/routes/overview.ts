import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { listScope } from '../auth/scope';
import { policy } from '../auth/route-policy';
import type { ApiDeps, AppEnv } from '../deps';
import { authErrors, jsonResponse } from '../schemas/common';
import { OverviewSchema } from '../schemas/routing';
import { deploymentSummary } from '../views';
import { workflowUrl } from '../web-ui';

/** Switch events shown per specialization. */
const LAST_SWITCHES = 3;

const overviewRoute = createRoute({
  method: 'get',
  path: '/overview',
  operationId: 'getOverview',
  ...policy({ access: 'read', scope: 'list' }),
  tags: ['routing'],
  summary:
    'Every routed specialization at once: what serves, its watchdog, open alerts, last switches; rollouts under way',
  description:
    'One answer from the database for what a dashboard polls (the console asks every 2 s): no Temporal call. The watchdog part is its newest recorded window; GET /watchdogs/{specialization} has its live state.',
  security: [{ bearerAuth: [] }],
  responses: {
    200: jsonResponse(OverviewSchema, 'The specializations, by name, and the rollouts under way'),
    ...authErrors,
  },
});

export function createOverviewRoutes({ stores, config }: Pick<ApiDeps, 'stores' | 'config'>) {
  const app = new OpenAPIHono<AppEnv>();
  const link = (workflowId: string) => workflowUrl(config.temporal.uiUrl, config.temporal.namespace, workflowId);

  app.openapi(overviewRoute, async (c) => {
    const within = listScope(c);
    const [routing, windows, openAlerts, switches, underWay] = await Promise.all([
      stores.routingChanges.all(within),
      stores.watchdog.newestWindows(within),
      stores.alerts.openCounts(within),
      stores.switchEvents.latest(LAST_SWITCHES, within),
      stores.deployments.underWay(within, 20),
    ]);
    const items = routing.map((r) => {
      const window = windows.find((w) => w.specialization === r.specialization);
      return {
        specialization: r.specialization,
        routing: r,
        watchdog: window
          ? {
              lastWindowAt: window.until,
              serving: window.role === 'primary-probed' ? ('backup' as const) : ('primary' as const),
              lastVerdict: window.verdict,
            }
          : null,
        openAlerts: openAlerts[r.specialization] ?? 0,
        lastSwitches: switches.filter((e) => e.specialization === r.specialization),
      };
    });
    const rollouts = underWay.map((d) => deploymentSummary(d, link));
    return c.json({ items, rollouts }, 200);
  });

  return app;
}
