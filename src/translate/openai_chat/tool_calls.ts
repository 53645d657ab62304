/**
 * Bookkeeping of streamed tool calls: which upstream fragment belongs to which call
 * (by `index`, by `id`, or "the last one" for providers that send neither; a server that
 * reuses one index for every call is told apart by ids, or failing those by a new name or new
 * arguments after complete ones), and how argument text is accepted, including providers
 * that resend the full arguments once they are complete.
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
  /**
   * The name a fragment of the same index or stream repeated, with no arguments, after this
   * call's arguments were complete: the next call's, should new arguments follow ("" if none).
   */
  announced: string;
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

  /**
   * Finds or creates the call a fragment belongs to and records its id and name. `piece` is the
   * fragment's argument text.
   */
  resolve(delta: ChatToolCallDelta, piece: string): ToolCallState {
    const id = typeof delta.id === "string" && delta.id ? delta.id : undefined;
    const index = typeof delta.index === "number" ? delta.index : undefined;
    const rawName = delta.function?.name;
    const name = typeof rawName === "string" ? rawName : "";
    const known = index !== undefined
      ? this.#byIndex.get(index)
      : (id && this.#byId.get(id)) || this.#last;
    let call = known;
    if (call && (id && call.id ? newId(call, id, name) : startsAnother(call, name, piece))) {
      call = undefined;
    }
    if (!call) {
      call = newToolCall("", name || (known?.announced ?? ""));
      this.order.push(call);
    }
    if (index !== undefined) this.#byIndex.set(index, call);
    if (id && !call.id) {
      call.id = id;
      this.#byId.set(id, call);
    }
    if (name && !call.name) call.name = name;
    if (isRecord(delta.extra_content) && !call.extra) call.extra = delta.extra_content;
    this.#last = call;
    return call;
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

/**
 * Whether a fragment with an id other than its call's begins another call: when it names one,
 * a different one or the same after complete arguments. Some servers (LM Studio) give every
 * fragment of one call a fresh id, with no name or the same one.
 */
function newId(call: ToolCallState, id: string, name: string): boolean {
  return call.id !== id && name !== "" && (name !== call.name || call.scanner.complete);
}

/**
 * Whether a fragment that matched `call` (same index, or the last call when there is neither
 * index nor id) begins another call, once the call's arguments are complete. A different name
 * begins one (a call still without a name takes it). The same name with no arguments is only a
 * repeat (some servers name the call in every fragment), remembered in case new arguments
 * follow: those, or new arguments sent with the name, begin one. Arguments equal to the complete
 * ones are a resend, and arguments no name claims are a server's stray flush: both stay with the
 * call, which takes nothing more.
 */
function startsAnother(call: ToolCallState, name: string, piece: string): boolean {
  if (!call.scanner.complete) return false;
  if (name && call.name && name !== call.name) return true;
  if (!opensJson(piece)) {
    if (name) call.announced = name;
    return false;
  }
  if (!name && !call.announced) return false;
  return !(piece === call.args || sameJson(piece, call.args));
}

/** True when `text` begins, after any whitespace, an object or an array. */
function opensJson(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123 /* { */ || c === 91 /* [ */) return true;
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return false;
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
    announced: "",
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
 * Appends an argument fragment. Complete arguments take nothing more (anything after them would
 * break their JSON): some servers resend the whole arguments in the last chunk, or flush an
 * empty object after them. A fragment holding the whole arguments while they are still arriving
 * (a server's last flush of what it parsed) adds only what is new. Returns the accepted text.
 */
export function acceptArguments(call: ToolCallState, piece: string): string {
  if (!piece || call.scanner.complete) return "";
  const args = call.args;
  if (args && piece.length > args.length && piece.startsWith(args) && parses(piece)) {
    piece = piece.slice(args.length);
  }
  call.args += piece;
  call.scanner.feed(piece);
  return piece;
}

/**
 * The name and arguments of a call streamed without a name whose complete arguments hold both,
 * as Text Generation Inference before 3.2 streams every call: the text its tool grammar makes
 * the model write, `{"function": {"_name": "Read", "file_path": "/a"}}`. The call takes that
 * name and the other fields as its arguments. The grammar's own `no_tool` (offered when no tool
 * fits) is no call: its `content` is returned, the answer, and the call keeps no name, so it
 * never runs. Undefined for arguments of any other shape, left as they are.
 */
export function unwrapGrammarCall(call: ToolCallState): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(call.args);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || Object.keys(value).length !== 1 || !isRecord(value.function)) {
    return undefined;
  }
  const { _name: name, ...args } = value.function;
  if (typeof name !== "string" || !name) return undefined;
  if (name === "no_tool") return typeof args.content === "string" ? args.content : "";
  call.name = name;
  call.args = JSON.stringify(args);
  return undefined;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
