/**
 * Tool calls, `<think>` reasoning and control tokens a local model wrote into the text of an
 * Anthropic answer, read out of it as Chat Completions content is (a server whose parser misses
 * the model's format leaves them there): for a model whose settings turn `text_tool_calls` on.
 * The answer's text goes through the Chat content stages; what they recover becomes blocks of its
 * own (`thinking`, `tool_use`), every later block is renumbered, and an answer that now calls a
 * tool stops for it.
 */

import { isRecord } from "../../core/json.ts";
import { ContentPipe, type ContentSegment } from "../../translate/openai_chat/content_pipe.ts";
import { DEFAULT_OPENAI_DIALECT, dialectForModel } from "../../translate/openai_chat/dialect.ts";
import type { OfferedTool } from "../../translate/openai_chat/text_tool_parse.ts";

/** The tools a request offers, as the recovery reads them. */
export function offeredAnthropicTools(tools: unknown): OfferedTool[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter((t) => isRecord(t) && typeof t.name === "string")
    .map((t) => ({ name: t.name as string, input_schema: t.input_schema }));
}

/** The Chat stages for `model`: a model whose template opens `<think>` in the prompt is known. */
function newPipe(tools: readonly OfferedTool[], model: string): ContentPipe {
  const known = dialectForModel(DEFAULT_OPENAI_DIALECT, model);
  const dialect = { ...known, thinkTags: true, textToolCalls: true };
  return ContentPipe.for(dialect, tools) as ContentPipe;
}

let minted = 0;

function toolId(): string {
  return `toolu_ccp_${Date.now().toString(36)}_${(minted++).toString(36)}`;
}

/** A whole answer's text blocks read as a stream's are; one that now calls stops for it. */
export function rewriteMessageText(
  message: Record<string, unknown>,
  tools: readonly OfferedTool[],
  model: string,
): void {
  if (!Array.isArray(message.content)) return;
  const out: unknown[] = [];
  let called = false;
  for (const block of message.content) {
    if (!isRecord(block) || block.type !== "text" || typeof block.text !== "string") {
      out.push(block);
      continue;
    }
    const pipe = newPipe(tools, model);
    // Runs of the same kind join, within this block only.
    const first = out.length;
    for (const seg of [...pipe.push(block.text), ...pipe.flush()]) {
      const last = out.length > first ? out.at(-1) : undefined;
      if (seg.kind !== "call" && !seg.text) continue;
      if (seg.kind === "call") {
        called = true;
        out.push({ type: "tool_use", id: toolId(), name: seg.call.name, input: seg.call.input });
      } else if (seg.kind === "text") {
        if (isRecord(last) && last.type === "text") last.text += seg.text;
        else out.push({ type: "text", text: seg.text });
      } else if (isRecord(last) && last.type === "thinking") last.thinking += seg.text;
      else out.push({ type: "thinking", thinking: seg.text, signature: "" });
    }
  }
  message.content = out;
  if (called && message.stop_reason === "end_turn") message.stop_reason = "tool_use";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Rewrites the relay's checked events (whole, in order) of one streamed answer. Blocks other than
 * text pass with their index moved by the blocks recovered before them.
 */
export class TextBlocksRewriter {
  readonly #tools: readonly OfferedTool[];
  readonly #model: string;
  // The upstream's index of each block it opened, as the client numbers it.
  readonly #indexes = new Map<number, number>();
  #next = 0;
  // The upstream's text block being read, and the pipe its text goes through.
  #textIndex: number | undefined;
  #pipe: ContentPipe | undefined;
  // The block ccp has open for the client: its kind and index.
  #open: "text" | "thinking" | undefined;
  #openIndex = 0;
  /** A call was recovered: the answer stops for it. */
  called = false;

  constructor(tools: readonly OfferedTool[], model: string) {
    this.#tools = tools;
    this.#model = model;
  }

  /** The events of `bytes` (those ccp writes at the answer's end) as the client gets them. */
  rewrite(bytes: Uint8Array): Uint8Array {
    const text = decoder.decode(bytes);
    return encoder.encode(this.rewriteEvents(text.split("\n\n"), []));
  }

  /**
   * Whole events (without their blank lines; one ccp wrote may hold several) as the client gets
   * them, each followed by its blank line. `data` holds the parsed data of those that came as
   * they were sent, which are not parsed again; the rest are parsed here.
   */
  rewriteEvents(
    events: readonly string[],
    data: readonly (Record<string, unknown> | undefined)[],
  ): string {
    const out: string[] = [];
    for (let i = 0; i < events.length; i++) {
      const known = data[i];
      if (known) this.#event(events[i]!, known, out);
      else for (const event of events[i]!.split("\n\n")) this.#parsedEvent(event, out);
    }
    return out.length === 0 ? "" : `${out.join("\n\n")}\n\n`;
  }

  #parsedEvent(event: string, out: string[]): void {
    if (event === "") return;
    const json = dataOf(event);
    const data = json === undefined ? undefined : parsed(json);
    if (!data) out.push(event);
    else this.#event(event, data, out);
  }

  #event(event: string, data: Record<string, unknown>, out: string[]): void {
    const type = data.type;
    const index = typeof data.index === "number" ? data.index : undefined;
    if (type === "content_block_start" && index !== undefined) {
      const block = data.content_block;
      if (isRecord(block) && block.type === "text") {
        this.#textIndex = index;
        this.#pipe = newPipe(this.#tools, this.#model);
        if (typeof block.text === "string" && block.text) {
          this.#segments(this.#pipe.push(block.text), out);
        }
        return;
      }
      this.#indexes.set(index, this.#next++);
    } else if (index !== undefined && index === this.#textIndex && this.#pipe) {
      if (type === "content_block_delta") {
        const delta = data.delta;
        if (!isRecord(delta) || typeof delta.text !== "string") return;
        const segments = this.#pipe.push(delta.text);
        // Plain text into the open text block, numbered as it came: the event goes as it is.
        const plain = segments.length === 1 && segments[0]!.kind === "text" &&
          segments[0]!.text === delta.text && this.#open === "text" && this.#openIndex === index;
        if (plain) out.push(event);
        else this.#segments(segments, out);
        return;
      }
      if (type === "content_block_stop") {
        this.#segments(this.#pipe.flush(), out);
        this.#close(out);
        this.#textIndex = undefined;
        this.#pipe = undefined;
        return;
      }
    } else if (type === "message_delta" && this.called && isRecord(data.delta)) {
      const reason = data.delta.stop_reason;
      if (reason === "end_turn") {
        data.delta.stop_reason = "tool_use";
        out.push(`event: message_delta\ndata: ${JSON.stringify(data)}`);
        return;
      }
    }
    const moved = index === undefined ? undefined : this.#indexes.get(index);
    if (moved === undefined || moved === index) return void out.push(event);
    data.index = moved;
    out.push(`event: ${type}\ndata: ${JSON.stringify(data)}`);
  }

  #segments(segments: readonly ContentSegment[], out: string[]): void {
    for (const seg of segments) {
      if (seg.kind === "call") {
        this.#close(out);
        this.called = true;
        const index = this.#next++;
        const block = { type: "tool_use", id: toolId(), name: seg.call.name, input: {} };
        send(out, { type: "content_block_start", index, content_block: block });
        const json = JSON.stringify(seg.call.input);
        send(out, {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: json },
        });
        send(out, { type: "content_block_stop", index });
        continue;
      }
      if (!seg.text) continue;
      if (this.#open !== seg.kind) {
        this.#close(out);
        this.#open = seg.kind;
        this.#openIndex = this.#next++;
        const block = seg.kind === "text"
          ? { type: "text", text: "" }
          : { type: "thinking", thinking: "", signature: "" };
        send(out, { type: "content_block_start", index: this.#openIndex, content_block: block });
      }
      const delta = seg.kind === "text"
        ? { type: "text_delta", text: seg.text }
        : { type: "thinking_delta", thinking: seg.text };
      send(out, { type: "content_block_delta", index: this.#openIndex, delta });
    }
  }

  #close(out: string[]): void {
    if (this.#open === undefined) return;
    send(out, { type: "content_block_stop", index: this.#openIndex });
    this.#open = undefined;
  }
}

function send(out: string[], data: Record<string, unknown>): void {
  out.push(`event: ${data.type}\ndata: ${JSON.stringify(data)}`);
}

/** An event's data: its `data:` lines (the space after the colon optional), joined. */
function dataOf(event: string): string | undefined {
  let data: string | undefined;
  for (const line of event.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

function parsed(json: string): Record<string, unknown> | undefined {
  try {
    const data = JSON.parse(json);
    return isRecord(data) ? data : undefined;
  } catch {
    return undefined;
  }
}
