import { Link } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { Empty, Loaded, Status, Time, WebUiLink } from '../components/States';
import { useLive } from '../live';

interface WatchdogState {
  serving?: string;
  lastEvaluatedAt?: string | null;
  paused?: boolean;
}

function Served({ label, d }: { label: string; d: Schemas['ServedDeployment'] | undefined }) {
  return (
    <p>
      <span className="label">{label}</span>{' '}
      {d ? (
        <Link to={`/models/${d.modelId}`}>
          {d.modelName} v{d.version}
        </Link>
      ) : (
        <span className="muted">none</span>
      )}
    </p>
  );
}

/** What serves a specialization now, how its watchdog sees it, and the last decisions. */
function Specialization({ name, alerts }: { name: string; alerts: Schemas['Alert'][] }) {
  const routing = useLive(['routing', name], () =>
    call(api.GET('/api/v1/routing/{specialization}', { params: { path: { specialization: name } } })),
  );
  const decisions = useLive(['decisions', name], () =>
    call(api.GET('/api/v1/performance/{specialization}/decisions', { params: { path: { specialization: name } } })),
  );
  const watchdog = decisions.data?.watchdog as WatchdogState | null | undefined;
  return (
    <article className="card" aria-label={`specialization ${name}`}>
      <h2>{name}</h2>
      <Loaded query={routing} what="routing">
        {(r) => (
          <>
            <Served label="Stable" d={r.stable} />
            {r.canary && <Served label={`Canary ${r.canary.weight} %`} d={r.canary} />}
            <Served label="Backup" d={r.backup} />
            {r.failoverFrom && <Served label="Failed over from" d={r.failoverFrom} />}
          </>
        )}
      </Loaded>
      <p>
        <span className="label">Watchdog</span>{' '}
        {watchdog ? (
          <>
            <Link to={`/watchdogs/${name}`}>
              {watchdog.paused ? 'paused' : `watching (${watchdog.serving} serves)`}
            </Link>
            , last evaluated <Time at={watchdog.lastEvaluatedAt} />
          </>
        ) : (
          <span className="muted">not running</span>
        )}
      </p>
      <p>
        <span className="label">Open alerts</span>{' '}
        {alerts.length ? <Link to={`/alerts?specialization=${name}`}>{alerts.length}</Link> : 'none'}
      </p>
      {decisions.data && decisions.data.switchEvents.length > 0 && (
        <ul className="small">
          {decisions.data.switchEvents.slice(-3).map((e) => (
            <li key={e.id}>
              <Time at={e.createdAt} /> {e.action}: {e.reason}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

export function Overview() {
  const deployments = useLive(['deployments', 'recent'], () =>
    call(api.GET('/api/v1/deployments', { params: { query: { limit: 100 } } })),
  );
  const alerts = useLive(['alerts', 'open'], () =>
    call(api.GET('/api/v1/alerts', { params: { query: { status: 'open', limit: 100 } } })),
  );
  return (
    <>
      <h1>Overview</h1>
      <Loaded query={deployments} what="deployments">
        {(list) => {
          const specializations = [...new Set(list.items.map((d) => d.specialization))].sort();
          const running = list.items.filter((d) => d.status === 'staging' || d.status === 'rolling_out');
          return (
            <>
              {running.length > 0 && (
                <section>
                  <h2>Rollouts under way</h2>
                  <ul>
                    {running.map((d) => (
                      <li key={d.id}>
                        <Link to={`/deployments/${d.id}`}>{d.specialization}</Link> <Status value={d.status} />{' '}
                        <WebUiLink url={d.webUiUrl} />
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              {specializations.length === 0 ? (
                <Empty>
                  Nothing serves yet. <Link to="/training">Train a model</Link> or{' '}
                  <Link to="/models">deploy a registered one</Link>.
                </Empty>
              ) : (
                <div className="grid">
                  {specializations.map((s) => (
                    <Specialization
                      key={s}
                      name={s}
                      alerts={(alerts.data?.items ?? []).filter((a) => a.specialization === s)}
                    />
                  ))}
                </div>
              )}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
