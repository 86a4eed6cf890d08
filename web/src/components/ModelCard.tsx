import { Link } from 'react-router';
import type { Schemas } from '../api/client';
import { Status, Time } from './States';

/** A model version at a glance: what it is, for which specialization, how it measured. */
export function ModelCard({ model }: { model: Schemas['Model'] }) {
  const metrics = (model.performanceMetrics ?? {}) as Record<string, unknown>;
  const accuracy = typeof metrics.holdoutAccuracy === 'number' ? metrics.holdoutAccuracy : metrics.accuracy;
  return (
    <article className="card" aria-label={`model ${model.name} ${model.version}`}>
      <h3>
        <Link to={`/models/${model.id}`}>
          {model.name} <span className="muted">v{model.version}</span>
        </Link>
      </h3>
      <p>
        {model.specialization} · <Status value={model.status} />
      </p>
      <p className="small">
        {typeof accuracy === 'number' ? `accuracy ${(accuracy * 100).toFixed(1)} %` : 'no accuracy recorded'} ·
        registered <Time at={model.createdAt} />
      </p>
    </article>
  );
}
