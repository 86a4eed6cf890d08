import { useState, type ReactNode } from 'react';
import { atLeast, currentSession, mayActOn, type Level } from '../auth';
import { useAction } from '../live';
import { Problem } from './States';

/**
 * A button for one action: disabled (saying why) for a token whose level cannot do it or that is
 * scoped to other specializations, busy while it runs, and the API's answer shown when it refuses.
 */
export function ActionButton({
  level,
  specialization,
  run,
  children,
  confirm,
  className,
}: {
  level: Level;
  /** The specialization it acts on: a token scoped elsewhere cannot. */
  specialization?: string;
  run: () => Promise<unknown>;
  children: ReactNode;
  confirm?: string;
  className?: string;
}) {
  const action = useAction(run);
  const [done, setDone] = useState(false);
  const session = currentSession();
  const why = !atLeast(session, level)
    ? `needs ${level === 'admin' ? 'an' : 'a'} ${level} token`
    : specialization !== undefined && !mayActOn(session, specialization)
      ? `this token is not for ${specialization}`
      : null;
  const allowed = why === null;
  return (
    <span className="action">
      <button
        type="button"
        className={className}
        disabled={!allowed || action.isPending}
        title={why ?? undefined}
        onClick={() => {
          if (confirm && !window.confirm(confirm)) return;
          setDone(false);
          action.mutate(undefined, { onSuccess: () => setDone(true) });
        }}
      >
        {action.isPending ? 'Working…' : children}
      </button>
      {why && <span className="muted small"> {why}</span>}
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
