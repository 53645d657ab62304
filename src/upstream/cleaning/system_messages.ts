/**
 * Folding `role: "system"` messages into the top-level `system`. Claude Code 2.1.15x+ sends the
 * environment, deferred tools and skills as a system message inside `messages` (Anthropic's
 * mid-conversation system messages); most compatible endpoints only know user and assistant and
 * answer 400 "messages[1].role: unknown variant `system`".
 */

import { type Body, type Obj } from "./types.ts";
import { isRecord } from "../../core/json.ts";
import { systemMessagesInPlace } from "../../translate/anthropic/system_reminders.ts";

function isSystemMessage(message: unknown): message is Obj {
  return isRecord(message) && message.role === "system";
}

/** A system message's content as text blocks. */
function asBlocks(content: unknown): Obj[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

/**
 * Moves the `role: "system"` messages before the first answer to the end of `system`, in order,
 * and turns later ones into reminder text where they stood. A string `system`
 * stays a string when everything folded is text without markers; otherwise the result is a
 * block array (the existing blocks first, so a cached prefix stays a prefix).
 */
export function foldSystemMessages(body: Body): Body {
  if (!Array.isArray(body.messages) || !body.messages.some(isSystemMessage)) return body;
  // Those after the first answer stay in place: the start of the request then stays the same.
  const messages: unknown[] = systemMessagesInPlace(body.messages);
  const folded = messages.filter(isSystemMessage).flatMap((m) => asBlocks(m.content));
  const rest = messages.filter((m) => !isSystemMessage(m));
  const system = body.system;
  const plainText = folded.every((b) => b.type === "text" && Object.keys(b).length === 2);
  if ((system === undefined || typeof system === "string") && plainText) {
    const texts = folded.map((b) => String(b.text));
    const joined = [...(system ? [system] : []), ...texts].join("\n\n");
    return { ...body, messages: rest, ...(joined ? { system: joined } : {}) };
  }
  const head = typeof system === "string"
    ? (system ? [{ type: "text", text: system }] : [])
    : Array.isArray(system)
    ? system
    : [];
  return { ...body, messages: rest, system: [...head, ...folded] };
}
