/**
 * The one stateful stage: Gemini `GenerateContentResponse` chunks -> Anthropic stream
 * events, shared by the streaming path and the non-streaming path (fed one chunk).
 * Gemini sends whole parts per chunk (text grows by further parts), so every part maps
 * to a delta or a whole block: `thought: true` -> thinking, text -> text, `functionCall`
 * -> one tool_use block with its arguments as a single `input_json_delta`. Only the
 * first candidate is read. Guarantees as in the OpenAI translator: `message_start`
 * first, one block open at a time, every thinking block signed, and a failure closes
 * the open block and ends with one `error` event.
 */

import { upstreamWho } from "../../core/text.ts";
import { midStreamType, midStreamTypeOfStatus, refusalStatus } from "../../core/upstream_status.ts";
import { isRecord, ownValue } from "../../core/json.ts";
import type {
  AnthropicStreamEvent,
  StopReason,
  ToolDefinition,
} from "../../protocols/anthropic.ts";
import type { GeminiCandidate, GeminiPart, GeminiResponse } from "../../protocols/gemini.ts";
import { AnswerFrame } from "../anthropic/answer_frame.ts";
import { AnthropicBlockWriter } from "../anthropic/blocks.ts";
import { describeGeminiError, type GeminiEvent } from "./events.ts";
import { withJsonValues } from "./json_args.ts";
import { encodeGeminiSignature } from "./signature.ts";
import {
  blockNote,
  finishNeedsNote,
  finishNote,
  readGeminiUsage,
  STOP_REASON_OF_FINISH,
} from "./usage.ts";
import { newToolUseId } from "../anthropic/ids.ts";
import { completeToolCall } from "../openai_chat/tool_calls.ts";
import { deltaUsage, messageStartEvent, type UpstreamUsage } from "../openai_chat/usage.ts";
import type { ReportedUsage } from "../sse_translation.ts";

/** What the translator needs to know about the request it answers. */
export interface GeminiTranslateOptions {
  /** The model name the client asked for; every answer carries it. */
  readonly clientModel: string;
  /** ccp's local count of the prompt (never 0 for a non-empty prompt). */
  readonly inputTokens: number;
  /** Provider id and upstream model, recorded in thinking signatures. */
  readonly provider: string;
  readonly upstreamModel: string;
  /** Gemini function name -> client tool name, for names that had to change. */
  readonly toolNames?: ReadonlyMap<string, string>;
  /** The client's tools: a call's arguments are read against its tool's schema (json_args.ts). */
  readonly tools?: readonly ToolDefinition[];
  readonly messageId?: string;
  /**
   * The client shows no thinking (`thinking.display: "omitted"`): thoughts Gemini sends anyway
   * come as empty thinking blocks, their signatures kept (Gemini reads back no thought text).
   */
  readonly omitThinking?: boolean;
}

/** The first candidate (Anthropic has no n > 1). */
function firstCandidate(chunk: GeminiResponse): GeminiCandidate | undefined {
  const list = Array.isArray(chunk.candidates) ? chunk.candidates.filter(isRecord) : [];
  return (list.find((c) => (c.index ?? 0) === 0) ?? list[0]) as GeminiCandidate | undefined;
}

/** Translator state as an explicit record with small methods. */
export class GeminiToAnthropicTranslator {
  readonly #o: GeminiTranslateOptions;
  readonly #blocks: AnthropicBlockWriter;
  readonly #frame: AnswerFrame;
  /** Kind of the open block as far as signatures care. */
  #open: "thinking" | "text" | null = null;
  /** Gemini signatures collected for the open thinking block. */
  #thought: { sig?: string; next?: string } = {};
  #usage: UpstreamUsage | undefined;
  #finish: string | undefined;
  #finishMessage: string | undefined;
  #blocked: { reason: string; message?: string } | undefined;

  constructor(options: GeminiTranslateOptions) {
    this.#o = options;
    this.#blocks = new AnthropicBlockWriter(
      () => this.#signThought(),
      undefined,
      options.omitThinking ? { keep: false } : undefined,
    );
    this.#frame = new AnswerFrame(this.#blocks, () => messageStartEvent(options));
  }

  /** True once the message ended (normally or with an error); later input is ignored. */
  get done(): boolean {
    return this.#frame.done;
  }

  /**
   * True once Gemini said why it stopped (or that it blocked the prompt): its stream has no end
   * event of its own, and what may still follow is at most a later usage count.
   */
  get finishing(): boolean {
    return (this.#finish !== undefined || this.#blocked !== undefined) && !this.#frame.done;
  }

  /** Consumes one upstream event. */
  push(event: GeminiEvent): AnthropicStreamEvent[] {
    return this.#frame.run(() => {
      const who = upstreamWho(this.#o);
      if (event.kind === "chunk") this.#chunk(event.chunk);
      else if (event.kind === "malformed") {
        // After Gemini said why it stopped, a chunk broken off (the connection ended inside it)
        // can only have carried a later count, not the answer.
        if (this.finishing) return;
        this.#frame.fail(`${who} sent a malformed chunk: ${event.detail}`);
      } else {
        this.#frame.fail(
          `${who} reported an error mid-stream: ${event.message}`,
          event.code === undefined
            ? midStreamType("api_error", event.message)
            : midStreamTypeOfStatus(event.code, event.message),
          event.message,
          refusalStatus(event.code, undefined),
        );
      }
    });
  }

  /** Gemini's prompt count so far (Anthropic's input excludes cache reads), once it sent one. */
  get reported(): ReportedUsage | undefined {
    const prompt = this.#usage?.prompt;
    if (prompt === undefined) return undefined;
    const cached = this.#usage?.cached ?? 0;
    return { inputTokens: Math.max(0, prompt - cached), cacheReadInputTokens: cached };
  }

  /** For a complete (non-streamed) body: a candidate without `finishReason` still ends normally. */
  assumeFinished(): void {
    this.#finish ??= "STOP";
  }

  /** The upstream closed: finish normally if Gemini said why it stopped, else fail loudly. */
  end(): AnthropicStreamEvent[] {
    return this.#frame.run(() => {
      if (this.#finish !== undefined || this.#blocked) return this.#complete();
      const who = upstreamWho(this.#o);
      this.#frame.cutOff(who, `${who} closed the stream early (no finishReason)`);
    });
  }

  #chunk(chunk: GeminiResponse): void {
    this.#frame.begin();
    if (chunk.error !== undefined && chunk.error !== null) {
      const { message, code } = describeGeminiError(chunk.error);
      this.#frame.fail(
        `${upstreamWho(this.#o)} reported an error mid-stream: ${message}`,
        code === undefined
          ? midStreamType("api_error", message)
          : midStreamTypeOfStatus(code, message),
        message,
        refusalStatus(code, undefined),
      );
      return;
    }
    if (isRecord(chunk.usageMetadata)) this.#usage = readGeminiUsage(chunk.usageMetadata);
    const feedback = chunk.promptFeedback;
    if (isRecord(feedback) && typeof feedback.blockReason === "string" && feedback.blockReason) {
      const message = typeof feedback.blockReasonMessage === "string"
        ? feedback.blockReasonMessage
        : undefined;
      this.#blocked = { reason: feedback.blockReason, ...(message ? { message } : {}) };
    }
    const candidate = firstCandidate(chunk);
    if (!candidate) return;
    const parts = candidate.content?.parts;
    if (Array.isArray(parts)) { for (const part of parts) if (isRecord(part)) this.#part(part); }
    if (typeof candidate.finishReason === "string" && candidate.finishReason) {
      this.#finish = candidate.finishReason;
      if (typeof candidate.finishMessage === "string") {
        this.#finishMessage = candidate.finishMessage;
      }
    }
  }

  #part(part: GeminiPart): void {
    const sig = typeof part.thoughtSignature === "string" && part.thoughtSignature
      ? part.thoughtSignature
      : undefined;
    if (isRecord(part.functionCall)) return this.#call(part.functionCall, sig);
    if (part.thought === true) {
      return this.#thoughtPart(typeof part.text === "string" ? part.text : "", sig);
    }
    // Other parts (executableCode, inline images...) have no Anthropic block.
    if (typeof part.text !== "string") return;
    const text = part.text;
    if (sig) {
      if (this.#open === "thinking" && !this.#thought.next) this.#thought.next = sig;
      // A signature on the first text of an answer rides an empty thinking block before it.
      else if (this.#open !== "text" && text) this.#carrier(sig);
      // Others (on the last part of a plain answer) are dropped: Gemini asks them back only for
      // its best answers, and a thinking block to carry one would follow the text, and Claude
      // Code takes a message's last block as its answer.
    }
    if (text) {
      this.#blocks.text(text);
      this.#open = "text";
    }
  }

  #thoughtPart(text: string, sig: string | undefined): void {
    // A signed thought run is over: more thought text starts a new block.
    if (this.#open === "thinking" && (this.#thought.sig || this.#thought.next)) this.#close();
    if (!text && !sig) return;
    this.#blocks.thinking(text, "content_thinking");
    this.#open = "thinking";
    if (sig) this.#thought.sig = sig;
  }

  /** Puts `sig` on the next-part slot of the open thinking block, or of a new empty one. */
  #carrier(sig: string): void {
    if (this.#open !== "thinking" || this.#thought.next) {
      this.#close();
      this.#blocks.thinking("", "content_thinking");
      this.#open = "thinking";
    }
    this.#thought.next = sig;
  }

  #call(call: Record<string, unknown>, sig: string | undefined): void {
    if (typeof call.name !== "string" || !call.name) return; // a call without a name cannot run
    if (sig) this.#carrier(sig);
    this.#close();
    const name = this.#o.toolNames?.get(call.name) ?? call.name;
    // Looked up per call (calls are few), so a request's tools are not walked unless called.
    const schema = this.#o.tools?.find((tool) => tool.name === name)?.input_schema;
    const raw = isRecord(call.args) ? call.args : {};
    const args = JSON.stringify(schema === undefined ? raw : withJsonValues(raw, schema));
    // Gemini's optional call ids are not kept: Claude Code pairs results by these toolu_ ids.
    this.#blocks.startTool(completeToolCall(name, args), newToolUseId());
    this.#blocks.close();
  }

  #close(): void {
    this.#blocks.close();
    this.#open = null;
  }

  #signThought(): string {
    const { sig, next } = this.#thought;
    this.#thought = {};
    return encodeGeminiSignature({
      provider: this.#o.provider,
      protocol: "gemini",
      model: this.#o.upstreamModel,
      ...(sig ? { sig } : {}),
      ...(next ? { next } : {}),
    });
  }

  #stopReason(): StopReason {
    if (this.#blocked) {
      this.#close();
      this.#blocks.text(blockNote(this.#blocked.reason, this.#blocked.message));
      return "refusal";
    }
    const finish = this.#finish ?? "STOP";
    const reason = ownValue(STOP_REASON_OF_FINISH, finish) ?? "end_turn";
    // Gemini says STOP after function calls; Claude Code only runs tools on tool_use. A call the
    // output limit cut short keeps `max_tokens`, as Anthropic says it: Claude Code then asks for
    // more room rather than run a call whose arguments may be missing their end.
    if (this.#blocks.toolBlocks > 0 && reason === "end_turn") return "tool_use";
    if (finishNeedsNote(finish)) {
      this.#close();
      this.#blocks.text(finishNote(finish, this.#finishMessage));
    }
    return reason;
  }

  #complete(): void {
    this.#frame.begin();
    const reason = this.#stopReason();
    this.#close();
    const usage = deltaUsage({
      localInputTokens: this.#o.inputTokens,
      upstream: this.#usage,
      estimatedOutputTokens: Math.ceil(this.#blocks.chars / 4),
      reasoningTokensSeparate: true,
      preferLocalInputTokens: false,
    });
    this.#frame.finish(reason, usage);
  }
}
