/**
 * Splits streamed content into reasoning and answer text at reasoning tags, which local
 * servers and some hosted models put inside `content`: `<think>...</think>` (most of them) and
 * `<thought>...</thought>` (Gemini's OpenAI-compatible endpoint when thoughts are asked for).
 * Tags may be split anywhere across chunks (`<th` + `ink>`): a possible tag prefix at the end
 * of a piece is held back until the next piece decides it.
 */

/** Each opening tag and the closing tag that ends its reasoning. */
const TAGS: readonly (readonly [open: string, close: string])[] = [
  ["<think>", "</think>"],
  ["<thought>", "</thought>"],
];
const OPENS = TAGS.map(([open]) => open);

/** A run of text and whether it was inside a reasoning tag pair. */
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

/** The first opening tag in `s`: where it starts and the tag that closes it. */
function firstOpen(s: string): { at: number; open: string; close: string } | undefined {
  let found: { at: number; open: string; close: string } | undefined;
  for (const [open, close] of TAGS) {
    const at = s.indexOf(open);
    if (at >= 0 && (found === undefined || at < found.at)) found = { at, open, close };
  }
  return found;
}

/** Stateful splitter; one per response. */
export class ThinkTagSplitter {
  /** The closing tag awaited while inside reasoning; undefined outside it. */
  #close: string | undefined;
  #pending = "";
  #trimAfterClose = false;

  /** Splits the next content piece; returns the segments that are certain so far. */
  push(piece: string): ThinkSegment[] {
    let s = this.#pending + piece;
    this.#pending = "";
    if (this.#close === undefined && !this.#trimAfterClose && s.indexOf("<") === -1) {
      return s ? [{ thinking: false, text: s }] : [];
    }
    const out: ThinkSegment[] = [];
    while (s.length > 0) {
      if (this.#trimAfterClose) {
        // Models put blank lines after the closing tag; they are layout, not answer text.
        const trimmed = s.replace(/^[\r\n]+/, "");
        if (trimmed.length === 0) return out;
        s = trimmed;
        this.#trimAfterClose = false;
      }
      const close = this.#close;
      const inThink = close !== undefined;
      // Inside reasoning only its own closing tag ends it; outside, the first opening tag wins.
      const tag = inThink ? { at: s.indexOf(close), open: close, close: undefined } : firstOpen(s);
      if (tag && tag.at >= 0) {
        if (tag.at > 0) out.push({ thinking: inThink, text: s.slice(0, tag.at) });
        s = s.slice(tag.at + tag.open.length);
        this.#close = tag.close;
        if (inThink) this.#trimAfterClose = true;
        continue;
      }
      const hold = inThink
        ? partialTagSuffix(s, close)
        : Math.max(...OPENS.map((open) => partialTagSuffix(s, open)));
      const emit = s.slice(0, s.length - hold);
      if (emit) out.push({ thinking: inThink, text: emit });
      this.#pending = s.slice(s.length - hold);
      break;
    }
    return out;
  }

  /** Releases any held-back text at the end of the stream. */
  flush(): ThinkSegment[] {
    const rest = this.#pending;
    this.#pending = "";
    return rest ? [{ thinking: this.#close !== undefined, text: rest }] : [];
  }
}
