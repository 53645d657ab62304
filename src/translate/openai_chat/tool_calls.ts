/**
 * Bookkeeping of streamed tool calls: which upstream fragment belongs to which call
 * (by `index`, by `id`, or "the last one" for providers that send neither), and how
 * argument text is accepted, including providers that resend the full arguments once
 * they are complete.
 */

import type { ChatToolCallDelta } from "../../protocols/openai_chat.ts";
import { isRecord } from "../../core/json.ts";
import { JsonCompletionScanner } from "./json_scanner.ts";

/** One tool call of the current answer. */
export interface ToolCallState {
  /** Upstream id ("" until one arrives). */
  id: string;
  name: string;
  /** Every argument byte accepted so far. */
  args: string;
  /** How much of `args` has been emitted as `input_json_delta`. */
  emitted: number;
  readonly scanner: JsonCompletionScanner;
  /** Anthropic block index once started, else -1. */
  block: number;
  closed: boolean;
  /** The call's `extra_content` (Gemini's thought signature), to be sent back with it. */
  extra?: Record<string, unknown>;
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/** Tool calls of one answer, in first-seen order. */
export class ToolCallTracker {
  readonly order: ToolCallState[] = [];
  #byIndex = new Map<number, ToolCallState>();
  #byId = new Map<string, ToolCallState>();
  #last: ToolCallState | undefined;
  /**
   * Calls before this one have all started. A call starts once and stays started, so the
   * search for the first one not started goes on from here: searched from the first call each
   * time, 40000 parallel calls took seconds.
   */
  #unstarted = 0;

  /** Finds or creates the call a fragment belongs to and records its id and name. */
  resolve(delta: ChatToolCallDelta): ToolCallState {
    const id = typeof delta.id === "string" && delta.id ? delta.id : undefined;
    const index = typeof delta.index === "number" ? delta.index : undefined;
    let call = index !== undefined
      ? this.#byIndex.get(index)
      : id
      ? this.#byId.get(id)
      : this.#startsAnother(delta)
      ? undefined
      : this.#last;
    // Some servers reuse index 0 for every parallel call; a new id means a new call.
    if (call && id && call.id && call.id !== id) call = undefined;
    if (!call) {
      call = newToolCall("", "");
      this.order.push(call);
    }
    if (index !== undefined) this.#byIndex.set(index, call);
    if (id && !call.id) {
      call.id = id;
      this.#byId.set(id, call);
    }
    const name = delta.function?.name;
    if (typeof name === "string" && name && !call.name) call.name = name;
    if (isRecord(delta.extra_content) && !call.extra) call.extra = delta.extra_content;
    this.#last = call;
    return call;
  }

  /**
   * For a fragment with neither index nor id: a name after the last call's arguments are
   * complete begins the next call (appending would break that JSON), unless the fragment only
   * resends those arguments.
   */
  #startsAnother(delta: ChatToolCallDelta): boolean {
    const last = this.#last;
    const name = delta.function?.name;
    if (!last || !last.scanner.complete || typeof name !== "string" || !name) return false;
    const args = delta.function?.arguments;
    return !(typeof args === "string" && args && (args === last.args || sameJson(args, last.args)));
  }

  /** The first call not yet started, if it can start (its name is known). */
  nextStartable(): ToolCallState | undefined {
    const order = this.order;
    while (this.#unstarted < order.length && order[this.#unstarted]!.block !== -1) {
      this.#unstarted++;
    }
    const call = order[this.#unstarted];
    return call?.name ? call : undefined;
  }
}

/** A call whose arguments have not begun, with the id and name known so far ("" if none). */
export function newToolCall(id: string, name: string): ToolCallState {
  return {
    id,
    name,
    args: "",
    emitted: 0,
    scanner: new JsonCompletionScanner(),
    block: -1,
    closed: false,
  };
}

/** A call whose name and arguments are known at once (recovered from text, or Gemini's). */
export function completeToolCall(name: string, args: string): ToolCallState {
  const call = newToolCall("", name);
  call.args = args;
  call.scanner.feed(args);
  return call;
}

/**
 * Appends an argument fragment unless it repeats arguments that are already complete
 * (some providers resend the whole arguments in the last chunk). Returns the accepted text.
 */
export function acceptArguments(call: ToolCallState, piece: string): string {
  if (!piece) return "";
  if (call.scanner.complete && (piece === call.args || sameJson(piece, call.args))) return "";
  call.args += piece;
  call.scanner.feed(piece);
  return piece;
}
