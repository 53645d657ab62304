/**
 * A stand-in session id for a request that names none (Anthropic SDK clients other than Claude
 * Code send no session header and no `metadata.user_id`): a hash of the conversation's system
 * prompt and its first user message, which stay the same on every turn of one conversation. Only
 * their text is read, so a cache marker that moves from turn to turn changes nothing. Two
 * conversations that open alike share their affinity, which costs only some spreading. Pure; the
 * text is hashed, never kept or logged.
 */

import { fnv1a64Hex } from "../translate/anthropic/ids.ts";

/** Characters hashed at most: a long prompt's head tells conversations apart as well as all of it. */
const MAX_HASHED_CHARS = 64 * 1024;

type Obj = Record<string, unknown>;

/**
 * The text of a system prompt or message content: text blocks' text, other blocks by type; a
 * string reads as one text block, as clients write the same content either way.
 */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  let size = 0;
  for (const block of content as unknown[]) {
    if (size >= MAX_HASHED_CHARS) break;
    if (typeof block !== "object" || block === null) continue;
    const { type, text } = block as Obj;
    const part = typeof text === "string" ? text : `[${String(type)}]`;
    parts.push(part);
    size += part.length;
  }
  return parts.join("\n");
}

/** The conversation's stand-in id, or undefined when it has neither system prompt nor user text. */
export function conversationIdOf(body: Record<string, unknown>): string | undefined {
  const messages = Array.isArray(body.messages) ? body.messages as unknown[] : [];
  const first = messages.find((m): m is Obj =>
    typeof m === "object" && m !== null && (m as Obj).role === "user"
  );
  const system = textOf(body.system);
  const opening = textOf(first?.content);
  if (!system && !opening) return undefined;
  // The lengths keep a system prompt's tail from passing for the first message's head.
  const text = `${system.length}:${system}\u0000${opening.length}:${opening}`;
  return `conversation:${fnv1a64Hex(text.slice(0, MAX_HASHED_CHARS))}`;
}
