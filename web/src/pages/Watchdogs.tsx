import { Link, useParams } from 'react-router';
import { api, call } from '../api/client';
import { ActionButton } from '../components/ActionButton';
import { PerformanceChart, type ChartPoint } from '../components/PerformanceChart';
import { Empty, Loaded, Time, WebUiLink } from '../components/States';
import { useLive } from '../live';

interface WindowRecord {
  at: string;
  role: string;
  stats: { requests: number; errors: number; p95LatencyMs: number | null; accuracy: number | null };
  verdict: { kind: string; reason: string };
}
interface WatchdogState {
  serving: 'primary' | 'backup';
  paused: boolean;
  lastEvaluatedAt: string | null;
  thresholdsVersion: number | null;
  recentWindows: WindowRecord[];
  lastDecision: { action: string; reason: string; at: string } | null;
}
interface Thresholds {
  p95LatencyMs: number;
  errorRate: number;
  minAccuracy: number;
}

export function Watchdogs() {
  const list = useLive(['watchdogs'], () => call(api.GET('/api/v1/watchdogs')));
  return (
    <>
      <h1>Watchdogs</h1>
      <Loaded query={list} what="watchdogs">
        {({ items }) =>
          items.length === 0 ? (
            <Empty>
              No watchdogs. A rollout that promotes a model starts its specialization’s watchdog (unless told not to).
            </Empty>
          ) : (
            <ul className="grid plain">
              {items.map((w) => {
                const state = w.state as WatchdogState | null;
                return (
                  <li key={w.specialization} className="card">
                    <h2>
                      <Link to={`/watchdogs/${w.specialization}`}>{w.specialization}</Link>
                    </h2>
                    <p>
                      {w.paused
                        ? 'paused'
                        : w.running
                          ? `watching: the ${state?.serving ?? 'primary'} serves`
                          : 'not running'}
                      {state ? (
                        <>
                          {' '}
                          · last evaluated <Time at={state.lastEvaluatedAt} />
                        </>
                      ) : null}
                    </p>
                    <WebUiLink url={w.webUiUrl} />
                  </li>
                );
              })}
            </ul>
          )
        }
      </Loaded>
    </>
  );
}

const pointsOf = (windows: WindowRecord[]): ChartPoint[] =>
  windows.map((w) => ({
    label: new Date(w.at).toLocaleTimeString(),
    requests: w.stats.requests,
    errorRate: w.stats.requests ? w.stats.errors / w.stats.requests : null,
    p95: w.stats.p95LatencyMs,
    accuracy: w.stats.accuracy,
  }));

/** One specialization's watchdog: its recent windows against the thresholds, its switches, and its controls. */
export function WatchdogPage() {
  const { specialization = '' } = useParams();
  const path = { params: { path: { specialization } } };
  const watchdog = useLive(['watchdog', specialization], () =>
    call(api.GET('/api/v1/watchdogs/{specialization}', path)),
  );
  const decisions = useLive(['decisions', specialization], () =>
    call(api.GET('/api/v1/performance/{specialization}/decisions', path)),
  );
  const thresholdsFile = useLive(['thresholds'], () => call(api.GET('/api/v1/performance/thresholds')));
  const file = thresholdsFile.data?.thresholds as
    | { defaults?: { thresholds?: Thresholds }; specializations?: Record<string, { thresholds?: Partial<Thresholds> }> }
    | undefined;
  const limits = {
    ...file?.defaults?.thresholds,
    ...file?.specializations?.[specialization]?.thresholds,
  } as Partial<Thresholds>;
  return (
    <Loaded query={watchdog} what="the watchdog">
      {(w) => {
        const state = w.state as WatchdogState | null;
        const points = pointsOf(state?.recentWindows ?? []);
        return (
          <>
            <h1>Watchdog: {specialization}</h1>
            <p>
              {w.paused ? 'Paused' : w.running ? `Watching; the ${state?.serving} serves` : 'Not running'}
              {state && (
                <>
                  {' '}
                  · last evaluated <Time at={state.lastEvaluatedAt} /> · thresholds v{state.thresholdsVersion}
                </>
              )}{' '}
              · <WebUiLink url={w.webUiUrl} />
            </p>
            <div className="actions">
              {w.paused ? (
                <ActionButton
                  level="admin"
                  specialization={specialization}
                  run={() => call(api.POST('/api/v1/watchdogs/{specialization}/resume', path))}
                >
                  Resume
                </ActionButton>
              ) : (
                <ActionButton
                  level="admin"
                  specialization={specialization}
                  run={() => call(api.POST('/api/v1/watchdogs/{specialization}/pause', path))}
                >
                  Pause
                </ActionButton>
              )}
              {state?.serving === 'backup' && (
                <ActionButton
                  level="admin"
                  specialization={specialization}
                  confirm="Switch back to the primary now?"
                  run={() =>
                    call(
                      api.POST('/api/v1/watchdogs/{specialization}/rollback', {
                        ...path,
                        body: { reason: 'rolled back in the console' },
                      }),
                    )
                  }
                >
                  Roll back to the primary
                </ActionButton>
              )}
            </div>
            <div className="grid">
              <PerformanceChart
                title="Requests per window"
                points={points}
                series={[{ key: 'requests', name: 'requests', color: '#1f5fa8' }]}
              />
              <PerformanceChart
                title="Error rate"
                points={points}
                series={[{ key: 'errorRate', name: 'error rate', color: '#8a4b00' }]}
                domain={[0, 1]}
                threshold={limits.errorRate !== undefined ? { value: limits.errorRate, label: 'max' } : undefined}
              />
              <PerformanceChart
                title="p95 latency (ms)"
                points={points}
                series={[{ key: 'p95', name: 'p95 ms', color: '#5a2d82' }]}
                threshold={limits.p95LatencyMs !== undefined ? { value: limits.p95LatencyMs, label: 'max' } : undefined}
              />
              <PerformanceChart
                title="Accuracy (labelled probes)"
                points={points}
                series={[{ key: 'accuracy', name: 'accuracy', color: '#1b6e3a' }]}
                domain={[0, 1]}
                threshold={limits.minAccuracy !== undefined ? { value: limits.minAccuracy, label: 'min' } : undefined}
              />
            </div>
            <section className="panel">
              <h2>Switches</h2>
              <Loaded query={decisions} what="switch events">
                {(d) =>
                  d.switchEvents.length === 0 ? (
                    <p className="muted">No switches.</p>
                  ) : (
                    <ol className="timeline">
                      {d.switchEvents.map((e) => (
                        <li key={e.id}>
                          <Time at={e.createdAt} /> <strong>{e.action}</strong> by {e.workflowId}: {e.reason}
                          {e.undeliverable && <span className="problem"> RelayCore: {e.undeliverable}</span>}
                        </li>
                      ))}
                    </ol>
                  )
                }
              </Loaded>
            </section>
            <section className="panel">
              <h2>Recent windows</h2>
              <ol className="timeline small">
                {(state?.recentWindows ?? [])
                  .slice()
                  .reverse()
                  .map((r) => (
                    <li key={r.at}>
                      <Time at={r.at} /> {r.role}: <strong>{r.verdict.kind}</strong> {r.verdict.reason}
                    </li>
                  ))}
              </ol>
            </section>
          </>
        );
      }}
    </Loaded>
  );
}
