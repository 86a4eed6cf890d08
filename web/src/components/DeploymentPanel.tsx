import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { ActionButton } from './ActionButton';
import { Status, Time, WebUiLink } from './States';

interface Decision {
  key: string;
  at: string;
  kind: string;
  step?: number;
  weight?: number;
  message: string;
  analysis?: {
    requests: number;
    errorRate: number;
    p95LatencyMs: number | null;
    probeAccuracy: number;
    verdict?: string;
    passed: boolean;
  };
}
interface Live {
  stage: string;
  weight: number;
  awaitingApprovalUntil: string | null;
  decisions: Decision[];
}

const FINISHED = ['promoted', 'rolled_back', 'aborted', 'failed', 'superseded'];

/** Seconds left until `until`, ticking each second. */
function Countdown({ until }: { until: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.round((Date.parse(until) - now) / 1_000));
  return (
    <span className="countdown">
      {Math.floor(left / 60)} min {left % 60} s left to approve
    </span>
  );
}

/** One rollout: its stage, the decision timeline with each step's numbers, and what may be done now. */
export function DeploymentPanel({ deployment }: { deployment: Schemas['Deployment'] }) {
  const live = deployment.live as Live | null;
  // The recorded decisions (the gate's among them: the API records it before the workflow starts),
  // then any the running workflow has taken that are not recorded yet.
  const recorded = deployment.decisions as unknown as Decision[];
  const known = new Set(recorded.map((d) => d.key));
  const decisions = [...recorded, ...(live?.decisions ?? []).filter((d) => !known.has(d.key))];
  const id = deployment.id;
  const awaiting = live?.stage === 'awaiting-approval';
  return (
    <section className="panel" aria-label={`deployment ${id}`}>
      <header className="row">
        <h2>
          Rollout of <Link to={`/models/${deployment.modelId}`}>model {deployment.modelId.slice(0, 8)}</Link> to{' '}
          {deployment.specialization}
        </h2>
        <Status value={live?.stage ?? deployment.status} />
      </header>
      <p className="small">
        Started <Time at={deployment.createdAt} /> by {deployment.createdBy ?? 'unknown'}
        {live ? ` · canary weight ${live.weight} %` : ''} · <WebUiLink url={deployment.webUiUrl} />
      </p>
      {deployment.reason && <p>{deployment.reason}</p>}
      <div className="actions">
        {awaiting && live?.awaitingApprovalUntil && <Countdown until={live.awaitingApprovalUntil} />}
        {awaiting && (
          <ActionButton
            level="write"
            specialization={deployment.specialization}
            run={() => call(api.POST('/api/v1/deployments/{id}/approve', { params: { path: { id } }, body: {} }))}
          >
            Approve
          </ActionButton>
        )}
        {!FINISHED.includes(deployment.status) && (
          <ActionButton
            level="write"
            specialization={deployment.specialization}
            confirm="Abort this rollout? The canary leaves traffic at once."
            run={() =>
              call(
                api.POST('/api/v1/deployments/{id}/abort', {
                  params: { path: { id } },
                  body: { reason: 'aborted in the console' },
                }),
              )
            }
          >
            Abort
          </ActionButton>
        )}
        {deployment.status === 'promoted' && (
          <ActionButton
            level="write"
            specialization={deployment.specialization}
            confirm="Roll back to the previous stable?"
            run={() => call(api.POST('/api/v1/deployments/{id}/rollback', { params: { path: { id } } }))}
          >
            Roll back
          </ActionButton>
        )}
      </div>
      <h3>Decisions</h3>
      <ol className="timeline">
        {decisions.map((d) => (
          <li key={d.key}>
            <Time at={d.at} /> <strong>{d.kind}</strong>
            {d.weight !== undefined ? ` at ${d.weight} %` : ''}: {d.message}
            {d.analysis && (
              <span className="small numbers">
                {' '}
                ({d.analysis.requests} requests, error rate {(d.analysis.errorRate * 100).toFixed(1)} %, p95{' '}
                {d.analysis.p95LatencyMs ?? '—'} ms, probe accuracy {(d.analysis.probeAccuracy * 100).toFixed(1)} %
                {d.analysis.verdict ? `, ${d.analysis.verdict}` : ''})
              </span>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
