/** Walking the content blocks of `messages` without copying what does not change. */

import { type Body, type Obj } from "./types.ts";
import { isRecord } from "../../core/json.ts";

/** What an edit does with one block: keep it (same object), replace it, or drop it (null). */
export type BlockEdit = (block: Obj, role: string) => Obj | null;

/** Applies `edit` to each block of a content array; returns the same array when nothing changed. */
export function editContent(content: readonly unknown[], role: string, edit: BlockEdit): unknown[] {
  let changed = false;
  const out: unknown[] = [];
  for (const block of content) {
    if (!isRecord(block)) {
      out.push(block);
      continue;
    }
    const next = edit(block, role);
    if (next !== block) changed = true;
    if (next) out.push(next);
  }
  return changed ? out : (content as unknown[]);
}

/**
 * Applies `edit` to every block of every message with array content. A message whose content
 * ends up empty is removed (an empty turn is invalid everywhere). Returns the same body when
 * no block changed.
 */
export function editBlocks(body: Body, edit: BlockEdit): Body {
  const messages = body.messages;
  if (!Array.isArray(messages)) return body;
  let changed = false;
  const out: unknown[] = [];
  for (const message of messages) {
    if (!isRecord(message) || !Array.isArray(message.content)) {
      out.push(message);
      continue;
    }
    const content = editContent(message.content, String(message.role), edit);
    if (content === message.content) {
      out.push(message);
      continue;
    }
    changed = true;
    if (content.length > 0) out.push({ ...message, content });
  }
  return changed ? { ...body, messages: out } : body;
}

/** A block without `key`, or the block itself when it has no such key. */
export function dropKey(block: Obj, key: string): Obj {
  if (!(key in block)) return block;
  const { [key]: _dropped, ...rest } = block;
  return rest;
}
