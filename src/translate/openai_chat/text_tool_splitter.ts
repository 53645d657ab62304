/**
 * Finds tool calls a model writes as text in streamed content. Text before a possible
 * call streams at once; from a marker (`<tool_call>`, `<function=`, Kimi K2's
 * `<|tool_calls_section_begin|>`, split anywhere across chunks) text is held back until the
 * span closes, then it becomes its calls, or text again when it does not parse. Held text is
 * bounded: past the limit it is released as text (a span that begins as a call has a larger one).
 */

import { MarkerSearch } from "../reasoning/marker_search.ts";
import { partialTagSuffix } from "../reasoning/think_tags.ts";
import {
  CALL_HEAD_CHARS,
  type OfferedTool,
  TEXT_TOOL_FORMATS,
  type TextToolCall,
  type TextToolFormat,
} from "./text_tool_parse.ts";

/** What the splitter yields, in order. */
export type TextToolSegment =
  | { kind: "text"; text: string }
  | { kind: "call"; call: TextToolCall };

/** Longest span held back unless it begins as a call of an offered tool does. */
const MAX_HELD_CHARS = 256 * 1024;

/**
 * Longest span held back that begins as a call: a file a model writes through a tool can be
 * larger than {@link MAX_HELD_CHARS}, and given up on there, it would reach the client as text
 * (the call never run) when streamed, where the same call in one piece is a call. This bound
 * only keeps a model that never closes its call from holding unbounded memory.
 */
const MAX_CALL_CHARS = 16 * 1024 * 1024;

/** How much text a {@link TextToolSplitter} holds back (tests set smaller limits). */
export interface HoldLimits {
  /** Any open span (default 256 Ki characters). */
  readonly held?: number;
  /** A span that begins as a call of an offered tool (default 16 Mi characters). */
  readonly call?: number;
}

function firstMarker(
  s: string,
  formats: readonly TextToolFormat[],
): { at: number; format: TextToolFormat } | undefined {
  let best: { at: number; format: TextToolFormat } | undefined;
  for (const format of formats) {
    const at = s.indexOf(format.open);
    if (at >= 0 && (!best || at < best.at)) best = { at, format };
  }
  return best;
}

/**
 * Stateful splitter; one per response. An open call's text is kept as pieces and only the end
 * of what arrived is searched for its close tag: a call streamed in thousands of small pieces
 * costs each piece once, not the whole held text again (joining or scanning it per piece would
 * make a long call quadratic).
 */
export class TextToolSplitter {
  readonly #tools: ReadonlyMap<string, OfferedTool>;
  readonly #limit: number;
  readonly #callLimit: number;
  readonly #formats: readonly TextToolFormat[];
  readonly #opens: readonly string[];
  /** Outside a call: a possible marker start held back. */
  #prefix = "";
  /** Form of the open call; undefined outside a call. */
  #format: TextToolFormat | undefined;
  /** The open call's text so far, from its marker on. */
  #held: string[] = [];
  #heldLength = 0;
  /** The held text's last characters, where a close tag split across pieces begins. */
  #tail = "";
  /** After a call, blank layout before the next text or call is dropped. */
  #trimLead = false;
  /** The open span begins as a call (known once it passed the first limit). */
  #underway = false;

  /** `formats`: the text forms looked for (default: all of them). */
  constructor(
    tools: readonly OfferedTool[],
    limits: HoldLimits = {},
    formats: readonly TextToolFormat[] = TEXT_TOOL_FORMATS,
  ) {
    this.#tools = new Map(tools.map((t) => [t.name, t]));
    this.#limit = limits.held ?? MAX_HELD_CHARS;
    this.#callLimit = limits.call ?? MAX_CALL_CHARS;
    this.#formats = formats;
    this.#opens = formats.map((f) => f.open);
  }

  /** True while text is held back. */
  get holding(): boolean {
    return this.#prefix !== "" || this.#format !== undefined;
  }

  /** Splits the next text piece; returns the segments that are certain so far. */
  push(piece: string): TextToolSegment[] {
    const out: TextToolSegment[] = [];
    let s = piece;
    if (this.#format !== undefined) {
      const ended = this.#continueCall(piece, out);
      if (ended === undefined) return out;
      s = ended;
    } else {
      s = this.#prefix + piece;
      this.#prefix = "";
    }
    // Past the first call of this piece, markers are found through a search that remembers them.
    const length = s.length;
    let search: MarkerSearch | undefined;
    while (s.length > 0) {
      if (this.#trimLead) {
        s = s.replace(/^\s+/, "");
        if (!s) break;
        this.#trimLead = false;
      }
      const found = s.length === length
        ? firstMarker(s, this.#formats)
        : this.#nextMarker(s, search ??= new MarkerSearch(this.#opens, length));
      if (!found) {
        const hold = Math.max(...this.#formats.map((f) => partialTagSuffix(s, f.open)));
        if (s.length > hold) out.push({ kind: "text", text: s.slice(0, s.length - hold) });
        this.#prefix = s.slice(s.length - hold);
        break;
      }
      if (found.at > 0) out.push({ kind: "text", text: s.slice(0, found.at) });
      this.#format = found.format;
      const ended = this.#continueCall(s.slice(found.at), out);
      if (ended === undefined) break;
      s = ended;
    }
    return out;
  }

  #nextMarker(
    s: string,
    search: MarkerSearch,
  ): { at: number; format: TextToolFormat } | undefined {
    const found = search.first(s);
    return found && { at: found.at, format: this.#formats[found.marker]! };
  }

  /**
   * Releases held text at the end of the content: an unclosed call stays text, unless its form
   * can tell its calls are whole without the close tag.
   */
  flush(): TextToolSegment[] {
    const format = this.#format;
    const held = this.#takeHeld();
    this.#format = undefined;
    const calls = format?.parseUnclosed?.(held, this.#tools);
    if (calls) {
      this.#trimLead = true;
      return calls.map((call) => ({ kind: "call", call }));
    }
    const rest = this.#prefix + held;
    this.#prefix = "";
    return rest ? [{ kind: "text", text: rest }] : [];
  }

  /**
   * Adds `piece` to the open call. When the call closes in it, emits the call (or its text) and
   * returns what follows the close tag; undefined while the call is still open.
   */
  #continueCall(piece: string, out: TextToolSegment[]): string | undefined {
    const format = this.#format!;
    const close = format.close;
    const window = this.#tail + piece;
    const at = window.indexOf(close);
    if (at === -1) {
      this.#held.push(piece);
      this.#heldLength += piece.length;
      this.#tail = window.slice(-(close.length - 1));
      if (this.#heldLength > this.#limit && !this.#worthWaiting(format)) {
        // Too long to be a call worth waiting for: it is text.
        out.push({ kind: "text", text: this.#takeHeld() });
        this.#format = undefined;
      }
      return undefined;
    }
    // The tail is shorter than the tag, so the tag ends inside this piece.
    const end = at + close.length - this.#tail.length;
    const raw = this.#takeHeld() + piece.slice(0, end);
    this.#format = undefined;
    const calls = format.parse(raw, this.#tools);
    if (calls) {
      for (const call of calls) out.push({ kind: "call", call });
      this.#trimLead = true;
    } else out.push({ kind: "text", text: raw });
    return piece.slice(end);
  }

  /**
   * Whether the open span, past the first limit, is still held: only when it begins as a call
   * (read once, from its first characters) and is within the call limit.
   */
  #worthWaiting(format: TextToolFormat): boolean {
    if (!this.#underway) {
      let head = "";
      for (const piece of this.#held) {
        head += piece.slice(0, CALL_HEAD_CHARS - head.length);
        if (head.length >= CALL_HEAD_CHARS) break;
      }
      if (!format.underway(head, this.#tools)) return false;
      this.#underway = true;
    }
    return this.#heldLength <= this.#callLimit;
  }

  #takeHeld(): string {
    const text = this.#held.join("");
    this.#held = [];
    this.#heldLength = 0;
    this.#tail = "";
    this.#underway = false;
    return text;
  }
}
