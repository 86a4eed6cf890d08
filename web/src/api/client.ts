import createClient from 'openapi-fetch';
import { currentSession } from '../auth';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/** The typed client generated from the API's OpenAPI document; every call carries the session's token. */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use({
  onRequest({ request }) {
    const session = currentSession();
    if (session) request.headers.set('Authorization', `Bearer ${session.token}`);
    return request;
  },
});

/** An answer other than 2xx, with the API's own message. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The data of a call, or its error as the API said it. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> {
  const { data, error, response } = await pending;
  if (response.ok) return data as NonNullable<T>;
  const body = (error ?? {}) as { error?: { code?: string; message?: string } };
  throw new ApiProblem(
    response.status,
    body.error?.message ?? `${response.status} ${response.statusText}`.trim(),
    body.error?.code,
  );
}
