/**
 * Where each key of an earlier key list stands in a changed one, found by ids of the keys (a
 * keyed hash of each, as Redis names keys): guards.kv names a key by its index, and a restart with
 * `[k1, k2]` changed to `[k2, k3]` must take back what it learned of k2, now first, and nothing of
 * k1 for k3, which took k1's place.
 */

/**
 * Maps an index of the list `before` named to the index of the same key in `now`; undefined when
 * no key of `before` is in `now` (or `before` is unknown: a record written without ids).
 */
export function keyPlaces(
  before: readonly string[] | undefined,
  now: readonly string[],
): ((index: number) => number | undefined) | undefined {
  if (before === undefined) return undefined;
  const places = new Map<number, number>();
  before.forEach((id, index) => {
    const to = now.indexOf(id);
    if (to >= 0) places.set(index, to);
  });
  return places.size === 0 ? undefined : (index) => places.get(index);
}
