import { useState, type ReactNode } from 'react';
import { atLeast, currentSession, type Level } from '../auth';
import { useAction } from '../live';
import { Problem } from './States';

/**
 * A button for one action: disabled (saying why) for a token whose level cannot do it, busy
 * while it runs, and the API's answer shown when it refuses.
 */
export function ActionButton({
  level,
  run,
  children,
  confirm,
  className,
}: {
  level: Level;
  run: () => Promise<unknown>;
  children: ReactNode;
  confirm?: string;
  className?: string;
}) {
  const action = useAction(run);
  const [done, setDone] = useState(false);
  const allowed = atLeast(currentSession(), level);
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        disabled={!allowed || action.isPending}
        title={allowed ? undefined : `needs a ${level} token`}
        onClick={() => {
          if (confirm && !window.confirm(confirm)) return;
          setDone(false);
          action.mutate(undefined, { onSuccess: () => setDone(true) });
        }}
      >
        {action.isPending ? 'Working…' : children}
      </button>
      {!allowed && <span className="muted small"> needs a {level} token</span>}
      {done && !action.isError && (
        <span className="ok small" role="status">
          {' '}
          done
        </span>
      )}
      {action.isError && <Problem error={action.error} />}
    </span>
  );
}
