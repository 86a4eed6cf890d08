import type { Schemas } from '../api/client';
import { Status } from './States';

/** A training job's state: its stage, epoch and step, and the time left. */
export function TrainingStatus({ job }: { job: NonNullable<Schemas['TrainingJob']> }) {
  const p = job.progress;
  const fraction =
    p && p.totalEpochs > 0
      ? Math.min(1, ((p.epoch - 1) * p.totalSteps + p.step) / (p.totalEpochs * Math.max(1, p.totalSteps)))
      : job.status === 'completed'
        ? 1
        : 0;
  return (
    <div className="training-status">
      <Status value={job.status} />
      <progress max={1} value={fraction} aria-label={`progress of ${job.name}`} />
      <span className="small">
        {p
          ? `${p.stage} · epoch ${p.epoch}/${p.totalEpochs} · step ${p.step}/${p.totalSteps}${p.loss !== null ? ` · loss ${p.loss.toFixed(4)}` : ''}${p.eta !== null ? ` · ${Math.ceil(p.eta)} s left` : ''}`
          : job.status === 'completed'
            ? 'done'
            : job.status === 'pending' && job.workflowStartedAt === null
              ? 'waiting for Temporal to start its workflow'
              : 'waiting for the trainer'}
      </span>
      {job.errorMessage && <p className="problem">{job.errorMessage}</p>}
    </div>
  );
}
