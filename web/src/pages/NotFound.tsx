import { Link } from 'react-router';

export function NotFound() {
  return (
    <>
      <h1>Not a console page</h1>
      <p>
        <Link to="/">Back to the overview</Link>
      </p>
    </>
  );
}
