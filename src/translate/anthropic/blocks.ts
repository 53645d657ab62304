/**
 * Writes Anthropic content blocks under the stream's invariants: one block open at a
 * time, consecutive indexes, deltas only for the open block, a `signature_delta` on
 * every thinking block and `{}` for a tool call without arguments before it stops.
 */

import type { AnthropicStreamEvent, ThinkingConfig } from "../../protocols/anthropic.ts";
import type { ToolCallState } from "../openai_chat/tool_calls.ts";
import { ReasoningCapture } from "../reasoning/capture.ts";
import type { ReasoningSource } from "../reasoning/provenance.ts";

type OpenBlock =
  | { kind: "text"; index: number }
  | { kind: "thinking"; index: number; capture: ReasoningCapture }
  | { kind: "tool"; index: number; call: ToolCallState };

/**
 * Reasoning the client asked not to see (`thinking.display: "omitted"`): thinking blocks come
 * with an empty text, as Anthropic sends them; `keep` carries the text in the signature for an
 * upstream that wants its reasoning back on a later turn.
 */
export interface HiddenReasoning {
  readonly keep: boolean;
}

/**
 * Whether a request asks for thinking it does not show (`display: "omitted"`): an upstream that
 * reasons, or sends its thoughts though not asked to, must not put them before the client.
 */
export function hidesThinking(thinking: ThinkingConfig | undefined): boolean {
  return thinking !== undefined && thinking.type !== "disabled" &&
    thinking.display === "omitted";
}

/** Block state of one answer; events go to `out`, which the owner drains. */
export class AnthropicBlockWriter {
  /** Events produced since the owner last replaced this array. */
  out: AnthropicStreamEvent[] = [];
  /** Characters of text, thinking and arguments written (for usage estimates). */
  chars = 0;
  /** tool_use blocks opened (the stop reason is `tool_use` when there are any). */
  toolBlocks = 0;
  #next = 0;
  #open: OpenBlock | null = null;
  readonly #sign: (capture: ReasoningCapture) => string;
  readonly #toolNames: ReadonlyMap<string, string> | undefined;
  readonly #hidden: HiddenReasoning | undefined;

  /**
   * `sign` mints the signature of a finished thinking block; `toolNames` maps the names of
   * tools renamed for the upstream back to the client's; `hidden` is set when the client shows no
   * thinking.
   */
  constructor(
    sign: (capture: ReasoningCapture) => string,
    toolNames?: ReadonlyMap<string, string>,
    hidden?: HiddenReasoning,
  ) {
    this.#sign = sign;
    this.#toolNames = toolNames;
    this.#hidden = hidden;
  }

  /** The tool call whose block is open, if any. */
  get openCall(): ToolCallState | undefined {
    return this.#open?.kind === "tool" ? this.#open.call : undefined;
  }

  /** True while a thinking block is open. */
  get thinkingOpen(): boolean {
    return this.#open?.kind === "thinking";
  }

  /** Appends answer text, opening a text block if needed. */
  text(text: string): void {
    if (!text) return;
    let open = this.#open;
    if (open?.kind !== "text") {
      this.close();
      open = { kind: "text", index: this.#next++ };
      this.#open = open;
      this.out.push({
        type: "content_block_start",
        index: open.index,
        content_block: { type: "text", text: "" },
      });
    }
    this.chars += text.length;
    this.out.push({
      type: "content_block_delta",
      index: open.index,
      delta: { type: "text_delta", text },
    });
  }

  /** Appends reasoning (possibly empty, e.g. encrypted details only), opening a thinking block. */
  thinking(text: string, source: ReasoningSource, details?: readonly unknown[]): void {
    let open = this.#open;
    if (open?.kind !== "thinking") {
      this.close();
      open = { kind: "thinking", index: this.#next++, capture: new ReasoningCapture() };
      this.#open = open;
      this.out.push({
        type: "content_block_start",
        index: open.index,
        content_block: { type: "thinking", thinking: "", signature: "" },
      });
    }
    open.capture.add(source, details);
    if (!text) return;
    this.chars += text.length;
    if (this.#hidden) {
      // Anthropic's shape for a client that shows no thinking: the block, empty, and its signature.
      if (this.#hidden.keep) open.capture.keepText(text);
      return;
    }
    this.out.push({
      type: "content_block_delta",
      index: open.index,
      delta: { type: "thinking_delta", thinking: text },
    });
  }

  /** Opens a tool_use block for `call` and writes the arguments buffered so far. */
  startTool(call: ToolCallState, id: string): void {
    if (call.extra) this.#callCarrier(call.extra);
    this.close();
    this.toolBlocks++;
    call.block = this.#next++;
    this.#open = { kind: "tool", index: call.block, call };
    this.out.push({
      type: "content_block_start",
      index: call.block,
      content_block: {
        type: "tool_use",
        id,
        name: this.#toolNames?.get(call.name) ?? call.name,
        input: {},
      },
    });
    this.toolArguments(call);
  }

  /**
   * An empty thinking block right before a tool call with `extra_content`: its signature keeps
   * that data (Anthropic tool_use blocks have no room for it) until the call goes back upstream.
   */
  #callCarrier(extra: Record<string, unknown>): void {
    this.close();
    const capture = new ReasoningCapture();
    capture.carryCall(extra);
    const index = this.#next++;
    this.#open = { kind: "thinking", index, capture };
    this.out.push({
      type: "content_block_start",
      index,
      content_block: { type: "thinking", thinking: "", signature: "" },
    });
    this.close();
  }

  /**
   * Writes the arguments of `call` not written yet; `latest` is the text just added to them. While
   * the block is open that text is all there is to write, and is written as it is: slicing the
   * arguments instead copied them whole for every piece (a long argument streamed token by token
   * took time in the square of its length).
   */
  toolArguments(call: ToolCallState, latest = ""): void {
    const pending = call.args.length - call.emitted;
    if (pending <= 0) return;
    const piece = latest.length === pending ? latest : call.args.slice(call.emitted);
    call.emitted = call.args.length;
    this.chars += piece.length;
    this.out.push({
      type: "content_block_delta",
      index: call.block,
      delta: { type: "input_json_delta", partial_json: piece },
    });
  }

  /**
   * Ends the open block for an answer that failed: text and thinking are closed (what came of
   * them stands), but a tool call is left open, as Anthropic's API leaves it: its arguments may
   * be cut anywhere, and a client that runs each tool call once its block stops must not run one
   * with half its input (or `{}` for none).
   */
  abandon(): void {
    if (this.#open?.kind === "tool") this.#open = null;
    else this.close();
  }

  /** Closes the open block, if any. */
  close(): void {
    const open = this.#open;
    if (!open) return;
    if (open.kind === "thinking") {
      this.out.push({
        type: "content_block_delta",
        index: open.index,
        delta: { type: "signature_delta", signature: this.#sign(open.capture) },
      });
    } else if (open.kind === "tool") {
      if (open.call.args.trim() === "") {
        open.call.args += "{}";
        this.toolArguments(open.call);
      }
      open.call.closed = true;
    }
    this.out.push({ type: "content_block_stop", index: open.index });
    this.#open = null;
  }
}
