/**
 * Where each of a few markers next occurs in a text read from the front, a piece at a time cut
 * off: each marker's place is remembered, and searched again only once the text read has passed
 * it. Searched afresh in each rest, a marker that never occurs is looked for to the end of the
 * text once per marker that does, and a content of 40000 tool calls or reasoning tags took
 * seconds.
 */

/** The next markers of one text; `rest` is always what is left of it (a suffix). */
export class MarkerSearch {
  // Each marker's next place in the whole text; -1 when none is left, NaN before the first search.
  readonly #at: number[];

  /** `length`: the whole text's length, of which every `rest` given is the end. */
  constructor(readonly markers: readonly string[], readonly length: number) {
    this.#at = markers.map(() => NaN);
  }

  /** The first marker in `rest`: where it starts in `rest`, and which of them it is. */
  first(rest: string): { at: number; marker: number } | undefined {
    const offset = this.length - rest.length;
    let best: { at: number; marker: number } | undefined;
    for (let i = 0; i < this.markers.length; i++) {
      let at = this.#at[i]!;
      if (Number.isNaN(at) || (at >= 0 && at < offset)) {
        const found = rest.indexOf(this.markers[i]!);
        at = found < 0 ? -1 : found + offset;
        this.#at[i] = at;
      }
      if (at >= 0 && (!best || at - offset < best.at)) best = { at: at - offset, marker: i };
    }
    return best;
  }
}
