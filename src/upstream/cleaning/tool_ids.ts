/**
 * Tool-id rewriting for a real Anthropic upstream. Anthropic accepts only its own id shapes,
 * `toolu_...` (client tools) and `srvtoolu_...` (server tools); ids other providers minted earlier
 * in the session (`call_abc`, `functions.Bash:0`, ...) answer 400. The new id is a pure
 * function of the old one, so a `tool_use` and its `tool_result` always agree, and the same
 * history rewrites to the same bytes on every turn (Anthropic's prompt cache keeps hitting).
 */

import { editBlocks } from "./blocks.ts";
import type { Body, Obj } from "./types.ts";

const VALID = /^(?:toolu|srvtoolu)_[A-Za-z0-9_-]+$/;

/** FNV-1a, 32 bit: a short stable suffix that keeps sanitised ids apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/** The Anthropic-shaped id for `id` (valid ids are returned unchanged). */
export function anthropicToolId(id: string): string {
  if (VALID.test(id)) return id;
  const clean = id.replace(/[^A-Za-z0-9_-]/g, "_");
  // Two ids that differ only in replaced characters (`a.b`, `a:b`) must not collide.
  return clean === id && clean !== "" ? `toolu_${clean}` : `toolu_${clean}_${fnv1a(id)}`;
}

function rewrite(block: Obj, key: "id" | "tool_use_id"): Obj {
  const id = block[key];
  if (typeof id !== "string") return block;
  const next = anthropicToolId(id);
  return next === id ? block : { ...block, [key]: next };
}

/** Rewrites non-Anthropic ids in `tool_use.id` and `tool_result.tool_use_id`, consistently. */
export function rewriteToolIds(body: Body): Body {
  return editBlocks(body, (block) => {
    if (block.type === "tool_use") return rewrite(block, "id");
    if (block.type === "tool_result") return rewrite(block, "tool_use_id");
    return block;
  });
}
