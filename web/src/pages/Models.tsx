import { useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { ModelCard } from '../components/ModelCard';
import { Empty, Loaded } from '../components/States';
import { useLive } from '../live';

const PAGE = 20;

/** The registry, filtered by specialization and status, a page at a time. */
export function Models() {
  const [params, setParams] = useSearchParams();
  const specialization = params.get('specialization') || undefined;
  const status = params.get('status') || undefined;
  const skip = Number(params.get('skip') ?? 0);
  const models = useLive(['models', specialization, status, skip], () =>
    call(api.GET('/api/v1/models', { params: { query: { specialization, status, skip, limit: PAGE } } })),
  );
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== 'skip') next.delete('skip');
    setParams(next);
  };
  return (
    <>
      <h1>Models</h1>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Specialization{' '}
          <input defaultValue={specialization} onChange={(e) => set('specialization', e.target.value.trim())} />
        </label>
        <label>
          Status{' '}
          <select value={status ?? ''} onChange={(e) => set('status', e.target.value)}>
            <option value="">any</option>
            <option value="registered">registered</option>
            <option value="validated">validated</option>
            <option value="invalid">invalid</option>
            <option value="deployed">deployed (serving: stable or backup)</option>
            <option value="retired">retired (served, no more)</option>
          </select>
        </label>
      </form>
      <Loaded query={models} what="models">
        {(list) =>
          list.items.length === 0 ? (
            <Empty>
              No models match. Train one on the Training page, or register one with POST /api/v1/models/register.
            </Empty>
          ) : (
            <>
              <div className="grid">
                {list.items.map((m) => (
                  <ModelCard key={m.id} model={m} />
                ))}
              </div>
              <nav className="pager" aria-label="Pages of models">
                <button
                  type="button"
                  disabled={skip === 0}
                  onClick={() => set('skip', String(Math.max(0, skip - PAGE)))}
                >
                  Previous
                </button>
                <span>
                  {skip + 1}–{skip + list.items.length} of {list.total}
                </span>
                <button
                  type="button"
                  disabled={skip + PAGE >= list.total}
                  onClick={() => set('skip', String(skip + PAGE))}
                >
                  Next
                </button>
              </nav>
            </>
          )
        }
      </Loaded>
    </>
  );
}
