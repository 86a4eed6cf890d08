import { Link, useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { ActionButton } from '../components/ActionButton';
import { Empty, Loaded, Status, Time } from '../components/States';
import { useLive } from '../live';

type Filter = 'open' | 'firing' | 'acknowledged' | 'resolved';

export function Alerts() {
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') as Filter | null) ?? 'open';
  const specialization = params.get('specialization') || undefined;
  const alerts = useLive(['alerts', status, specialization], () =>
    call(api.GET('/api/v1/alerts', { params: { query: { status, specialization, limit: 100 } } })),
  );
  return (
    <>
      <h1>Alerts</h1>
      <label>
        Show{' '}
        <select
          value={status}
          onChange={(e) => {
            const next = new URLSearchParams(params);
            next.set('status', e.target.value);
            setParams(next);
          }}
        >
          <option value="open">open (firing or acknowledged)</option>
          <option value="firing">firing</option>
          <option value="acknowledged">acknowledged</option>
          <option value="resolved">resolved</option>
        </select>
      </label>
      <Loaded query={alerts} what="alerts">
        {({ items }) =>
          items.length === 0 ? (
            <Empty>No {status} alerts. The watchdogs raise them when a model degrades.</Empty>
          ) : (
            <table>
              <caption>Alerts, {status}</caption>
              <thead>
                <tr>
                  <th scope="col">alert</th>
                  <th scope="col">status</th>
                  <th scope="col">summary</th>
                  <th scope="col">last seen</th>
                  <th scope="col">actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.id}>
                    <td>
                      {a.alertClass}{' '}
                      <span className="small">
                        (
                        {a.alertClass === 'prometheus' ? (
                          a.specialization
                        ) : (
                          // Its watchdog's page, which links the workflow in the Temporal Web UI.
                          <Link to={`/watchdogs/${a.specialization}`}>{a.specialization}</Link>
                        )}
                        , {a.severity})
                      </span>
                    </td>
                    <td>
                      <Status value={a.status} />
                      {a.acknowledgedBy ? <span className="small"> by {a.acknowledgedBy}</span> : null}
                    </td>
                    <td>{a.summary}</td>
                    <td>
                      <Time at={a.lastSeen} /> <span className="small">×{a.count}</span>
                    </td>
                    <td>
                      {a.status === 'firing' && (
                        <ActionButton
                          level="write"
                          specialization={a.specialization}
                          run={() =>
                            call(api.POST('/api/v1/alerts/{id}/acknowledge', { params: { path: { id: a.id } } }))
                          }
                        >
                          Acknowledge
                        </ActionButton>
                      )}
                      {a.status !== 'resolved' && (
                        <ActionButton
                          level="write"
                          specialization={a.specialization}
                          run={() => call(api.POST('/api/v1/alerts/{id}/resolve', { params: { path: { id: a.id } } }))}
                        >
                          Resolve
                        </ActionButton>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </>
  );
}
