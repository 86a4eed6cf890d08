import { listScope, requireSpecialization } from '../auth/scope';
import { OpenAPIHono } from '@hono/zod-openapi';
import { parseThresholds, ThresholdsInvalid, type ThresholdsVersion } from '../../db/stores/thresholds';
import { thresholdsNotices } from '../../config/performance-thresholds';
import { backtest } from '../../workflows/watchdog/backtest';
import { watchdogWorkflowId } from '../../workflows/watchdog/messages';
import type { ApiDeps, AppEnv } from '../deps';
import { ApiError } from '../errors';
import { watchdogState } from '../services/watchdogs';
import {
  getThresholdsRoute,
  putThresholdsRoute,
  decisionsRoute,
  backtestRoute,
  traceRoute,
} from '../operations/performance';

export function createPerformanceRoutes({ stores, temporal }: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  const invalid = (err: ThresholdsInvalid, prefix: string) => {
    const field = [prefix, err.path].filter(Boolean).join('.');
    return new ApiError(400, 'validation_error', `invalid request: ${field}: ${err.problem}`, {
      fields: [{ field, message: err.problem }],
    });
  };

  const withNotices = (v: ThresholdsVersion) => ({ ...v, notices: thresholdsNotices(v.thresholds) });

  app.openapi(getThresholdsRoute, async (c) => {
    const current = await stores.thresholds.current();
    // A scoped token sees the defaults and its own specializations' sections, not the others'.
    const within = listScope(c);
    const specializations =
      within && current.thresholds.specializations
        ? Object.fromEntries(Object.entries(current.thresholds.specializations).filter(([s]) => within.includes(s)))
        : current.thresholds.specializations;
    return c.json(withNotices({ ...current, thresholds: { ...current.thresholds, specializations } }), 200);
  });

  app.openapi(putThresholdsRoute, async (c) => {
    let thresholds;
    try {
      thresholds = parseThresholds(c.req.valid('json').thresholds);
    } catch (err) {
      if (err instanceof ThresholdsInvalid) throw invalid(err, 'body.thresholds');
      throw err;
    }
    return c.json(withNotices(await stores.thresholds.save(thresholds, c.get('principal').sub)), 200);
  });

  app.openapi(decisionsRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const [events, watchdog] = await Promise.all([
      stores.switchEvents.list({ specialization }, c.req.valid('query').limit),
      watchdogState(temporal, watchdogWorkflowId(specialization)),
    ]);
    return c.json({ specialization, switchEvents: events, watchdog }, 200);
  });

  app.openapi(backtestRoute, async (c) => {
    const body = c.req.valid('json');
    if (body.specialization) requireSpecialization(c, body.specialization);
    let thresholds;
    let version: number | null = null;
    try {
      if (body.thresholds) thresholds = parseThresholds(body.thresholds);
      else ({ thresholds, version } = await stores.thresholds.current());
    } catch (err) {
      if (err instanceof ThresholdsInvalid) throw invalid(err, 'body.thresholds');
      throw err;
    }
    return c.json(
      {
        ...backtest(thresholds, body.trace, body.specialization),
        thresholdsVersion: version,
        notices: thresholdsNotices(thresholds),
      },
      200,
    );
  });

  app.openapi(traceRoute, async (c) => {
    const { specialization } = c.req.valid('param');
    requireSpecialization(c, specialization);
    const { since, windowSeconds } = c.req.valid('query');
    const from = since ? new Date(since) : new Date(Date.now() - 3_600_000);
    const [primary, rows, judged] = await Promise.all([
      stores.metrics.primaryDeployment(specialization),
      stores.metrics.windows(specialization, from, windowSeconds),
      stores.watchdog.recordedWindows(specialization, from),
    ]);
    // The primary's windows as the watchdog judged them (counts of probes included); other
    // deployments, and the primary when no watchdog ran, from the recorded requests.
    const judgedDeployments = new Set(judged.map((w) => w.deploymentId));
    const fromMetrics = rows
      .filter((r) => !judgedDeployments.has(r.deploymentId))
      .map((r) => ({
        t: r.bucket * windowSeconds,
        model: r.deploymentId === primary ? 'primary' : 'backup',
        requests: r.requests,
        errors: r.errors,
        p95LatencyMs: r.p95 === null ? null : Math.round(Number(r.p95) * 1_000) / 1_000,
        accuracy: null,
        costPer1kTokens: null,
      }));
    const fromWatchdog = judged.map((w) => {
      const { requests, errors, slow, p95LatencyMs, labelled, correct, accuracy, costPer1kTokens } = w.stats;
      return {
        t: Math.max(0, Math.round((new Date(w.until).getTime() - from.getTime()) / 1_000)),
        model: 'primary',
        requests,
        errors,
        slow,
        p95LatencyMs,
        labelled,
        correct,
        accuracy,
        costPer1kTokens,
      };
    });
    const lines = [...fromWatchdog, ...fromMetrics].sort((a, b) => a.t - b.t).map((w) => JSON.stringify(w));
    c.header('content-type', 'application/x-ndjson');
    return c.body(lines.length ? `${lines.join('\n')}\n` : '', 200) as never;
  });

  return app;
}
