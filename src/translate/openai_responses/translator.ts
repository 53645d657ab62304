/**
 * The stateful stage for the Responses API: its stream events -> Anthropic stream events.
 * Shared by the streaming path and the non-streaming one (which replays a finished
 * response as the events a stream would have carried). Guarantees: `message_start`
 * first; one content block open at a time with consecutive indexes; every thinking block
 * signed (the signature carries the encrypted reasoning items for replay); function calls
 * whose events interleave are serialised without losing a byte; a failure closes the open
 * block and ends with one `error` event.
 */

import { ownValue } from "../../core/json.ts";
import { upstreamWho } from "../../core/text.ts";
import type { AnthropicStreamEvent, StopReason } from "../../protocols/anthropic.ts";
import type {
  ResponsesOutputItem,
  ResponsesResponse,
  ResponsesStreamEvent,
} from "../../protocols/openai_responses.ts";
import { AnswerFrame } from "../anthropic/answer_frame.ts";
import { AnthropicBlockWriter } from "../anthropic/blocks.ts";
import { ToolUseIds } from "../anthropic/tool_use_ids.ts";
import { newToolCall, type ToolCallState } from "../openai_chat/tool_calls.ts";
import { deltaUsage, messageStartEvent, type UpstreamUsage } from "../openai_chat/usage.ts";
import { encodeCcpSignature } from "../reasoning/provenance.ts";
import { errorFields, reportedError, type ResponsesErrorFields } from "./errors.ts";
import { midStreamType, refusalStatus } from "../../core/upstream_status.ts";
import { reportedCost } from "../../core/reported_cost.ts";
import type { ReportedUsage } from "../sse_translation.ts";

/** What the translator needs to know about the request it answers. */
export interface ResponsesTranslateOptions {
  /** The model name the client asked for; every answer carries it. */
  readonly clientModel: string;
  /** ccp's local count of the prompt, for `message_start`. */
  readonly inputTokens: number;
  /** Provider id and upstream model, recorded in thinking signatures. */
  readonly provider: string;
  readonly upstreamModel: string;
  /** A tag of the server answering (server_key.ts), recorded in thinking signatures too. */
  readonly server?: string;
  readonly messageId?: string;
  /** Upstream name -> client name, for tools renamed to fit the wire's name rule. */
  readonly toolNames?: ReadonlyMap<string, string>;
  /** The ids of the request's tool calls: an answer's call must not repeat one of them. */
  readonly historyToolIds?: ReadonlySet<string>;
  /**
   * The client shows no thinking (`thinking.display: "omitted"`): reasoning text a server sends
   * anyway (a summary, or an open model's `reasoning_text`) comes as empty thinking blocks; what
   * goes back upstream rides the signature, encrypted.
   */
  readonly omitThinking?: boolean;
}

/** `incomplete_details.reason` -> `stop_reason`. */
const STOP_REASON_OF_INCOMPLETE: Readonly<Record<string, StopReason>> = {
  max_output_tokens: "max_tokens",
  content_filter: "refusal",
};

interface Call extends ToolCallState {
  readonly itemId: string;
}

/** Translator state as an explicit record with small methods. */
export class ResponsesToAnthropicTranslator {
  readonly #o: ResponsesTranslateOptions;
  readonly #blocks: AnthropicBlockWriter;
  readonly #frame: AnswerFrame;
  /** Function calls by item id; the first not yet closed owns the open tool block. */
  readonly #calls = new Map<string, Call>();
  readonly #ids: ToolUseIds;
  readonly #pending: Call[] = [];
  /** Encrypted reasoning items of the thinking block that is open. */
  #reasoning: ResponsesOutputItem[] = [];
  /** Reasoning item id and summary part the thinking text last came from. */
  #summaryAt = "";
  /** Text that arrived while a function call's block was open, written once it closes. */
  #late = "";
  /** What the upstream said the answer cost, once the response completed. */
  #cost: number | undefined;

  constructor(options: ResponsesTranslateOptions) {
    this.#o = options;
    this.#ids = new ToolUseIds(options.historyToolIds);
    this.#blocks = new AnthropicBlockWriter(
      () => this.#sign(),
      options.toolNames,
      options.omitThinking ? { keep: false } : undefined,
    );
    this.#frame = new AnswerFrame(this.#blocks, () => messageStartEvent(options));
  }

  /** True once the message ended (normally or with an error); later input is ignored. */
  get done(): boolean {
    return this.#frame.done;
  }

  /** What the upstream said the answer cost, once its completed response said so. */
  get reported(): ReportedUsage | undefined {
    return this.#cost === undefined ? undefined : { costUsd: this.#cost };
  }

  /** Consumes one upstream event. */
  push(event: ResponsesStreamEvent): AnthropicStreamEvent[] {
    return this.#frame.run(() => this.#event(event));
  }

  /** An upstream chunk that was not valid JSON. */
  malformed(detail: string): AnthropicStreamEvent[] {
    return this.#frame.run(() =>
      this.#frame.fail(`${this.#who()} sent a malformed event: ${detail}`)
    );
  }

  /** The upstream closed: fine after a final event, else a loud failure. */
  end(): AnthropicStreamEvent[] {
    return this.#frame.run(() => {
      const who = this.#who();
      this.#frame.cutOff(who, `${who} closed the stream before response.completed`);
    });
  }

  #who(): string {
    return upstreamWho(this.#o);
  }

  #event(e: ResponsesStreamEvent): void {
    switch (e.type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        return this.#frame.begin();
      case "response.output_item.added":
        this.#frame.begin();
        return this.#itemAdded(e.item);
      case "response.output_text.delta":
      case "response.refusal.delta":
        this.#frame.begin();
        return this.#text(str(e.delta));
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_text.delta":
        this.#frame.begin();
        return this.#thinking(e, str(e.delta));
      case "response.function_call_arguments.delta":
        this.#frame.begin();
        return this.#arguments(str(e.item_id), str(e.delta));
      case "response.function_call_arguments.done":
        return this.#argumentsDone(str(e.item_id), e.arguments);
      case "response.output_item.done":
        this.#frame.begin();
        return this.#itemDone(e.item);
      case "response.completed":
      case "response.incomplete":
        this.#frame.begin();
        return this.#complete(e.response ?? {});
      case "response.failed": {
        const fields = errorFields(e.response?.error ?? {});
        return this.#report(`failed: ${fields.message ?? "response.failed"}`, fields);
      }
      case "error": {
        const fields = errorFields(e);
        const detail = fields.message ?? fields.code ?? JSON.stringify(e).slice(0, 200);
        return this.#report(`reported an error mid-stream: ${detail}`, fields);
      }
      default:
        // Content parts, `.done` echoes and future event types carry nothing new.
        return;
    }
  }

  #itemAdded(item: ResponsesOutputItem | undefined): void {
    if (!item) return;
    if (item.type === "function_call") {
      const itemId = str(item.id) || str(item.call_id) || `fc_${this.#calls.size}`;
      if (this.#calls.has(itemId)) return;
      const id = this.#ids.take(str(item.call_id) || itemId);
      const call: Call = Object.assign(newToolCall(id, str(item.name)), { itemId });
      this.#calls.set(itemId, call);
      this.#pending.push(call);
      this.#accept(call, str(item.arguments));
      this.#openNextCall();
    } else if (item.type === "reasoning") {
      // A new reasoning item after finished ones starts its own thinking block.
      if (this.#reasoning.length > 0) this.#blocks.close();
    }
  }

  #text(text: string): void {
    // Writing text would close a function call's block before all its arguments arrived.
    if (this.#blocks.openCall !== undefined) this.#late += text;
    else this.#blocks.text(text);
  }

  #thinking(e: ResponsesStreamEvent, text: string): void {
    if (this.#blocks.openCall !== undefined) return; // reasoning never interleaves with a call
    const at = `${e.item_id ?? ""}:${e.summary_index ?? e.content_index ?? 0}`;
    // Summary parts are paragraphs of their own.
    const separator = this.#summaryAt && at !== this.#summaryAt && text ? "\n\n" : "";
    this.#summaryAt = at;
    this.#blocks.thinking(separator + text, "reasoning");
  }

  #arguments(itemId: string, piece: string): void {
    const call = this.#calls.get(itemId);
    if (!call) return;
    this.#accept(call, piece);
    if (this.#blocks.openCall === call) this.#blocks.toolArguments(call, piece);
  }

  #argumentsDone(itemId: string, full: string | undefined): void {
    const call = this.#calls.get(itemId);
    // The final arguments win over whatever the deltas said (a lost delta must not corrupt them).
    if (call && typeof full === "string" && full.startsWith(call.args)) {
      this.#arguments(itemId, full.slice(call.args.length));
    }
  }

  #accept(call: Call, piece: string): void {
    if (!piece) return;
    call.args += piece;
    call.scanner.feed(piece);
  }

  #itemDone(item: ResponsesOutputItem | undefined): void {
    if (!item) return;
    if (item.type === "function_call") {
      const itemId = str(item.id) || str(item.call_id);
      if (!this.#calls.has(itemId)) this.#itemAdded(item);
      this.#argumentsDone(itemId, item.arguments);
      const call = this.#calls.get(itemId);
      if (!call) return;
      if (typeof item.name === "string" && item.name && !call.name) call.name = item.name;
      call.closed = true;
      if (this.#blocks.openCall === call) this.#blocks.close();
      // The call may have been waiting for the name this item brought.
      this.#openNextCall();
    } else if (item.type === "reasoning") {
      // Without its encrypted content (thinking was not asked for, yet the model reasoned) the
      // item cannot go back, so it needs no block: Anthropic sends none when thinking is off.
      if (typeof item.encrypted_content === "string" && item.encrypted_content) {
        // Encrypted-only reasoning still gets a (possibly empty) thinking block to carry it.
        if (this.#reasoning.length === 0 && this.#blocks.openCall === undefined) {
          this.#blocks.thinking("", "reasoning");
        }
        this.#reasoning.push(reasoningItem(item));
      }
      // The item is whole: its block ends now, signed with it, rather than when the next item's
      // first delta arrives (a model may work for a while before that), so the client shows the
      // thinking as finished at once.
      if (this.#blocks.thinkingOpen) this.#blocks.close();
    } else if (item.type === "message" && Array.isArray(item.content)) {
      // Streamed text arrived as deltas; this only matters when none did (a replayed answer).
      return;
    }
  }

  /**
   * Opens the first function call waiting, writing its buffered arguments. A call without
   * its name yet stays waiting (a tool block cannot be renamed once started, and a tool
   * named "" cannot run); one that finished, or the answer ended, without a name is dropped.
   */
  #openNextCall(final = false): void {
    // A loop, not a call per finished call: an upstream may have tens of thousands waiting.
    while (this.#blocks.openCall === undefined) {
      while (this.#pending[0] && !this.#pending[0].name) {
        if (!this.#pending[0].closed && !final) return;
        this.#pending.shift();
      }
      const next = this.#pending.shift();
      if (!next) {
        if (this.#late) this.#blocks.text(this.#late);
        this.#late = "";
        return;
      }
      this.#summaryAt = "";
      this.#blocks.startTool(next, next.id);
      if (!next.closed && !final) return;
      this.#blocks.close();
    }
  }

  #sign(): string {
    const items = this.#reasoning;
    this.#reasoning = [];
    this.#summaryAt = "";
    return encodeCcpSignature({
      provider: this.#o.provider,
      ...(this.#o.server !== undefined ? { server: this.#o.server } : {}),
      protocol: "openai_responses",
      model: this.#o.upstreamModel,
      fields: ["reasoning"],
      ...(items.length > 0 ? { details: items } : {}),
    });
  }

  #complete(response: ResponsesResponse): void {
    // Calls the stream announced but never finished are written out as they stand.
    this.#blocks.close();
    this.#openNextCall(true);
    this.#blocks.close();
    const incomplete = response.status === "incomplete"
      ? response.incomplete_details?.reason
      : undefined;
    let reason: StopReason = incomplete
      ? ownValue(STOP_REASON_OF_INCOMPLETE, incomplete) ?? "end_turn"
      : "end_turn";
    if (reason === "end_turn" && this.#blocks.toolBlocks > 0) reason = "tool_use";
    this.#cost = reportedCost(response.usage);
    const usage = deltaUsage({
      localInputTokens: this.#o.inputTokens,
      upstream: usageOf(response),
      estimatedOutputTokens: Math.ceil(this.#blocks.chars / 4),
      reasoningTokensSeparate: false,
      preferLocalInputTokens: false,
    });
    this.#frame.finish(reason, usage);
  }

  #report(what: string, fields: ResponsesErrorFields): void {
    const { type, message } = reportedError(`${this.#who()} ${what}`, fields);
    // The Responses API's events carry no status: its words tell an overload.
    const words = `${fields.code ?? ""} ${fields.type ?? ""} ${fields.message ?? ""}`;
    // A refused key is told as a gateway error; the guards read the status it stands for.
    const status = refusalStatus(undefined, fields.code ?? fields.type);
    this.#frame.fail(message, midStreamType(type, words), words, status);
  }
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** What replay needs of a reasoning item: its encrypted content and summary, not its id. */
function reasoningItem(item: ResponsesOutputItem): ResponsesOutputItem {
  return {
    type: "reasoning",
    summary: Array.isArray(item.summary) ? item.summary : [],
    ...(typeof item.encrypted_content === "string"
      ? { encrypted_content: item.encrypted_content }
      : {}),
  };
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The response's usage; `input_tokens` includes cached ones, `output_tokens` the reasoning. */
function usageOf(response: ResponsesResponse): UpstreamUsage | undefined {
  const u = response.usage;
  if (!u) return undefined;
  return {
    prompt: num(u.input_tokens),
    completion: num(u.output_tokens),
    cached: num(u.input_tokens_details?.cached_tokens),
    reasoning: num(u.output_tokens_details?.reasoning_tokens),
  };
}
