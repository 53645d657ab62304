/**
 * The client's one answer for a web tool loop: one message however many model rounds it took,
 * as JSON or as Anthropic's stream (one `message_start`, each block with the next index as soon
 * as it is known, usage summed in `message_delta`, one `message_stop`).
 */

import { every } from "../core/deadlines.ts";
import { sseFrame } from "../core/sse.ts";
import { toProxyError } from "../core/errors.ts";
import type { AnthropicDeltaUsage, AnthropicMessage, StopReason } from "../protocols/anthropic.ts";
import { finalDelta } from "../translate/anthropic/answer_frame.ts";
import { newMessageId } from "../translate/anthropic/ids.ts";
import type { Answer, AnswerHooks, UsageTotals } from "../upstream/transport.ts";
import type { ClientBlock } from "./blocks.ts";
import type { ContentEvent, LoopEnd, LoopUsage, WebToolLoop } from "./loop.ts";

/** Who the answer is for. */
export interface AnswerOptions {
  readonly clientModel: string;
  readonly stream: boolean;
  readonly hooks: AnswerHooks;
}

const encoder = new TextEncoder();
const PING = encoder.encode(sseFrame("ping", { type: "ping" }));
/** While the model works on the next round, the stream says it is alive this often (as Anthropic's does). */
const PING_INTERVAL_MS = 10_000;

/** Waits for `next`, calling `ping` every interval until it settles. */
async function withPings<T>(next: Promise<T>, ping: () => void): Promise<T> {
  const stop = every(PING_INTERVAL_MS, ping);
  try {
    return await next;
  } finally {
    stop();
  }
}

/**
 * Runs the loop up to its first block (a failure of the first round is still an HTTP error),
 * then answers with the rest.
 */
export async function openWebAnswer(loop: WebToolLoop, options: AnswerOptions): Promise<Answer> {
  const run = loop.run();
  const first = await run.next();
  const id = newMessageId();
  if (!options.stream) {
    const content = new MessageContent();
    let step = first;
    while (!step.done) {
      content.apply(step.value);
      step = await run.next();
    }
    const message = finalMessage(id, options.clientModel, content.blocks, step.value, loop.usage);
    const usage = totals(loop.usage);
    // The final round's stop reason, as the client's message says it (traces, the log).
    options.hooks.onEnd({ usage, stopReason: step.value.stopReason });
    return { kind: "json", message, usage };
  }
  let ended = false;
  const end = (outcome: { error?: string; cancelled?: boolean; stopReason?: string }) => {
    if (ended) return;
    ended = true;
    options.hooks.onEnd({ usage: totals(loop.usage), ...outcome });
  };
  const start = sseFrame("message_start", {
    type: "message_start",
    message: {
      ...finalMessage(id, options.clientModel, [], undefined, loop.usage),
      usage: { ...fullUsage(loop.usage), output_tokens: 0 },
    },
  });
  let pending: IteratorResult<ContentEvent, LoopEnd> | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // The loop's first content event is already here (awaited above): it follows at once.
      options.hooks.onFirstContent?.();
      controller.enqueue(encoder.encode(start));
    },
    async pull(controller) {
      try {
        const step = pending ?? await withPings(run.next(), () => {
          if (!ended) controller.enqueue(PING);
        });
        pending = undefined;
        if (ended) return;
        if (!step.done) {
          controller.enqueue(encoder.encode(sseFrame(step.value.type, step.value)));
          return;
        }
        controller.enqueue(encoder.encode(
          sseFrame("message_delta", {
            type: "message_delta",
            delta: finalDelta(step.value.stopReason as StopReason, step.value.stopSequence),
            usage: deltaUsage(loop.usage),
          }) + sseFrame("message_stop", { type: "message_stop" }),
        ));
        controller.close();
        end({ stopReason: step.value.stopReason });
      } catch (err) {
        if (ended) return;
        // After the first byte a failure can only be told as an error event.
        const error = toProxyError(err);
        controller.enqueue(encoder.encode(sseFrame("error", error.toAnthropicError())));
        controller.close();
        end({ error: error.message });
      }
    },
    cancel() {
      end({ cancelled: true });
      options.hooks.onCancel();
      void run.return(undefined as never).catch(() => {});
    },
  });
  return { kind: "stream", body };
}

/** The blocks a sequence of content events builds, as Anthropic's SDK accumulates them. */
class MessageContent {
  readonly blocks: ClientBlock[] = [];
  readonly #json = new Map<number, string>();

  apply(event: ContentEvent): void {
    const block = this.blocks[event.index];
    if (event.type === "content_block_start") {
      this.blocks[event.index] = { ...(event.content_block as ClientBlock) };
    } else if (event.type === "content_block_delta" && block) {
      const d = event.delta as Record<string, string>;
      if (d.type === "text_delta") block.text = String(block.text ?? "") + d.text;
      else if (d.type === "thinking_delta") {
        block.thinking = String(block.thinking ?? "") + d.thinking;
      } else if (d.type === "signature_delta") block.signature = d.signature;
      else if (d.type === "input_json_delta") {
        this.#json.set(event.index, (this.#json.get(event.index) ?? "") + d.partial_json);
      }
    } else if (event.type === "content_block_stop" && block && this.#json.has(event.index)) {
      block.input = parseInput(this.#json.get(event.index)!);
    }
  }
}

function parseInput(json: string): unknown {
  if (json.trim() === "") return {};
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
}

/**
 * The loop's answer: an Anthropic message whose content also holds the server tool blocks ccp ran
 * (`server_tool_use`, `web_search_tool_result`, ...), which the protocol's typed content does not
 * name, and whose stop reason is the last round's, as the upstream gave it.
 */
type LoopMessage =
  & Omit<AnthropicMessage, "content" | "stop_reason">
  & { content: ClientBlock[]; stop_reason: string | null };

/** The stop fields of a message whose end is not known yet (its `message_start`). */
const NOT_ENDED = { stop_reason: null, stop_sequence: null, stop_details: null, container: null };

function finalMessage(
  id: string,
  model: string,
  content: ClientBlock[],
  end: LoopEnd | undefined,
  usage: LoopUsage,
): LoopMessage {
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content,
    ...(end ? finalDelta(end.stopReason as StopReason, end.stopSequence) : NOT_ENDED),
    diagnostics: null,
    usage: fullUsage(usage),
  };
}

function fullUsage(u: LoopUsage): AnthropicMessage["usage"] {
  return {
    ...deltaUsage(u),
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    inference_geo: null,
    service_tier: "standard",
    speed: "standard",
  };
}

function deltaUsage(u: LoopUsage): AnthropicDeltaUsage {
  return { ...u, output_tokens_details: null, server_tool_use: { ...u.server_tool_use } };
}

function totals(u: LoopUsage): UsageTotals {
  return {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheReadInputTokens: u.cache_read_input_tokens,
    cacheCreationInputTokens: u.cache_creation_input_tokens,
  };
}
