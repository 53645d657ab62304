/**
 * gpt-oss's harmony format, leaked into `content` by a server that does not parse it (llama-server
 * with `--reasoning-format none`, older builds): each message is a header, `<|message|>`, a body
 * and an end marker, e.g. `<|channel|>analysis<|message|>...<|end|><|start|>assistant<|channel|>
 * commentary to=functions.Read <|constrain|>json<|message|>{...}<|call|>`. The analysis channel is
 * reasoning, a message to `functions.X` is a call of tool X with a JSON body, and the final (or a
 * commentary) channel is answer text. Markers may be split anywhere across chunks: a possible
 * marker prefix at the end of a piece is held back until the next piece decides it.
 */

import type { OfferedTool, TextToolCall } from "./text_tool_parse.ts";

/** What the splitter yields: text before any harmony (for the other stages), or a message's part. */
export type HarmonySegment =
  | { kind: "plain"; text: string }
  | { kind: "text" | "thinking"; text: string }
  | { kind: "call"; call: TextToolCall };

/** Markers that open a message's header. */
const HEADER_OPENS: readonly string[] = ["<|start|>", "<|channel|>"];
/** The marker that ends a header. */
const MESSAGE = "<|message|>";
/** Markers that end a body; the header openers end one that has no end marker of its own. */
const BODY_ENDS: readonly string[] = ["<|end|>", "<|call|>", "<|return|>", ...HEADER_OPENS];
/** Every marker, for what a piece may end with. */
const MARKERS: readonly string[] = [...BODY_ENDS, MESSAGE, "<|constrain|>"];
const LONGEST = Math.max(...MARKERS.map((m) => m.length));

/** What each channel's body becomes; a channel not named here is answer text. */
const CHANNEL_KINDS: Readonly<Record<string, "text" | "thinking">> = {
  analysis: "thinking",
  commentary: "text",
  final: "text",
};
const CHANNEL = /<\|channel\|>\s*([A-Za-z]+)/;
/** The recipient of a tool call, in the header (before or after the channel). */
const TO_FUNCTION = /\bto=functions\.([^\s<]+)/;

/** Longest header held: past it, what was taken for a header is released as text. */
const MAX_HEADER_CHARS = 1024;
/** Longest call body held: past it, the body is released as text (a model that never ends it). */
const MAX_CALL_CHARS = 16 * 1024 * 1024;

/** Start of the earliest suffix of `s` that could still grow into a marker, else `s.length`. */
function heldFrom(s: string): number {
  for (let at = Math.max(0, s.length - LONGEST + 1); at < s.length; at++) {
    if (s[at] !== "<") continue;
    const tail = s.slice(at);
    if (MARKERS.some((m) => m.length > tail.length && m.startsWith(tail))) return at;
  }
  return s.length;
}

/** The earliest of `markers` in `s`, from `from` on. */
function earliest(
  s: string,
  markers: readonly string[],
): { at: number; marker: string } | undefined {
  let best: { at: number; marker: string } | undefined;
  for (const marker of markers) {
    const at = s.indexOf(marker);
    if (at >= 0 && (!best || at < best.at)) best = { at, marker };
  }
  return best;
}

type Body =
  | { kind: "text" | "thinking" }
  | { kind: "call"; name: string; header: string; parts: string[]; length: number };

/** Stateful splitter; one per response. */
export class HarmonySplitter {
  readonly #tools: ReadonlySet<string>;
  /** A harmony marker was seen: everything from then on is read as harmony messages. */
  #started = false;
  #header: string | undefined;
  #body: Body | undefined;
  /** A possible marker prefix held back from the last piece. */
  #pending = "";
  /** The open body gave text so far. */
  #said = false;
  /**
   * The last message given was text: another message's text after it is set apart by a blank
   * line, or the two would read as one run-on sentence in one block.
   */
  #textEnded = false;

  constructor(tools: readonly OfferedTool[]) {
    this.#tools = new Set(tools.map((t) => t.name));
  }

  /**
   * Passes the next content piece. Undefined when it holds no harmony and nothing is held: the
   * piece goes on as it came (the common case costs one search for `<|`).
   */
  push(piece: string): HarmonySegment[] | undefined {
    if (!this.#started && this.#pending === "" && piece.indexOf("<|") === -1) {
      return piece.endsWith("<") ? this.#split(piece) : undefined;
    }
    return this.#split(this.#pending + piece);
  }

  /** Releases what is held at the end of content: an unended body ends there. */
  flush(): HarmonySegment[] {
    const rest = this.#pending;
    this.#pending = "";
    const out: HarmonySegment[] = [];
    if (this.#header !== undefined) {
      this.#emit(out, "text", this.#header + rest);
      this.#header = undefined;
    } else if (this.#body) {
      this.#bodyText(out, rest);
      this.#close(out);
    } else this.#emit(out, this.#started ? "text" : "plain", rest);
    return out;
  }

  #split(s: string): HarmonySegment[] {
    this.#pending = "";
    const out: HarmonySegment[] = [];
    while (s.length > 0) {
      if (this.#header !== undefined) s = this.#inHeader(out, s);
      else if (this.#body) s = this.#inBody(out, s);
      else s = this.#between(out, s);
    }
    return out;
  }

  /** Outside any message: text up to the next header (blank layout between messages dropped). */
  #between(out: HarmonySegment[], s: string): string {
    const found = earliest(s, HEADER_OPENS);
    const end = found?.at ?? heldFrom(s);
    const text = s.slice(0, end);
    if (!this.#started) this.#emit(out, "plain", text);
    else if (text.trim() !== "") this.#emit(out, "text", text);
    if (!found) {
      this.#pending = s.slice(end);
      return "";
    }
    this.#started = true;
    this.#header = found.marker;
    return s.slice(found.at + found.marker.length);
  }

  #inHeader(out: HarmonySegment[], s: string): string {
    const at = s.indexOf(MESSAGE);
    const end = at >= 0 ? at : heldFrom(s);
    const header = this.#header + s.slice(0, end);
    if (at < 0) {
      this.#pending = s.slice(end);
      if (header.length <= MAX_HEADER_CHARS) this.#header = header;
      else {
        this.#header = undefined;
        this.#emit(out, "text", header);
      }
      return "";
    }
    this.#header = undefined;
    this.#body = bodyFor(header);
    return s.slice(at + MESSAGE.length);
  }

  #inBody(out: HarmonySegment[], s: string): string {
    const found = earliest(s, BODY_ENDS);
    const end = found?.at ?? heldFrom(s);
    this.#bodyText(out, s.slice(0, end));
    if (!found) {
      this.#pending = s.slice(end);
      return "";
    }
    this.#close(out);
    // A header opener that ended the body opens the next message.
    return HEADER_OPENS.includes(found.marker)
      ? s.slice(found.at)
      : s.slice(found.at + found.marker.length);
  }

  #bodyText(out: HarmonySegment[], text: string): void {
    const body = this.#body!;
    if (body.kind === "thinking") this.#textEnded = false;
    if (body.kind === "text" && text !== "") {
      if (this.#textEnded && !this.#said) text = "\n\n" + text;
      this.#said = true;
      this.#textEnded = false;
    }
    if (body.kind !== "call") return this.#emit(out, body.kind, text);
    body.parts.push(text);
    body.length += text.length;
    if (body.length > MAX_CALL_CHARS) {
      this.#emit(out, "text", body.header + body.parts.join(""));
      this.#body = { kind: "text" };
    }
  }

  /** Ends the open body: a call of an offered tool with a JSON object, else its text. */
  #close(out: HarmonySegment[]): void {
    const body = this.#body;
    this.#body = undefined;
    this.#textEnded = this.#said;
    this.#said = false;
    if (body?.kind !== "call") return;
    const raw = body.parts.join("");
    const input = parseObject(raw);
    if (input && this.#tools.has(body.name)) {
      out.push({ kind: "call", call: { name: body.name, input } });
    } else this.#emit(out, "text", body.header + raw);
  }

  #emit(out: HarmonySegment[], kind: "plain" | "text" | "thinking", text: string): void {
    if (text === "") return;
    const last = out[out.length - 1];
    if (last && last.kind === kind && "text" in last) last.text += text;
    else out.push(kind === "plain" ? { kind: "plain", text } : { kind, text });
  }
}

/** What a message's header makes of its body. */
function bodyFor(header: string): Body {
  const to = TO_FUNCTION.exec(header);
  if (to) return { kind: "call", name: to[1]!, header: header + MESSAGE, parts: [], length: 0 };
  const channel = CHANNEL.exec(header)?.[1]?.toLowerCase();
  return { kind: (channel && CHANNEL_KINDS[channel]) || "text" };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
