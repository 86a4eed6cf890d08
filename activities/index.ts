import { createValidationActivities, type ValidationDeps } from './validation';

/** Everything the worker's activities need, built once by the worker (or a test) and injected. */
export type ActivityDeps = ValidationDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createValidationActivities(deps),
  };
}

/** Workflows proxy activities by this type only (`import type { Activities }`). */
export type Activities = ReturnType<typeof createActivities>;
