import { useState } from 'react';
import { NavLink, Outlet } from 'react-router';
import { currentSession, signIn, signOut } from '../auth';

const PAGES = [
  ['/', 'Overview'],
  ['/models', 'Models'],
  ['/training', 'Training'],
  ['/deployments', 'Deployments'],
  ['/watchdogs', 'Watchdogs'],
  ['/alerts', 'Alerts'],
  ['/thresholds', 'Thresholds'],
] as const;

/** Sign-in: paste a token (the API's bearer JWT). */
function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <main className="sign-in">
      <h1>NeuroWeaver console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          try {
            signIn(token);
            onSignedIn();
          } catch (err) {
            setProblem((err as Error).message);
          }
        }}
      >
        <label htmlFor="token">Token (the bearer JWT you call the API with)</label>
        <textarea id="token" rows={5} value={token} onChange={(e) => setToken(e.target.value)} required />
        <button type="submit">Sign in</button>
        {problem && (
          <p className="problem" role="alert">
            {problem}
          </p>
        )}
      </form>
      <p className="small">
        In development, <code>npm start</code> prints a sign-in link with the dev token; <code>npm run token</code>{' '}
        makes one. The token stays in this tab only (sessionStorage).
      </p>
    </main>
  );
}

export function Layout() {
  const [, refresh] = useState(0);
  const session = currentSession();
  if (!session) return <SignIn onSignedIn={() => refresh((n) => n + 1)} />;
  return (
    <>
      <header className="top">
        <span className="brand">NeuroWeaver</span>
        <nav aria-label="Console pages">
          {PAGES.map(([to, label]) => (
            <NavLink key={to} to={to} end={to === '/'}>
              {label}
            </NavLink>
          ))}
        </nav>
        <span className="who small">
          {session.sub} · {session.level}
          {session.resources.includes('*') ? '' : ` · ${session.resources.join(', ')}`} <a href="/docs">API docs</a>{' '}
          <button
            type="button"
            className="link"
            onClick={() => {
              signOut();
              refresh((n) => n + 1);
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Outlet />
      </main>
    </>
  );
}
