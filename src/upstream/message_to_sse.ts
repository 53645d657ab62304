/** Turns a complete Anthropic Message into the SSE events a streaming client expects. */

import { sseFrame } from "../core/sse.ts";

type Block = Record<string, unknown> & { type?: string };

/** The fields of a complete Message that its SSE form is built from. */
interface MessageLike {
  readonly usage?: unknown;
  readonly content?: unknown;
  readonly stop_reason?: unknown;
  readonly stop_sequence?: unknown;
  readonly stop_details?: unknown;
  readonly container?: unknown;
}

/**
 * Emits message_start, one start/delta/stop triple per content block, message_delta and
 * message_stop -- used when an upstream answers JSON to a streaming request.
 */
export function messageToSse(message: MessageLike): string {
  const usage = (message.usage ?? {}) as Record<string, unknown>;
  const content = Array.isArray(message.content) ? (message.content as Block[]) : [];
  const frames = [
    sseFrame("message_start", {
      type: "message_start",
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...("stop_details" in message ? { stop_details: null } : {}),
      },
    }),
  ];
  content.forEach((block, index) => frames.push(contentBlockFrames(block, index)));
  frames.push(
    sseFrame("message_delta", {
      type: "message_delta",
      delta: {
        stop_reason: message.stop_reason ?? "end_turn",
        stop_sequence: message.stop_sequence ?? null,
        stop_details: message.stop_details ?? null,
        container: message.container ?? null,
      },
      usage,
    }),
    sseFrame("message_stop", { type: "message_stop" }),
  );
  return frames.join("");
}

/**
 * A content block's start, delta or stop event. Its block may be of any type (server tool blocks
 * included), which is why it is not one of the protocol's typed stream events.
 */
export type BlockEvent = Record<string, unknown> & {
  readonly type: "content_block_start" | "content_block_delta" | "content_block_stop";
  readonly index: number;
};

/** One complete content block as its start, delta and stop events, the way Anthropic streams it. */
export function contentBlockEvents(block: Block, index: number): BlockEvent[] {
  const delta = blockDelta(block);
  return [
    {
      type: "content_block_start",
      index,
      content_block: delta ? emptyBlock(block) : block,
    },
    ...(delta ?? []).map((d): BlockEvent => ({ type: "content_block_delta", index, delta: d })),
    { type: "content_block_stop", index },
  ];
}

/** The same events as SSE text. */
function contentBlockFrames(block: Block, index: number): string {
  return contentBlockEvents(block, index).map((e) => sseFrame(String(e.type), e)).join("");
}

function emptyBlock(block: Block): Block {
  switch (block.type) {
    case "text":
      return { ...block, text: "" };
    case "thinking":
      return { ...block, thinking: "", signature: "" };
    case "tool_use":
    case "server_tool_use":
      return { ...block, input: {} };
    default:
      return block;
  }
}

function blockDelta(block: Block): Record<string, unknown>[] | undefined {
  switch (block.type) {
    case "text":
      return [{ type: "text_delta", text: block.text ?? "" }];
    case "thinking": {
      const deltas: Record<string, unknown>[] = [{
        type: "thinking_delta",
        thinking: block.thinking ?? "",
      }];
      if (typeof block.signature === "string") {
        deltas.push({ type: "signature_delta", signature: block.signature });
      }
      return deltas;
    }
    case "tool_use":
    case "server_tool_use":
      return [{ type: "input_json_delta", partial_json: JSON.stringify(block.input ?? {}) }];
    default:
      return undefined;
  }
}
