import { useEffect, useState } from 'react';
import { api, call, type Schemas } from '../api/client';
import { atLeast, currentSession } from '../auth';
import { Loaded, Problem, Time } from '../components/States';
import { useAction, useLive } from '../live';

function parse(text: string): Record<string, unknown> {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('thresholds are an object');
  return value as Record<string, unknown>;
}

/** Where the edited thresholds would have switched over a specialization's recorded windows. */
function Backtest({ thresholds }: { thresholds: string }) {
  const [specialization, setSpecialization] = useState('');
  const [result, setResult] = useState<Schemas['BacktestResult'] | null>(null);
  const run = useAction(async () => {
    const { data, error, response } = await api.GET('/api/v1/performance/{specialization}/trace', {
      params: { path: { specialization } },
      parseAs: 'text',
    });
    if (!response.ok) await call(Promise.resolve({ data, error, response }));
    const trace = String(data ?? '')
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as Schemas['TraceWindow']);
    if (trace.length === 0) throw new Error(`${specialization} has no recorded windows to replay yet`);
    return call(
      api.POST('/api/v1/performance/backtest', { body: { trace, specialization, thresholds: parse(thresholds) } }),
    );
  });
  return (
    <form
      className="panel"
      aria-label="Backtest"
      onSubmit={(e) => {
        e.preventDefault();
        run.mutate(undefined, { onSuccess: setResult });
      }}
    >
      <h2>Backtest</h2>
      <p className="small">
        Replays a specialization’s recorded windows through the watchdog’s evaluation with the thresholds above.
      </p>
      <label>
        Specialization{' '}
        <input value={specialization} onChange={(e) => setSpecialization(e.target.value.trim())} required />
      </label>
      <button type="submit" disabled={run.isPending}>
        {run.isPending ? 'Replaying…' : 'Replay its trace'}
      </button>
      {run.isError && <Problem error={run.error} />}
      {result && (
        <div role="status">
          <p>
            {result.trips} switch{result.trips === 1 ? '' : 'es'}, {result.recoveries} recover
            {result.recoveries === 1 ? 'y' : 'ies'}
          </p>
          <ol className="timeline small">
            {result.decisions.map((d) => (
              <li key={`${d.t}-${d.action}`}>
                at {d.t} s: <strong>{d.action}</strong> {d.reason}
              </li>
            ))}
          </ol>
          {result.notices.map((n) => (
            <p key={n} className="small muted">
              {n}
            </p>
          ))}
        </div>
      )}
    </form>
  );
}

export function Thresholds() {
  const current = useLive(['thresholds'], () => call(api.GET('/api/v1/performance/thresholds')));
  // The editor starts from the version in force when the page opened; saving makes a new one.
  const [text, setText] = useState('');
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    if (current.data && !loaded) {
      setText(JSON.stringify(current.data.thresholds, null, 2));
      setLoaded(true);
    }
  }, [current.data, loaded]);
  const save = useAction(() => call(api.PUT('/api/v1/performance/thresholds', { body: { thresholds: parse(text) } })));
  const allowed = atLeast(currentSession(), 'admin');
  return (
    <>
      <h1>Thresholds</h1>
      <Loaded query={current} what="the thresholds">
        {(t) => (
          <p>
            Version {t.version} from {t.source === 'file' ? 'performance_thresholds.yml' : 'the API'}, by {t.createdBy},{' '}
            <Time at={t.createdAt} />
            {t.notices.map((n) => (
              <span key={n} className="small muted">
                {' '}
                {n}
              </span>
            ))}
          </p>
        )}
      </Loaded>
      <form
        className="panel"
        aria-label="Edit the thresholds"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(undefined);
        }}
      >
        <label htmlFor="thresholds">The thresholds in force (JSON; validated by the API as the file is)</label>
        <textarea id="thresholds" rows={20} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
        <button type="submit" disabled={!allowed || save.isPending}>
          {save.isPending ? 'Saving…' : 'Save as a new version'}
        </button>
        {!allowed && <span className="muted small"> needs an admin token</span>}
        {save.isSuccess && (
          <span className="ok" role="status">
            {' '}
            saved as version {save.data.version}
          </span>
        )}
        {save.isError && <Problem error={save.error} />}
      </form>
      <Backtest thresholds={text} />
    </>
  );
}
