import { Link, useParams, useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { DeploymentPanel } from '../components/DeploymentPanel';
import { Empty, Loaded, Status, Time, WebUiLink } from '../components/States';
import { useLive } from '../live';

export function Deployments() {
  const [params] = useSearchParams();
  const specialization = params.get('specialization') || undefined;
  const list = useLive(['deployments', specialization], () =>
    call(api.GET('/api/v1/deployments', { params: { query: { specialization, limit: 50 } } })),
  );
  return (
    <>
      <h1>Deployments</h1>
      <Loaded query={list} what="deployments">
        {({ items }) =>
          items.length === 0 ? (
            <Empty>
              No rollouts yet. Deploy a model from its page under <Link to="/models">Models</Link>.
            </Empty>
          ) : (
            <table>
              <caption>Rollouts, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">specialization</th>
                  <th scope="col">status</th>
                  <th scope="col">last decision</th>
                  <th scope="col">started</th>
                  <th scope="col">workflow</th>
                </tr>
              </thead>
              <tbody>
                {items.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link to={`/deployments/${d.id}`}>{d.specialization}</Link>
                    </td>
                    <td>
                      <Status value={d.status} />
                    </td>
                    <td className="small">{String((d.lastDecision as { message?: string } | null)?.message ?? '')}</td>
                    <td>
                      <Time at={d.createdAt} />
                    </td>
                    <td>
                      <WebUiLink url={d.webUiUrl} />
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

export function DeploymentPage() {
  const { id = '' } = useParams();
  const deployment = useLive(['deployment', id], () =>
    call(api.GET('/api/v1/deployments/{id}', { params: { path: { id } } })),
  );
  return (
    <Loaded query={deployment} what="the deployment">
      {(d) => <DeploymentPanel deployment={d} />}
    </Loaded>
  );
}
