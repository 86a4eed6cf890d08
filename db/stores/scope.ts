/**
 * The specialization condition of a list: the caller's filter, narrowed to a scoped token's
 * specializations (`within`; undefined = every one). A filter outside them matches nothing ([]).
 */
export function specializationCondition(
  specialization: string | undefined,
  within: string[] | undefined,
): string | string[] | undefined {
  if (!within) return specialization;
  if (specialization === undefined) return within;
  return within.includes(specialization) ? specialization : [];
}
