/**
 * The one stateful stage: upstream Chat Completions events -> Anthropic stream events.
 * Shared by the streaming path (the relay stage feeds it each upstream event, see stream.ts)
 * and the non-streaming path (fed one synthetic chunk). Guarantees: `message_start` first; content blocks
 * strictly one at a time with consecutive indexes; every thinking block gets a
 * `signature_delta` before it closes; tool calls are serialised without losing a byte;
 * a failure closes an open text or thinking block (never a half tool call) and ends with one
 * `error` event.
 */

import { upstreamWho } from "../../core/text.ts";
import type { AnthropicStreamEvent } from "../../protocols/anthropic.ts";
import type {
  ChatChunkChoice,
  ChatCompletionChunk,
  ChatDelta,
  ChatToolCallDelta,
} from "../../protocols/openai_chat.ts";
import { AnswerFrame } from "../anthropic/answer_frame.ts";
import { AnthropicBlockWriter } from "../anthropic/blocks.ts";
import { ToolUseIds } from "../anthropic/tool_use_ids.ts";
import { DEFAULT_OPENAI_DIALECT, dialectForModel, type OpenAIDialect } from "./dialect.ts";
import type { UpstreamEvent } from "./events.ts";
import { FAILED_FINISHES } from "../finish_reasons.ts";
import { midStreamError, stopReasonOf } from "./stream_end.ts";
import { ContentPipe, type ContentSegment } from "./content_pipe.ts";
import { KIMI_TEXT_TOOL_FORMATS, type TextToolCall } from "./text_tool_parse.ts";
import { type TextToolSegment, TextToolSplitter } from "./text_tool_splitter.ts";
import {
  acceptArguments,
  completeToolCall,
  type ToolCallState,
  ToolCallTracker,
  unwrapGrammarCall,
} from "./tool_calls.ts";
import {
  deltaUsage,
  messageStartEvent,
  readUsage,
  reportedUsage,
  type UpstreamUsage,
} from "./usage.ts";
import { reasoningOfDelta } from "./reasoning_delta.ts";
import type { ReasoningSource } from "../reasoning/provenance.ts";
import type { TranslateOptions } from "./translate_options.ts";
import type { ReportedUsage } from "../sse_translation.ts";

export type { TranslateOptions } from "./translate_options.ts";

type LateItem =
  | { kind: "text"; text: string }
  | { kind: "call"; call: TextToolCall }
  | { kind: "thinking"; text: string; source: ReasoningSource; details?: readonly unknown[] };

/** Translator state as an explicit record with small methods. */
export class OpenAIToAnthropicTranslator {
  readonly #o: TranslateOptions;
  readonly #dialect: OpenAIDialect;
  readonly #pipe: ContentPipe | undefined;
  /** Kimi K2 tool-call sections inside reasoning; undefined when recovery is off. */
  readonly #reasoningCalls: TextToolSplitter | undefined;
  /** Where the reasoning the splitter holds back came from. */
  #reasoningSource: ReasoningSource = "reasoning_content";
  readonly #blocks: AnthropicBlockWriter;
  readonly #frame: AnswerFrame;
  readonly #tools = new ToolCallTracker();
  readonly #ids: ToolUseIds;
  /** Set once tool calls began: later prose waits in `#late` so blocks stay sequential. */
  #toolsPhase = false;
  #late: LateItem[] = [];
  /** True once answer text or a tool call came. */
  #answered = false;
  #usage: UpstreamUsage | undefined;
  #finish: string | undefined;
  #matched: unknown = null;

  constructor(options: TranslateOptions) {
    this.#o = options;
    this.#ids = new ToolUseIds(options.historyToolIds);
    this.#dialect = dialectForModel(
      options.dialect ?? DEFAULT_OPENAI_DIALECT,
      options.upstreamModel,
    );
    this.#pipe = ContentPipe.for(this.#dialect, options.tools);
    // Recovery only when tools were offered, as in content: a call must name one of them.
    this.#reasoningCalls = this.#dialect.textToolCalls && (options.tools?.length ?? 0) > 0
      ? new TextToolSplitter(options.tools!, {}, KIMI_TEXT_TOOL_FORMATS)
      : undefined;
    this.#blocks = new AnthropicBlockWriter(
      (capture) => capture.signature(options.provider, options.upstreamModel, options.server),
      options.toolNames,
      options.omitThinking ? { keep: this.#dialect.reasoningReplay !== "none" } : undefined,
    );
    this.#frame = new AnswerFrame(this.#blocks, () => messageStartEvent(options));
  }

  /** True once the message ended (normally or with an error); later input is ignored. */
  get done(): boolean {
    return this.#frame.done;
  }

  /**
   * What the upstream said the answer cost and counted, once its usage said so: for an answer
   * cut short, no `message_delta` carries its counts, and the ledger takes these.
   */
  get reported(): ReportedUsage | undefined {
    return reportedUsage(this.#usage, this.#dialect.reasoningTokensSeparate);
  }

  /** True once a `finish_reason` came: only the usage chunk and `[DONE]` may follow. */
  get finishing(): boolean {
    return this.#finish !== undefined && !this.#frame.done;
  }

  /** Consumes one upstream event. */
  push(event: UpstreamEvent): AnthropicStreamEvent[] {
    return this.#frame.run(() => {
      if (event.kind === "chunk") this.#chunk(event.chunk);
      else if (event.kind === "done") this.#complete();
      else if (event.kind === "malformed") {
        // After the finish only the usage chunk may come: one broken off (the connection ended
        // inside it) costs the exact count, not the answer.
        if (this.#finish !== undefined) return;
        this.#frame.fail(`${upstreamWho(this.#o)} sent a malformed chunk: ${event.detail}`);
      } else this.#upstreamError(event);
    });
  }

  /** The upstream closed: finish normally if it said it was done, else fail loudly. */
  end(): AnthropicStreamEvent[] {
    return this.#frame.run(() => {
      if (this.#finish !== undefined) return this.#complete();
      const who = upstreamWho(this.#o);
      this.#frame.cutOff(who, `${who} closed the stream early (no finish_reason and no [DONE])`);
    });
  }

  #chunk(chunk: ChatCompletionChunk): void {
    this.#frame.begin();
    const choices = chunk.choices;
    // Moonshot puts the usage inside the finishing choice rather than beside it.
    const inChoice = Array.isArray(choices) ? (choices[0] as ChatChunkChoice | null)?.usage : null;
    const usage = readUsage(chunk.usage ?? chunk.x_groq?.usage ?? inChoice);
    if (usage) this.#usage = usage;
    // The usage chunk after the finish (no choices) is OpenAI's last before `[DONE]`: the answer
    // is whole now, whether or not the server goes on to say `[DONE]` or close.
    if (usage && this.#finish !== undefined && Array.isArray(choices) && choices.length === 0) {
      return this.#complete();
    }
    if (!Array.isArray(choices)) return;
    for (const choice of choices) {
      if (!choice || typeof choice !== "object") continue;
      if (typeof choice.index === "number" && choice.index !== 0) continue; // n > 1 is not Anthropic
      this.#choice(choice);
      if (this.#frame.done) return;
    }
  }

  #choice(choice: ChatChunkChoice): void {
    const d = choice.delta;
    if (d && typeof d === "object") {
      this.#reasoningOf(d);
      const c = d.content;
      if (typeof c === "string") {
        if (c) this.#content(c);
      } else if (Array.isArray(c)) this.#contentParts(c);
      // OpenAI streams a refusal apart from content; Anthropic carries it as text.
      if (typeof d.refusal === "string" && d.refusal) {
        this.#releaseReasoning();
        this.#text(d.refusal);
      }
      const calls = d.tool_calls;
      if (Array.isArray(calls)) {
        for (const call of calls) if (call && typeof call === "object") this.#toolDelta(call);
      } else if (calls && typeof calls === "object") this.#toolDelta(calls);
      else if (d.function_call && typeof d.function_call === "object") {
        // The deprecated form carries one call with no id and no index: always the same call.
        this.#toolDelta({ index: 0, function: d.function_call });
      }
    }
    const finish = choice.finish_reason;
    if (typeof finish === "string" && finish) {
      // An answer the server gave up on is a failure, not a finished turn (Claude Code would
      // take a cut answer for the model's last word).
      if (FAILED_FINISHES.has(finish)) {
        this.#frame.fail(`${upstreamWho(this.#o)} ended the answer with finish_reason "${finish}"`);
        return;
      }
      this.#finish = finish;
      this.#matched = choice.stop_reason ?? choice.matched_stop ?? null;
    }
  }

  #reasoningOf(d: ChatDelta): void {
    const reasoning = reasoningOfDelta(d);
    if (reasoning) {
      this.#pipe?.reasoningApart();
      this.#releaseHeld();
      this.#thinking(reasoning.text, reasoning.source, reasoning.details);
    }
  }

  /**
   * Reasoning as it arrives. K2 Thinking at times writes its tool-call section in its reasoning
   * (the server's reasoning parser takes it for thought): the calls are taken out and become
   * tool_use blocks after the thinking, or the turn would end without them running.
   */
  #thinking(text: string, source: ReasoningSource, details?: readonly unknown[]): void {
    const calls = this.#reasoningCalls;
    if (!calls) return this.#reasoning(text, source, details);
    // Held text keeps the field it came in; a different field means the model moved on.
    if (text && source !== this.#reasoningSource) {
      this.#releaseReasoning();
      this.#reasoningSource = source;
    }
    // Details ride with the reasoning before any call this piece ends: they describe thought.
    if (details) this.#reasoning("", source, details);
    this.#routeReasoning(calls.push(text));
  }

  /** Releases reasoning held back for a possible section: something else comes next. */
  #releaseReasoning(): void {
    if (this.#reasoningCalls?.holding) this.#routeReasoning(this.#reasoningCalls.flush());
  }

  #routeReasoning(segments: readonly TextToolSegment[]): void {
    for (const seg of segments) {
      if (seg.kind === "call") this.#textCall(seg.call);
      else this.#reasoning(seg.text, this.#reasoningSource);
    }
  }

  /**
   * Releases content the stages hold back for a possible tag: reasoning or a tool call coming
   * next means the model has left that text, which goes first to keep the order.
   */
  #releaseHeld(): void {
    if (this.#pipe) this.#route(this.#pipe.flush());
  }

  #reasoning(text: string, source: ReasoningSource, details?: readonly unknown[]): void {
    if (this.#toolsPhase) {
      this.#late.push({ kind: "thinking", text, source, ...(details ? { details } : {}) });
    } else this.#blocks.thinking(text, source, details);
  }

  #text(text: string): void {
    if (!text) return;
    this.#answered = true;
    if (this.#toolsPhase) this.#late.push({ kind: "text", text });
    else this.#blocks.text(text);
  }

  #route(segments: readonly ContentSegment[]): void {
    for (const seg of segments) {
      if (seg.kind === "thinking") {
        this.#thinking(seg.text, "think_tag");
        continue;
      }
      // Answer text or a call: reasoning held back before it goes first.
      this.#releaseReasoning();
      if (seg.kind === "call") this.#textCall(seg.call);
      else this.#text(seg.text);
    }
  }

  #content(text: string): void {
    if (!this.#pipe) return this.#text(text);
    this.#route(this.#pipe.push(text));
  }

  /** A tool call the model wrote as text: a complete tool_use block of its own. */
  #textCall(call: TextToolCall): void {
    this.#answered = true;
    if (this.#toolsPhase) {
      this.#late.push({ kind: "call", call });
      return;
    }
    this.#startTool(completeToolCall(call.name, JSON.stringify(call.input)));
    this.#blocks.close();
  }

  /** Mistral's magistral models stream content as typed parts, reasoning included. */
  #contentParts(parts: unknown[]): void {
    for (const part of parts) {
      if (!part || typeof part !== "object") continue;
      const p = part as { type?: unknown; text?: unknown; thinking?: unknown };
      if (p.type === "text" && typeof p.text === "string") this.#content(p.text);
      else if (p.type === "thinking") {
        const inner = Array.isArray(p.thinking) ? p.thinking : [p.thinking];
        for (const t of inner) {
          const text = typeof t === "string" ? t : (t as { text?: unknown } | null)?.text;
          if (typeof text === "string" && text) {
            this.#releaseHeld();
            this.#thinking(text, "content_thinking");
          }
        }
      }
    }
  }

  #toolDelta(delta: ChatToolCallDelta): void {
    this.#answered = true;
    const raw: unknown = delta.function?.arguments;
    const piece = typeof raw === "string"
      ? raw
      : raw && typeof raw === "object"
      ? JSON.stringify(raw)
      : "";
    const call = this.#tools.resolve(delta, piece);
    if (!this.#toolsPhase) {
      // Tool calls start: release text held back by the content stages, close prose blocks.
      // Content stages first: what they release may be reasoning (a `<think>` span's end).
      this.#releaseHeld();
      this.#releaseReasoning();
      this.#blocks.close();
      this.#toolsPhase = true;
    }
    const accepted = acceptArguments(call, piece);
    if (accepted && this.#blocks.openCall === call) this.#blocks.toolArguments(call, accepted);
    // Arguments that just ended a call with no name may name it (see unwrapGrammarCall).
    if (accepted && !call.name && call.scanner.complete) {
      const answer = unwrapGrammarCall(call);
      if (answer !== undefined) this.#text(answer);
    }
    this.#advance();
  }

  /** Moves to the next buffered call once the open one's arguments are complete JSON. */
  #advance(): void {
    for (;;) {
      const open = this.#blocks.openCall;
      if (open && !open.scanner.complete) return;
      const next = this.#tools.nextStartable();
      if (!next) return;
      this.#startTool(next);
    }
  }

  #startTool(call: ToolCallState): void {
    this.#blocks.startTool(call, this.#ids.take(call.id));
  }

  #finalizeBlocks(): void {
    if (this.#pipe) this.#route(this.#pipe.flush());
    this.#releaseReasoning();
    // Content taken for reasoning the prompt opened, never ended by `</think>` and followed by
    // nothing, was the answer (a server that strips reasoning, or a model that did not think);
    // cut at the limit, it was reasoning.
    const unclosed = this.#pipe?.unclosedReasoning;
    if (unclosed?.trim() && !this.#answered && this.#finish !== "length") {
      this.#blocks.close();
      this.#text(unclosed.trim());
    }
    this.#blocks.close();
    for (const call of this.#tools.order) {
      if (call.block !== -1 || !call.name) continue; // a call that never got a name cannot run
      this.#startTool(call);
      this.#blocks.close();
    }
    // Prose that arrived after tool calls started follows them, in arrival order.
    this.#toolsPhase = false;
    for (const item of this.#late) {
      if (item.kind === "text") this.#text(item.text);
      else if (item.kind === "call") this.#textCall(item.call);
      else this.#reasoning(item.text, item.source, item.details);
    }
    this.#late = [];
    this.#blocks.close();
  }

  #complete(): void {
    this.#frame.begin();
    this.#finalizeBlocks();
    const { reason, sequence } = stopReasonOf({
      finish: this.#finish,
      toolBlocks: this.#blocks.toolBlocks,
      matched: this.#matched,
      stopSequences: this.#o.stopSequences,
    });
    const usage = deltaUsage({
      localInputTokens: this.#o.inputTokens,
      upstream: this.#usage,
      estimatedOutputTokens: Math.ceil(this.#blocks.chars / 4),
      reasoningTokensSeparate: this.#dialect.reasoningTokensSeparate,
      preferLocalInputTokens: this.#o.preferLocalInputTokens === true,
    });
    this.#frame.finish(reason, usage, sequence);
  }

  #upstreamError(event: Extract<UpstreamEvent, { kind: "error" }>): void {
    // What the failed answer cost so far, if the chunk with the error said (Groq's does).
    const usage = readUsage(event.usage);
    if (usage) this.#usage = usage;
    const { message, type, status } = midStreamError(event, this.#o);
    this.#frame.fail(message, type, event.said, status);
  }
}
