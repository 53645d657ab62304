/**
 * Finds tool calls a model writes as text in streamed content. Text before a possible
 * call streams at once; from a marker (`<tool_call>`, `<function=`, split anywhere across
 * chunks) text is held back until the call closes, then it becomes a call, or text again
 * when it does not parse. Held text is bounded: past the limit it is released as text.
 */

import { partialTagSuffix } from "../reasoning/think_tags.ts";
import { type OfferedTool, parseTextToolCall, type TextToolCall } from "./text_tool_parse.ts";

/** What the splitter yields, in order. */
export type TextToolSegment =
  | { kind: "text"; text: string }
  | { kind: "call"; call: TextToolCall };

/** Each marker and the tag that closes what it opens. */
const MARKERS = [
  { open: "<tool_call>", close: "</tool_call>" },
  { open: "<function=", close: "</function>" },
] as const;

/** Longest call text held back; a file a model writes through a tool can be large. */
export const MAX_HELD_CHARS = 256 * 1024;

function firstMarker(s: string): { at: number; close: string } | undefined {
  let best: { at: number; close: string } | undefined;
  for (const m of MARKERS) {
    const at = s.indexOf(m.open);
    if (at >= 0 && (!best || at < best.at)) best = { at, close: m.close };
  }
  return best;
}

/** Stateful splitter; one per response. */
export class TextToolSplitter {
  readonly #tools: ReadonlyMap<string, OfferedTool>;
  readonly #limit: number;
  /** Held text: a possible marker start, or the open call from its marker on. */
  #pending = "";
  /** Close tag of the open call; undefined outside a call. */
  #close: string | undefined;
  /** Where the close tag may begin in `#pending`, so a long call is not rescanned. */
  #searchFrom = 0;
  /** After a call, blank layout before the next text or call is dropped. */
  #trimLead = false;

  constructor(tools: readonly OfferedTool[], limit = MAX_HELD_CHARS) {
    this.#tools = new Map(tools.map((t) => [t.name, t]));
    this.#limit = limit;
  }

  /** True while text is held back. */
  get holding(): boolean {
    return this.#pending !== "";
  }

  /** Splits the next text piece; returns the segments that are certain so far. */
  push(piece: string): TextToolSegment[] {
    let s = this.#pending + piece;
    this.#pending = "";
    const out: TextToolSegment[] = [];
    while (s.length > 0) {
      if (this.#trimLead) {
        s = s.replace(/^\s+/, "");
        if (!s) break;
        this.#trimLead = false;
      }
      if (this.#close === undefined) {
        const found = firstMarker(s);
        if (!found) {
          const hold = Math.max(...MARKERS.map((m) => partialTagSuffix(s, m.open)));
          if (s.length > hold) out.push({ kind: "text", text: s.slice(0, s.length - hold) });
          this.#pending = s.slice(s.length - hold);
          break;
        }
        if (found.at > 0) out.push({ kind: "text", text: s.slice(0, found.at) });
        s = s.slice(found.at);
        this.#close = found.close;
        this.#searchFrom = 0;
      }
      const close = this.#close;
      const end = s.indexOf(close, this.#searchFrom);
      if (end === -1) {
        if (s.length > this.#limit) {
          // Too long to be a call worth waiting for: it is text.
          out.push({ kind: "text", text: s });
          this.#close = undefined;
        } else {
          this.#pending = s;
          this.#searchFrom = Math.max(0, s.length - close.length + 1);
        }
        break;
      }
      const raw = s.slice(0, end + close.length);
      s = s.slice(raw.length);
      this.#close = undefined;
      const call = parseTextToolCall(raw, this.#tools);
      if (call) {
        out.push({ kind: "call", call });
        this.#trimLead = true;
      } else out.push({ kind: "text", text: raw });
    }
    return out;
  }

  /** Releases held text at the end of the stream: an unclosed call stays text. */
  flush(): TextToolSegment[] {
    const rest = this.#pending;
    this.#pending = "";
    this.#close = undefined;
    return rest ? [{ kind: "text", text: rest }] : [];
  }
}
