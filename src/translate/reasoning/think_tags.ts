/**
 * Splits streamed content into reasoning and answer text at `<think>` / `</think>`
 * tags, which local servers and some hosted models put inside `content`. Tags may be
 * split anywhere across chunks (`<th` + `ink>`): a possible tag prefix at the end of a
 * piece is held back until the next piece decides it.
 */

const OPEN = "<think>";
const CLOSE = "</think>";

/** A run of text and whether it was inside `<think>…</think>`. */
export interface ThinkSegment {
  thinking: boolean;
  text: string;
}

/** Length of the longest suffix of `s` that is a proper prefix of `tag`. */
export function partialTagSuffix(s: string, tag: string): number {
  const max = Math.min(tag.length - 1, s.length);
  for (let n = max; n > 0; n--) {
    if (s.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}

/** Stateful splitter; one per response. */
export class ThinkTagSplitter {
  #inThink = false;
  #pending = "";
  #trimAfterClose = false;

  /** Splits the next content piece; returns the segments that are certain so far. */
  push(piece: string): ThinkSegment[] {
    let s = this.#pending + piece;
    this.#pending = "";
    if (!this.#inThink && !this.#trimAfterClose && s.indexOf("<") === -1) {
      return s ? [{ thinking: false, text: s }] : [];
    }
    const out: ThinkSegment[] = [];
    while (s.length > 0) {
      if (this.#trimAfterClose) {
        // Models put blank lines after `</think>`; they are layout, not answer text.
        const trimmed = s.replace(/^[\r\n]+/, "");
        if (trimmed.length === 0) return out;
        s = trimmed;
        this.#trimAfterClose = false;
      }
      const tag = this.#inThink ? CLOSE : OPEN;
      const at = s.indexOf(tag);
      if (at >= 0) {
        if (at > 0) out.push({ thinking: this.#inThink, text: s.slice(0, at) });
        s = s.slice(at + tag.length);
        this.#inThink = !this.#inThink;
        if (!this.#inThink) this.#trimAfterClose = true;
        continue;
      }
      const hold = partialTagSuffix(s, tag);
      const emit = s.slice(0, s.length - hold);
      if (emit) out.push({ thinking: this.#inThink, text: emit });
      this.#pending = s.slice(s.length - hold);
      break;
    }
    return out;
  }

  /** Releases any held-back text at the end of the stream. */
  flush(): ThinkSegment[] {
    const rest = this.#pending;
    this.#pending = "";
    return rest ? [{ thinking: this.#inThink, text: rest }] : [];
  }
}
