/**
 * Keeping a long-lived Map within a size. Maps keyed by what clients choose (a model name, a beta
 * name) live as long as ccp runs; each is bounded by forgetting its oldest entries, Map's
 * insertion order being their age.
 */

/**
 * Sets `key` as the newest entry of `map`, then forgets the oldest entries until at most `max`
 * remain. `pinned` is never forgotten (a key's whole-key cool-down among its per-model ones).
 */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, max: number, pinned?: K): void {
  map.delete(key);
  map.set(key, value);
  if (map.size <= max) return;
  // Deleting the entry being visited is safe while iterating a Map.
  for (const old of map.keys()) {
    if (map.size <= max) break;
    if (old !== key && old !== pinned) map.delete(old);
  }
}
