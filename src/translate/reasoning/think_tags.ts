/**
 * Splits streamed content into reasoning and answer text at reasoning tags, which local
 * servers and some hosted models put inside `content`: `<think>...</think>` (most of them) and
 * `<thought>...</thought>` (Gemini's OpenAI-compatible endpoint when thoughts are asked for).
 * Tags may be split anywhere across chunks (`<th` + `ink>`): a possible tag prefix at the end
 * of a piece is held back until the next piece decides it. Models whose chat template writes the
 * opening tag into the prompt show only the closing one: their content starts inside reasoning.
 */

import { MarkerSearch } from "./marker_search.ts";

/** The pair most servers use, and the one a chat template may open in the prompt. */
const [THINK_OPEN, THINK_CLOSE] = ["<think>", "</think>"] as const;

/** Each opening tag and the closing tag that ends its reasoning. */
const TAGS: readonly (readonly [open: string, close: string])[] = [
  [THINK_OPEN, THINK_CLOSE],
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

/** {@link firstOpen} through `search`. */
function nextOpen(
  s: string,
  search: MarkerSearch,
): { at: number; open: string; close: string } | undefined {
  const found = search.first(s);
  if (!found) return undefined;
  const [open, close] = TAGS[found.marker]!;
  return { at: found.at, open, close };
}

/** Stateful splitter; one per response. */
export class ThinkTagSplitter {
  /** The closing tag awaited while inside reasoning; undefined outside it. */
  #close: string | undefined;
  #pending = "";
  #trimAfterClose = false;
  /** Opened by the prompt and no content decided yet: a `<think>` written anyway is dropped. */
  #opening = false;
  /**
   * Reasoning the prompt opened, while no `</think>` has ended it: a copy kept in case it never
   * does (it was the answer then). The span itself streams out as it arrives.
   */
  #unclosed: string | undefined;

  /**
   * `openedByPrompt`: the model's chat template wrote `<think>` into the prompt, so content begins
   * inside reasoning and only `</think>` shows where the answer starts.
   */
  constructor(openedByPrompt = false) {
    if (!openedByPrompt) return;
    this.#close = THINK_CLOSE;
    this.#opening = true;
    this.#unclosed = "";
  }

  /**
   * The server gave reasoning a field of its own before any content: it parsed the reasoning out,
   * so content is the answer after all.
   */
  reasoningApart(): void {
    if (!this.#opening) return;
    this.#opening = false;
    this.#close = undefined;
    this.#unclosed = undefined;
  }

  /**
   * Content taken for reasoning the prompt opened, when no `</think>` ever ended it (a server that
   * strips the reasoning, or a model that did not think): undefined once one did.
   */
  get unclosed(): string | undefined {
    return this.#unclosed;
  }

  /** Splits the next content piece; returns the segments that are certain so far. */
  push(piece: string): ThinkSegment[] {
    let s = this.#pending + piece;
    this.#pending = "";
    if (this.#opening) {
      const start = s.trimStart();
      // Whitespace, or a prefix of `<think>`: too early to tell.
      if (start.length < THINK_OPEN.length && THINK_OPEN.startsWith(start)) {
        this.#pending = s;
        return [];
      }
      this.#opening = false;
      if (start.startsWith(THINK_OPEN)) s = start.slice(THINK_OPEN.length);
    }
    if (this.#close === undefined && !this.#trimAfterClose && s.indexOf("<") === -1) {
      return s ? [{ thinking: false, text: s }] : [];
    }
    const out: ThinkSegment[] = [];
    // Past the first tag of this piece, opening tags are found through a search that remembers
    // them.
    const length = s.length;
    let search: MarkerSearch | undefined;
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
      const tag = inThink
        ? { at: s.indexOf(close), open: close, close: undefined }
        : s.length === length
        ? firstOpen(s)
        : nextOpen(s, search ??= new MarkerSearch(OPENS, length));
      if (tag && tag.at >= 0) {
        if (tag.at > 0) out.push(this.#segment(inThink, s.slice(0, tag.at)));
        s = s.slice(tag.at + tag.open.length);
        this.#close = tag.close;
        if (inThink) {
          this.#trimAfterClose = true;
          this.#unclosed = undefined;
        }
        continue;
      }
      const hold = inThink
        ? partialTagSuffix(s, close)
        : Math.max(...OPENS.map((open) => partialTagSuffix(s, open)));
      const emit = s.slice(0, s.length - hold);
      if (emit) out.push(this.#segment(inThink, emit));
      this.#pending = s.slice(s.length - hold);
      break;
    }
    return out;
  }

  #segment(thinking: boolean, text: string): ThinkSegment {
    if (thinking && this.#unclosed !== undefined) this.#unclosed += text;
    return { thinking, text };
  }

  /** Releases any held-back text at the end of the stream. */
  flush(): ThinkSegment[] {
    const rest = this.#pending;
    this.#pending = "";
    if (!rest) return [];
    // Only whitespace came while the prompt's opening was undecided: it is no reasoning.
    if (this.#opening) return [{ thinking: false, text: rest }];
    return [this.#segment(this.#close !== undefined, rest)];
  }
}
