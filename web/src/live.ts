import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

/** How often a page asks again: live without reloading, paused while the tab is hidden. */
export const LIVE_MS = 2_000;

export function useLive<T>(key: readonly unknown[], fetch: () => Promise<T>, enabled = true) {
  return useQuery({ queryKey: key, queryFn: fetch, refetchInterval: LIVE_MS, enabled });
}

/** An action (approve, cancel, …): everything shown is asked for again once it answers. */
export function useAction<A, R>(run: (args: A) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: run, onSettled: () => client.invalidateQueries() });
}
