/**
 * Claude Code's `role: "system"` messages that come after the conversation began, as the
 * `<system-reminder>` text Claude Code itself sends to models without such messages. For
 * upstreams that only take a system prompt at the top.
 */

import type {
  ContentBlockParam,
  MessageParam,
  SystemMessageParam,
  TextBlockParam,
} from "../../protocols/anthropic.ts";
import { append } from "../../core/append.ts";

const OPEN = "<system-reminder>";

function reminders(message: SystemMessageParam): TextBlockParam[] {
  const blocks: TextBlockParam[] = typeof message.content === "string"
    ? [{ type: "text", text: message.content }]
    : Array.isArray(message.content)
    ? message.content.filter((b) => b?.type === "text" && typeof b.text === "string")
    : [];
  return blocks.filter((b) => b.text !== "").map((b) => ({
    ...b,
    text: b.text.startsWith(OPEN) ? b.text : `${OPEN}\n${b.text}\n</system-reminder>`,
  }));
}

function callsTools(message: MessageParam): boolean {
  return Array.isArray(message.content) &&
    message.content.some((b) => (b as { type?: unknown })?.type === "tool_use");
}

function asBlocks(content: unknown): ContentBlockParam[] {
  if (Array.isArray(content)) return content;
  return typeof content === "string" && content ? [{ type: "text", text: content }] : [];
}

/**
 * `messages` with every system message after the first assistant turn turned into reminder
 * text where it stood: appended to the user turn before it, else put at the start of the user
 * turn after it (behind the results of tool calls), else a user turn of its own. Claude
 * Code adds such messages mid-session (a hook's added context, "the user hasn't heard from you")
 * and keeps each in its place from then on; folded into the system prompt, each one would change
 * the start of every later request, and the upstream's prefix cache would miss for the whole
 * conversation. System messages before the first answer (Claude Code's environment, the same in
 * every request) are left for the caller to fold. Returns `messages` itself when none moves.
 */
export function systemMessagesInPlace(messages: readonly MessageParam[]): MessageParam[] {
  const firstAnswer = messages.findIndex((m) => m?.role === "assistant");
  if (
    firstAnswer < 0 || !messages.some((m, i) => i > firstAnswer && m?.role === "system")
  ) return messages as MessageParam[];
  const out: MessageParam[] = [];
  // Reminders after an answer wait for the next user turn, so user turns never follow each other
  // (some servers' chat templates insist on alternation); after tool calls they go behind that
  // turn's results, which must come first.
  let waiting: TextBlockParam[] = [];
  for (const [i, message] of messages.entries()) {
    if (i < firstAnswer || message?.role !== "system") {
      if (waiting.length > 0 && message?.role === "user") {
        const own = asBlocks(message.content);
        const last = out.at(-1);
        const content = last?.role === "assistant" && callsTools(last)
          ? [...own, ...waiting]
          : [...waiting, ...own];
        out.push({ ...message, content });
        waiting = [];
      } else out.push(message);
      continue;
    }
    const texts = reminders(message);
    const last = out.at(-1);
    if (last?.role === "user") {
      out[out.length - 1] = { ...last, content: [...asBlocks(last.content), ...texts] };
    } else append(waiting, texts);
  }
  if (waiting.length > 0) out.push({ role: "user", content: waiting });
  return out;
}
