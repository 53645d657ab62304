/**
 * Tool calls a model writes as its whole answer, as bare JSON with no tag around them:
 * qwen2.5-coder's template teaches `{"name": "Read", "arguments": {...}}`, and the model at times
 * writes it as the answer's only text, or in a ```json fence, or several as a JSON array
 * (`[{...}, {...}]`). Recovered only when all of the answer's text is such calls (one or several,
 * each naming an offered tool and holding nothing but its arguments), so prose or a JSON answer
 * stays text. Streamed text is held only while it can still be a call: from the answer's first
 * characters on, while they are layout, a fence's opening, an array's `[` or `,` between calls,
 * or an object that opens as a call of an offered tool does; anything else releases what was
 * held, and the rest passes.
 */

import { JsonCompletionScanner } from "./json_scanner.ts";
import { jsonCall, type OfferedTool, type TextToolCall } from "./text_tool_parse.ts";
import type { TextToolSegment } from "./text_tool_splitter.ts";

/** Longest answer held back as a possible call (a file written through a tool can be large). */
const MAX_HELD_CHARS = 16 * 1024 * 1024;

/** A fence's opening line after its backticks: none, or `json`, then the line's end. */
const FENCE_INFO = /^(?:json)?[ \t]*\r?$/i;
/** What may still become {@link FENCE_INFO} before the line ends. */
const FENCE_INFO_PREFIX = /^(?:j(?:s(?:o(?:n[ \t]*)?)?)?)?$/i;

type Head = "call" | "no" | "more";

/**
 * Whether `text` (an object from its `{`) opens as a call of an offered tool:
 * `{"name": "<tool>"` then `,` or `}`. "more" while it cannot tell yet.
 */
function headOf(text: string, tools: ReadonlyMap<string, OfferedTool>): Head {
  const m = /^\{\s*(?:"((?:[^"\\]|\\.)*)("?)\s*(:?)\s*(?:"((?:[^"\\]|\\.)*)("?)\s*([,}]?))?)?/
    .exec(text)!;
  const [whole, key, keyEnd, colon, name, nameEnd, after] = m;
  // Past what the pattern read, the text went on with something a call does not have.
  if (whole.length < text.length && !after) return "no";
  if (key === undefined) return "more";
  if (!keyEnd) return "name".startsWith(key) ? "more" : "no";
  if (key !== "name") return "no";
  if (!colon || name === undefined) return "more";
  if (!nameEnd) return [...tools.keys()].some((t) => t.startsWith(name)) ? "more" : "no";
  if (!tools.has(name)) return "no";
  return after ? "call" : "more";
}

/** How much of an object's start {@link headOf} reads before it must have told. */
const HEAD_CHARS = 1024;

/**
 * Stateful; one per answer. Sits after the tagged-call stage, on the answer's text. What is held
 * is kept as its pieces, and an object is scanned piece by piece once its head told it is a call:
 * a large call streamed in small pieces costs each piece once.
 */
export class BareJsonCalls {
  readonly #tools: ReadonlyMap<string, OfferedTool>;
  /** Set once the answer is known to hold other text: everything passes from then on. */
  #settled = false;
  /** The text held back since the answer began, as it came. */
  #held: string[] = [];
  #heldLength = 0;
  /** What is not read yet: layout, a fence cut short, or an object's start before its head told. */
  #rest = "";
  #fence = false;
  /** Inside a JSON array of calls: before an item (after `[` or `,`), or after one. */
  #array: "item" | "after" | undefined;
  /** The object whose head told it is a call: its text so far, and its scanner. */
  #object: { parts: string[]; scan: JsonCompletionScanner } | undefined;
  readonly #calls: TextToolCall[] = [];

  constructor(tools: readonly OfferedTool[]) {
    this.#tools = new Map(tools.map((t) => [t.name, t]));
  }

  /** True once the answer is known to be no bare call: text passes untouched. */
  get settled(): boolean {
    return this.#settled;
  }

  /** The next piece of answer text; returns what is certain so far. */
  push(piece: string): TextToolSegment[] {
    if (this.#settled) return [{ kind: "text", text: piece }];
    this.#held.push(piece);
    this.#heldLength += piece.length;
    if (this.#read(piece) && this.#heldLength <= MAX_HELD_CHARS) return [];
    return this.#release();
  }

  /**
   * The end of the answer's text (or a block of another kind comes): what is held becomes its
   * calls when it is only calls and layout, else text.
   */
  flush(): TextToolSegment[] {
    if (this.#settled) return [];
    if (this.#object || this.#array || this.#rest.trim() !== "" || this.#calls.length === 0) {
      return this.#release();
    }
    const out: TextToolSegment[] = this.#calls.map((call) => ({ kind: "call", call }));
    this.#reset();
    return out;
  }

  /** All held text as text; the answer is settled unless that text was only layout. */
  #release(): TextToolSegment[] {
    const text = this.#held.join("");
    this.#settled = text.trim() !== "" || this.#calls.length > 0;
    this.#reset();
    return text ? [{ kind: "text", text }] : [];
  }

  #reset(): void {
    this.#held = [];
    this.#heldLength = 0;
    this.#rest = "";
    this.#fence = false;
    this.#array = undefined;
    this.#object = undefined;
    this.#calls.length = 0;
  }

  /** Reads `piece` on from where the last one left off; false once it cannot be calls. */
  #read(piece: string): boolean {
    let s = piece;
    if (this.#object) {
      const end = this.#object.scan.feed(s);
      if (end < 0) {
        this.#object.parts.push(s);
        return true;
      }
      this.#object.parts.push(s.slice(0, end));
      if (!this.#endObject()) return false;
      s = s.slice(end);
    }
    s = this.#rest + s;
    this.#rest = "";
    let at = 0;
    while (at < s.length) {
      const c = s[at]!;
      if (c === " " || c === "\t" || c === "\n" || c === "\r") at++;
      else if (c === "[" || c === "," || c === "]") {
        if (!this.#arrayAt(c)) return false;
        at++;
      } else if (c === "`") {
        if (this.#array) return false;
        const next = this.#fenceAt(s, at);
        if (next === false) return false;
        if (next === undefined) break;
        at = next;
      } else if (c === "{") {
        if (this.#array === "after") return false;
        const next = this.#objectAt(s, at);
        if (next === false) return false;
        if (next === undefined) break;
        at = next;
      } else return false;
    }
    this.#rest = s.slice(at);
    return true;
  }

  /** Reads an array's `[`, `,` or `]`: false where a list of calls has none. */
  #arrayAt(c: string): boolean {
    if (this.#array !== (c === "[" ? undefined : "after")) return false;
    this.#array = c === "]" ? undefined : "item";
    return true;
  }

  /** Past a fence's opening line or its close at `at`; undefined while cut short. */
  #fenceAt(s: string, at: number): number | false | undefined {
    const ticks = s.slice(at, at + 3);
    if (ticks !== "```") return "```".startsWith(ticks) ? undefined : false;
    if (this.#fence) {
      this.#fence = false;
      return at + 3;
    }
    const end = s.indexOf("\n", at + 3);
    const info = s.slice(at + 3, end < 0 ? undefined : end);
    if (end < 0) return FENCE_INFO_PREFIX.test(info.replace(/\r$/, "")) ? undefined : false;
    if (!FENCE_INFO.test(info)) return false;
    this.#fence = true;
    return end + 1;
  }

  /**
   * Reads the object that opens at `at`: past its end when it is whole (and a call), undefined
   * while it goes on (or its head cannot tell yet), false when it is no call.
   */
  #objectAt(s: string, at: number): number | false | undefined {
    const head = headOf(s.slice(at, at + HEAD_CHARS), this.#tools);
    if (head === "no" || (head === "more" && s.length - at >= HEAD_CHARS)) return false;
    if (head === "more") return undefined;
    const scan = new JsonCompletionScanner();
    const end = scan.feed(s.slice(at));
    if (end < 0) {
      this.#object = { parts: [s.slice(at)], scan };
      return s.length;
    }
    this.#object = { parts: [s.slice(at, at + end)], scan };
    return this.#endObject() ? at + end : false;
  }

  /** The object just closed: its call is kept, or false when it spells none. */
  #endObject(): boolean {
    const call = jsonCall(this.#object!.parts.join(""), this.#tools, true);
    this.#object = undefined;
    if (!call) return false;
    this.#calls.push(call);
    if (this.#array) this.#array = "after";
    return true;
  }
}
