import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, call } from '../api/client';
import { atLeast, currentSession, mayActOn } from '../auth';
import { Loaded, Problem, Status, Time, WebUiLink } from '../components/States';
import { useAction, useLive } from '../live';

/** Deploys this model through the health gate; what is left out comes from the gate policy. */
function DeployForm({ modelId, specialization }: { modelId: string; specialization: string }) {
  const navigate = useNavigate();
  const [requireApproval, setRequireApproval] = useState(false);
  const [watch, setWatch] = useState(true);
  const deploy = useAction(() =>
    call(
      api.POST('/api/v1/models/{id}/deploy', {
        params: { path: { id: modelId } },
        body: { specialization, requireApproval, watch },
      }),
    ),
  );
  const session = currentSession();
  const why = !atLeast(session, 'write')
    ? 'needs a write token'
    : !mayActOn(session, specialization)
      ? `this token is not for ${specialization}`
      : null;
  return (
    <form
      className="panel"
      aria-label="Deploy this model"
      onSubmit={(e) => {
        e.preventDefault();
        deploy.mutate(undefined, { onSuccess: (started) => navigate(`/deployments/${started.deploymentId}`) });
      }}
    >
      <h2>Deploy</h2>
      <p className="small">
        A canary to {specialization} through the gate policy’s steps and analysis windows (README: Gate policy).
      </p>
      <label>
        <input type="checkbox" checked={requireApproval} onChange={(e) => setRequireApproval(e.target.checked)} /> Wait
        for an approval before promoting
      </label>
      <label>
        <input type="checkbox" checked={watch} onChange={(e) => setWatch(e.target.checked)} /> Watch it once promoted
      </label>
      <button type="submit" disabled={why !== null || deploy.isPending}>
        {deploy.isPending ? 'Starting…' : 'Deploy'}
      </button>
      {why && <span className="muted small"> {why}</span>}
      {deploy.isError && <Problem error={deploy.error} />}
    </form>
  );
}

/** The other versions of a model (same name, same specialization), newest first. */
function Versions({ name, specialization, current }: { name: string; specialization: string; current: string }) {
  const models = useLive(['models', specialization, 'versions'], () =>
    call(api.GET('/api/v1/models', { params: { query: { specialization, limit: 100 } } })),
  );
  const versions = (models.data?.items ?? []).filter((m) => m.name === name);
  if (versions.length < 2) return null;
  return (
    <p>
      <span className="label">Versions</span>{' '}
      {versions.map((m, i) => (
        <span key={m.id}>
          {i > 0 && ' · '}
          {m.id === current ? <strong>v{m.version}</strong> : <Link to={`/models/${m.id}`}>v{m.version}</Link>}
        </span>
      ))}
    </p>
  );
}

/** A model version: its other versions, metrics, validation, lineage (training job → deployments → switches) and a deploy form. */
export function ModelPage() {
  const { id = '' } = useParams();
  const lineage = useLive(['lineage', id], () =>
    call(api.GET('/api/v1/models/{id}/lineage', { params: { path: { id } } })),
  );
  return (
    <Loaded query={lineage} what="the model">
      {({ model, trainingJob, deployments, switchEvents, alerts }) => {
        const metrics = (model.performanceMetrics ?? {}) as Record<string, unknown>;
        const perLabel = (metrics.perLabelAccuracy ?? {}) as Record<string, number>;
        return (
          <>
            <h1>
              {model.name} <span className="muted">v{model.version}</span>
            </h1>
            <p>
              {model.specialization} · <Status value={model.status} /> · base {model.baseModel} · registered{' '}
              <Time at={model.createdAt} /> by {model.createdBy ?? 'unknown'}
            </p>
            {model.description && <p>{model.description}</p>}
            <Versions name={model.name} specialization={model.specialization} current={model.id} />
            <div className="grid">
              <section className="panel">
                <h2>Metrics</h2>
                <dl className="metrics">
                  {Object.entries(metrics)
                    .filter(([, v]) => typeof v === 'number')
                    .map(([k, v]) => (
                      <div key={k}>
                        <dt>{k}</dt>
                        <dd>{(v as number).toFixed(4)}</dd>
                      </div>
                    ))}
                </dl>
                {Object.keys(perLabel).length > 0 && (
                  <table>
                    <caption>Accuracy per label (holdout)</caption>
                    <thead>
                      <tr>
                        <th scope="col">label</th>
                        <th scope="col">accuracy</th>
                      </tr>
                    </thead>
                    <tbody>
                      {Object.entries(perLabel).map(([label, accuracy]) => (
                        <tr key={label}>
                          <td>{label}</td>
                          <td>{(accuracy * 100).toFixed(1)} %</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <section className="panel">
                <h2>Validation</h2>
                {model.validation ? (
                  <pre tabIndex={0}>{JSON.stringify(model.validation, null, 2)}</pre>
                ) : (
                  <p className="muted">Not validated yet.</p>
                )}
              </section>
            </div>
            <section className="panel">
              <h2>Lineage</h2>
              <p>
                <span className="label">Trained by</span>{' '}
                {trainingJob ? (
                  <>
                    <Link to={`/training/${trainingJob.id}`}>{trainingJob.name}</Link>{' '}
                    <WebUiLink url={trainingJob.webUiUrl} />
                  </>
                ) : (
                  'registered by hand'
                )}
              </p>
              <h3>Deployments</h3>
              {deployments.length === 0 ? (
                <p className="muted">Never deployed.</p>
              ) : (
                <ul>
                  {deployments.map((d) => (
                    <li key={d.id}>
                      <Link to={`/deployments/${d.id}`}>
                        {d.specialization}, <Time at={d.createdAt} />
                      </Link>{' '}
                      <Status value={d.status} /> <WebUiLink url={d.webUiUrl} />
                    </li>
                  ))}
                </ul>
              )}
              <h3>Switches</h3>
              {switchEvents.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <ul>
                  {switchEvents.map((e) => (
                    <li key={e.id}>
                      <Time at={e.createdAt} /> {e.action}: {e.reason}
                    </li>
                  ))}
                </ul>
              )}
              <h3>Alerts</h3>
              {alerts.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <ul>
                  {alerts.map((a) => (
                    <li key={a.id}>
                      {a.alertClass} <Status value={a.status} /> {a.summary}
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <DeployForm modelId={model.id} specialization={model.specialization} />
          </>
        );
      }}
    </Loaded>
  );
}
