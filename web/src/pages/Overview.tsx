import { Link } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { Empty, Loaded, Status, Time, WebUiLink } from '../components/States';
import { useLive } from '../live';

type Item = Schemas['Overview']['items'][number];

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

/** What serves a specialization now, how its watchdog last judged it, its open alerts and last switches. */
function Specialization({ item }: { item: Item }) {
  const { specialization: name, routing: r, watchdog } = item;
  return (
    <article className="card" aria-label={`specialization ${name}`}>
      <h2>{name}</h2>
      <Served label="Stable" d={r.stable} />
      {r.canary && <Served label={`Canary ${r.canary.weight} %`} d={r.canary} />}
      <Served label="Backup" d={r.backup} />
      {r.failoverFrom && <Served label="Failed over from" d={r.failoverFrom} />}
      <p>
        <span className="label">Watchdog</span>{' '}
        {watchdog ? (
          <>
            <Link to={`/watchdogs/${name}`}>
              the {watchdog.serving} serves, last window {watchdog.lastVerdict}
            </Link>{' '}
            <Time at={watchdog.lastWindowAt} />
          </>
        ) : (
          <span className="muted">no window judged yet</span>
        )}
      </p>
      <p>
        <span className="label">Open alerts</span>{' '}
        {item.openAlerts ? <Link to={`/alerts?specialization=${name}`}>{item.openAlerts}</Link> : 'none'}
      </p>
      {item.lastSwitches.length > 0 && (
        <ul className="small">
          {item.lastSwitches.map((e) => (
            <li key={e.id}>
              <Time at={e.createdAt} /> {e.action}: {e.reason}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

/** Every routed specialization and the rollouts under way: one request (GET /overview) every 2 s. */
export function Overview() {
  const overview = useLive(['overview'], () => call(api.GET('/api/v1/overview')));
  return (
    <>
      <h1>Overview</h1>
      <Loaded query={overview} what="the overview">
        {({ items, rollouts }) => (
          <>
            {rollouts.length > 0 && (
              <section>
                <h2>Rollouts under way</h2>
                <ul>
                  {rollouts.map((d) => (
                    <li key={d.id}>
                      <Link to={`/deployments/${d.id}`}>{d.specialization}</Link> <Status value={d.status} />{' '}
                      <WebUiLink url={d.webUiUrl} />
                    </li>
                  ))}
                </ul>
              </section>
            )}
            {items.length === 0 ? (
              <Empty>
                Nothing serves yet. <Link to="/training">Train a model</Link> or{' '}
                <Link to="/models">deploy a registered one</Link>.
              </Empty>
            ) : (
              <div className="grid">
                {items.map((item) => (
                  <Specialization key={item.specialization} item={item} />
                ))}
              </div>
            )}
          </>
        )}
      </Loaded>
    </>
  );
}
