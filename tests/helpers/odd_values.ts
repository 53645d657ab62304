/** Walking a JSON value to put odd values where well-formed ones were, for fuzz tests. */

/** Every path to a value inside `value` (the empty path is `value` itself). */
export function paths(
  value: unknown,
  at: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...at, i], out));
  else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) paths(v, [...at, k], out);
  }
  return out;
}

/** A copy of `value` with `odd` at `path`. */
export function replaced(value: unknown, path: (string | number)[], odd: unknown): unknown {
  if (path.length === 0) return odd;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = odd;
  return copy;
}
