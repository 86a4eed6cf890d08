import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { atLeast, currentSession } from '../auth';
import { ActionButton } from '../components/ActionButton';
import { PerformanceChart, type ChartPoint } from '../components/PerformanceChart';
import { Empty, Loaded, Problem, Time, WebUiLink } from '../components/States';
import { TrainingStatus } from '../components/TrainingStatus';
import { useAction, useLive } from '../live';

type Job = NonNullable<Schemas['TrainingJob']>;
type Hyperparameters = Schemas['TrainingJobRequest']['hyperparameters'];

/** Starts a training job; the API validates it as it validates any caller and names a wrong field. */
function StartForm() {
  const navigate = useNavigate();
  const datasets = useLive(['datasets'], () => call(api.GET('/api/v1/training/datasets')));
  const [form, setForm] = useState({
    name: '',
    specialization: '',
    baseModel: 'hashed-ngrams-softmax',
    dataset: '',
    trainer: 'builtin' as 'builtin' | 'torch',
  });
  const [hp, setHp] = useState<Hyperparameters>({ epochs: 8, learningRate: 5, batchSize: 16, seed: 42 });
  const start = useAction(() =>
    call(
      api.POST('/api/v1/training/jobs', {
        body: {
          ...form,
          dataset: form.dataset || datasets.data?.items[0]?.name || '',
          hyperparameters: hp,
          resources: { gpus: 0 },
          autoDeploy: false,
        },
      }),
    ),
  );
  const allowed = atLeast(currentSession(), 'write');
  const text = (key: keyof typeof form, label: string) => (
    <label>
      {label} <input value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} required />
    </label>
  );
  const number = (key: keyof Hyperparameters, label: string, step = 1) => (
    <label>
      {label}{' '}
      <input
        type="number"
        step={step}
        value={hp[key] ?? ''}
        onChange={(e) => setHp({ ...hp, [key]: e.target.value === '' ? undefined : Number(e.target.value) })}
      />
    </label>
  );
  return (
    <form
      className="panel form"
      aria-label="Start a training job"
      onSubmit={(e) => {
        e.preventDefault();
        start.mutate(undefined, { onSuccess: (job) => navigate(`/training/${job.jobId}`) });
      }}
    >
      <h2>Start a training job</h2>
      {text('name', 'Name')}
      {text('specialization', 'Specialization')}
      {text('baseModel', 'Base model')}
      <label>
        Dataset{' '}
        <select value={form.dataset} onChange={(e) => setForm({ ...form, dataset: e.target.value })}>
          {(datasets.data?.items ?? []).map((d) => (
            <option key={d.name} value={d.name}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Trainer{' '}
        <select
          value={form.trainer}
          onChange={(e) => setForm({ ...form, trainer: e.target.value as 'builtin' | 'torch' })}
        >
          <option value="builtin">builtin</option>
          <option value="torch">torch (PyTorch)</option>
        </select>
      </label>
      {number('epochs', 'Epochs')}
      {number('learningRate', 'Learning rate', 0.01)}
      {number('batchSize', 'Batch size')}
      {number('seed', 'Seed')}
      <button type="submit" disabled={!allowed || start.isPending}>
        {start.isPending ? 'Starting…' : 'Start training'}
      </button>
      {!allowed && <span className="muted small"> needs a write token</span>}
      {start.isError && <Problem error={start.error} />}
    </form>
  );
}

export function Training() {
  const jobs = useLive(['jobs'], () => call(api.GET('/api/v1/training/jobs', { params: { query: { limit: 50 } } })));
  return (
    <>
      <h1>Training</h1>
      <Loaded query={jobs} what="training jobs">
        {(list) =>
          list.items.length === 0 ? (
            <Empty>No training jobs yet: start one below.</Empty>
          ) : (
            <table>
              <caption>Training jobs, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">job</th>
                  <th scope="col">specialization</th>
                  <th scope="col">progress</th>
                  <th scope="col">started</th>
                </tr>
              </thead>
              <tbody>
                {list.items
                  .filter((j): j is Job => j !== null)
                  .map((j) => (
                    <tr key={j.id}>
                      <td>
                        <Link to={`/training/${j.id}`}>{j.name}</Link>
                      </td>
                      <td>{j.specialization}</td>
                      <td>
                        <TrainingStatus job={j} />
                      </td>
                      <td>
                        <Time at={j.startedAt ?? j.createdAt} />
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      <StartForm />
    </>
  );
}

/** One job: live progress with its loss at the end of each epoch, logs, cancel. */
export function TrainingJobPage() {
  const { id = '' } = useParams();
  const job = useLive(['job', id], () => call(api.GET('/api/v1/training/jobs/{id}', { params: { path: { id } } })));
  const logs = useLive(['logs', id], () =>
    call(api.GET('/api/v1/training/jobs/{id}/logs', { params: { path: { id } } })),
  );
  // While it runs, the live progress; once done, the curve kept with the job's metrics.
  const kept = (job.data?.metrics?.training as { epochs?: { epoch: number; loss: number | null }[] } | undefined)
    ?.epochs;
  const points: ChartPoint[] = (job.data?.progress?.epochs ?? kept ?? []).map((e) => ({
    label: `epoch ${e.epoch}`,
    loss: e.loss,
  }));
  return (
    <Loaded query={job} what="the training job">
      {(j) =>
        j === null ? (
          <Empty>No such training job.</Empty>
        ) : (
          <>
            <h1>{j.name}</h1>
            <p>
              {j.specialization} · trainer {j.trainer} · by {j.createdBy ?? 'unknown'} · <WebUiLink url={j.webUiUrl} />
            </p>
            <TrainingStatus job={j} />
            {j.modelId && (
              <p>
                Registered <Link to={`/models/${j.modelId}`}>its model</Link>.
              </p>
            )}
            {(j.status === 'pending' || j.status === 'running') && (
              <ActionButton
                level="write"
                specialization={j.specialization ?? undefined}
                confirm="Cancel this training job?"
                run={() => call(api.POST('/api/v1/training/jobs/{id}/cancel', { params: { path: { id } } }))}
              >
                Cancel
              </ActionButton>
            )}
            <PerformanceChart
              title="Loss at the end of each epoch"
              points={points}
              series={[{ key: 'loss', name: 'loss', color: '#1f5fa8' }]}
              empty="No epoch finished yet."
            />
            {j.metrics && (
              <section className="panel">
                <h2>Metrics</h2>
                <pre tabIndex={0}>{JSON.stringify(j.metrics, null, 2)}</pre>
              </section>
            )}
            <section className="panel">
              <h2>Logs</h2>
              <pre className="logs" tabIndex={0}>
                {logs.data?.logs || 'No log lines yet.'}
              </pre>
            </section>
          </>
        )
      }
    </Loaded>
  );
}
