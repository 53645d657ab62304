/**
 * What streamed `content` passes through before it becomes blocks, each stage a dialect
 * knob: gpt-oss's harmony messages read, control tokens removed, `<think>` tags split into
 * reasoning, tool calls written as text recovered. Each stage holds back only a possible tag
 * prefix (or an open call).
 */

import type { ChatTool } from "../../protocols/openai_chat.ts";
import { ThinkTagSplitter } from "../reasoning/think_tags.ts";
import { BareJsonCalls } from "./bare_json_calls.ts";
import { ControlTokenFilter } from "./control_tokens.ts";
import { type HarmonySegment, HarmonySplitter } from "./harmony.ts";
import type { OpenAIDialect } from "./dialect.ts";
import type { OfferedTool, TextToolCall } from "./text_tool_parse.ts";
import { TextToolSplitter } from "./text_tool_splitter.ts";

/** A run of answer text or reasoning, or a recovered tool call, in arrival order. */
export type ContentSegment =
  | { kind: "text" | "thinking"; text: string }
  | { kind: "call"; call: TextToolCall };

/** The tools a Chat Completions request offers, as the recovery reads them. */
export function offeredToolsOf(tools: readonly ChatTool[] | undefined): OfferedTool[] {
  return (tools ?? []).map((t) => ({ name: t.function.name, input_schema: t.function.parameters }));
}

/** Content stages of one response. */
export class ContentPipe {
  readonly #harmony: HarmonySplitter | undefined;
  readonly #controls: ControlTokenFilter | undefined;
  readonly #think: ThinkTagSplitter | undefined;
  readonly #calls: TextToolSplitter | undefined;
  readonly #bare: BareJsonCalls | undefined;

  private constructor(dialect: OpenAIDialect, tools: readonly OfferedTool[]) {
    this.#harmony = dialect.textToolCalls ? new HarmonySplitter(tools) : undefined;
    this.#controls = dialect.textToolCalls ? new ControlTokenFilter() : undefined;
    this.#think = dialect.thinkTags ? new ThinkTagSplitter(dialect.thinkOpenedByPrompt) : undefined;
    // Recovery only when tools were offered: a call must name one of them.
    this.#calls = dialect.textToolCalls && tools.length > 0
      ? new TextToolSplitter(tools)
      : undefined;
    this.#bare = this.#calls && new BareJsonCalls(tools);
  }

  /** The pipe for `dialect`, or undefined when content needs no stage. */
  static for(dialect: OpenAIDialect, tools: readonly OfferedTool[] = []): ContentPipe | undefined {
    return dialect.thinkTags || dialect.textToolCalls ? new ContentPipe(dialect, tools) : undefined;
  }

  /** Passes the next content piece; returns the segments that are certain so far. */
  push(piece: string): ContentSegment[] {
    const harmony = this.#harmony?.push(piece);
    return harmony ? this.#fromHarmony(harmony) : this.#plain(piece);
  }

  #plain(piece: string): ContentSegment[] {
    const text = this.#controls ? this.#controls.push(piece) : piece;
    if (!text) return [];
    return this.#afterControls(text);
  }

  /** Reasoning arrived in a field of its own first: content is the answer. */
  reasoningApart(): void {
    this.#think?.reasoningApart();
  }

  /** Content taken for reasoning the prompt opened that no `</think>` ended, if any. */
  get unclosedReasoning(): string | undefined {
    return this.#think?.unclosed;
  }

  /** Releases everything held back (end of content, or native tool calls start). */
  flush(): ContentSegment[] {
    const harmony = this.#harmony ? this.#fromHarmony(this.#harmony.flush()) : [];
    return [...harmony, ...this.#drain()];
  }

  /**
   * Harmony's messages in order: text before them goes through the other stages, which release
   * what they hold before a message's own reasoning, text or call (messages pass no stage).
   */
  #fromHarmony(segments: readonly HarmonySegment[]): ContentSegment[] {
    const out: ContentSegment[] = [];
    for (const seg of segments) {
      if (seg.kind === "plain") out.push(...this.#plain(seg.text));
      else {
        out.push(...this.#drain());
        out.push(seg);
      }
    }
    return out;
  }

  /** Releases what the stages after harmony hold back. */
  #drain(): ContentSegment[] {
    const rest = this.#controls?.flush() ?? "";
    const out = rest ? this.#afterControls(rest) : [];
    if (this.#think) out.push(...this.#split(this.#think.flush()));
    if (this.#calls) out.push(...this.#bareOf(this.#calls.flush()), ...this.#bare!.flush());
    return out;
  }

  #afterControls(text: string): ContentSegment[] {
    if (!this.#think) return this.#answer(text);
    return this.#split(this.#think.push(text));
  }

  #split(segments: readonly { thinking: boolean; text: string }[]): ContentSegment[] {
    const out: ContentSegment[] = [];
    for (const seg of segments) {
      if (!seg.thinking) out.push(...this.#answer(seg.text));
      else {
        // Reasoning after held answer text: release it first so order is kept.
        if (this.#calls?.holding) out.push(...this.#bareOf(this.#calls.flush()));
        if (this.#bare && !this.#bare.settled) out.push(...this.#bare.flush());
        out.push({ kind: "thinking", text: seg.text });
      }
    }
    return out;
  }

  #answer(text: string): ContentSegment[] {
    return this.#calls ? this.#bareOf(this.#calls.push(text)) : [{ kind: "text", text }];
  }

  /**
   * The tagged-call stage's segments through the bare-call one: its text is the answer's, and a
   * tagged call ends what the bare stage holds first. Once the answer is known to be no bare
   * call, the segments pass as they are.
   */
  #bareOf(segments: ContentSegment[]): ContentSegment[] {
    const bare = this.#bare!;
    if (bare.settled || segments.length === 0) return segments;
    const out: ContentSegment[] = [];
    for (const seg of segments) {
      if (seg.kind === "text") out.push(...bare.push(seg.text));
      else out.push(...bare.flush(), seg);
    }
    return out;
  }
}
