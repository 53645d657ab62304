/** A list of entries kept within a length: the first ones whole, the rest counted. */

/**
 * `entries` joined with ", ", first ones first, as many whole as fit in `max` characters with
 * `more(n)` (what is said of the `n` left out) after them. One too long alone is cut by `cut` to
 * `room` characters and marked `...`.
 */
export function firstEntries(
  entries: readonly string[],
  max: number,
  more: (n: number) => string,
  cut: (entry: string, room: number) => string = (entry, room) => entry.slice(0, room),
): string {
  const rest = (n: number) => n > 0 ? more(n) : "";
  let value = "";
  let kept = 0;
  for (const entry of entries) {
    const next = kept === 0 ? entry : `${value}, ${entry}`;
    if (next.length + rest(entries.length - kept - 1).length > max) break;
    value = next;
    kept++;
  }
  if (kept === 0 && entries.length > 0) {
    const room = max - rest(entries.length - 1).length - "...".length;
    value = `${cut(entries[0]!, room)}...`;
    kept = 1;
  }
  return value + rest(entries.length - kept);
}
