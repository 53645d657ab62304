/**
 * Appending one array to another whatever its length: `push(...items)` passes each item as an
 * argument, and a client's request with ~120,000 blocks in a turn ran out of stack there (ccp
 * then answered that the body was nested too deeply).
 */

/** Appends `items` to `target`, one by one. */
export function append<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
