/**
 * Pairs tool calls with their results before a history is translated.
 *
 * Claude Code sometimes sends a history where a `tool_use` has no `tool_result` in the next
 * user turn (an interrupted or crashed tool run, a failed stream), or a `tool_result` whose call
 * is not in the turn before. Every translated API refuses
 * both with a 400 that no retry fixes and that ends the session: Chat Completions ("An assistant
 * message with 'tool_calls' must be followed by tool messages responding to each
 * 'tool_call_id'", "messages with role 'tool' must be a response to a preceeding message with
 * 'tool_calls'"), Responses ("No tool output found for function call"), Gemini ("the number of
 * function response parts is equal to the number of function call parts"). Translation owns
 * the translated history, so it is repaired here: a missing result becomes an error result
 * saying so, and a result without its call becomes text the model can still read.
 */

import type {
  ContentBlockParam,
  ConversationMessageParam,
  MessageParam,
  ToolResultBlockParam,
} from "../../protocols/anthropic.ts";

/** The text a missing result is given; the model learns the call produced nothing. */
export const MISSING_RESULT_TEXT = "[no result: this tool call was interrupted before it finished]";

function blocksOf(message: MessageParam | undefined): ContentBlockParam[] {
  return message && message.role !== "system" && Array.isArray(message.content)
    ? message.content
    : [];
}

function callIds(message: MessageParam | undefined): string[] {
  if (message?.role !== "assistant") return [];
  return blocksOf(message).flatMap((b) => b.type === "tool_use" ? [b.id] : []);
}

function resultAsText(block: ToolResultBlockParam): ContentBlockParam {
  const content = block.content;
  const text = typeof content === "string"
    ? content
    : (content ?? []).map((b) => b.type === "text" ? b.text : `[${b.type}]`).join("\n");
  return { type: "text", text: `[result of tool call ${block.tool_use_id}]\n${text}` };
}

/** Repairs one user turn against the calls of the assistant turn before it. */
function repairUser(
  message: ConversationMessageParam,
  calls: readonly string[],
): ConversationMessageParam {
  const blocks = typeof message.content === "string"
    ? [{ type: "text", text: message.content } as ContentBlockParam]
    : message.content;
  const known = new Set(calls);
  const answered = new Set<string>();
  const kept = blocks.map((block) => {
    if (block.type !== "tool_result") return block;
    if (!known.has(block.tool_use_id) || answered.has(block.tool_use_id)) {
      return resultAsText(block);
    }
    answered.add(block.tool_use_id);
    return block;
  });
  const missing: ContentBlockParam[] = calls.filter((id) => !answered.has(id)).map((id) => ({
    type: "tool_result",
    tool_use_id: id,
    content: MISSING_RESULT_TEXT,
    is_error: true,
  }));
  return { ...message, content: [...missing, ...kept] };
}

// A turn with more blocks or calls than this is checked through a set: compared pairwise, 50000
// parallel calls and their results took seconds.
const PAIRWISE_MAX = 32;

// Walks the blocks without building arrays or sets: it runs on every user turn of every
// translated request, and a long session's history is hundreds of turns that need nothing.
function needsRepair(message: MessageParam, calls: readonly string[]): boolean {
  const blocks = blocksOf(message);
  if (blocks.length > PAIRWISE_MAX || calls.length > PAIRWISE_MAX) {
    return needsRepairLarge(blocks, calls);
  }
  let results = 0;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.type !== "tool_result") continue;
    results++;
    const id = block.tool_use_id;
    if (!calls.includes(id)) return true;
    // A call answered twice: an earlier result has the same id.
    for (let j = 0; j < i; j++) {
      const earlier = blocks[j]!;
      if (earlier.type === "tool_result" && earlier.tool_use_id === id) return true;
    }
  }
  // Every result answers a distinct call of the turn before: each call is answered iff the
  // counts agree.
  return results !== calls.length;
}

/** {@link needsRepair} for a large turn: each result takes its call from the calls not yet answered. */
function needsRepairLarge(blocks: ContentBlockParam[], calls: readonly string[]): boolean {
  const open = new Set(calls);
  let results = 0;
  for (const block of blocks) {
    if (block.type !== "tool_result") continue;
    results++;
    // No such call, or one already answered.
    if (!open.delete(block.tool_use_id)) return true;
  }
  return results !== calls.length;
}

/**
 * The history with every `tool_use` answered in the next user turn and every `tool_result`
 * answering a call of the turn before; the same array when nothing needed repair.
 */
export function pairToolBlocks(messages: MessageParam[]): MessageParam[] {
  let out: MessageParam[] | undefined;
  // Calls of the last assistant turn; `role: system` turns in between do not count as turns.
  let calls: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role === "user" && needsRepair(message, calls)) {
      out ??= messages.slice(0, i);
      out.push(repairUser(message, calls));
    } else if (message.role === "assistant" && calls.length > 0) {
      // Two assistant turns in a row: the first one's results go in between.
      out ??= messages.slice(0, i);
      out.push(repairUser({ role: "user", content: [] }, calls));
      out.push(message);
    } else out?.push(message);
    if (message.role !== "system") calls = callIds(message);
  }
  return out ?? messages;
}
