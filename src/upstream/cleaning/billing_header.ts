/**
 * Removing Claude Code's attribution block. Claude Code puts
 * `x-anthropic-billing-header: cc_version=...; cc_entrypoint=...; cch=...;` at the head of
 * `system`; only Anthropic reads it, and before 2.1.181 it changed on every request, so any other
 * server's prefix cache missed from the first token on.
 */

import { type Body, without } from "./types.ts";
import { isRecord } from "../../core/json.ts";

const PREFIX = "x-anthropic-billing-header:";

function isBillingText(text: unknown): boolean {
  return typeof text === "string" && text.trimStart().startsWith(PREFIX);
}

/** Removes the attribution block (or the attribution line of a string `system`). */
export function dropBillingHeader(body: Body): Body {
  const system = body.system;
  if (typeof system === "string") {
    if (!isBillingText(system)) return body;
    const rest = system.trimStart().replace(/^[^\n]*\n?/, "").trimStart();
    return rest ? { ...body, system: rest } : without(body, ["system"]);
  }
  if (!Array.isArray(system)) return body;
  const kept = system.filter((block) => !(isRecord(block) && isBillingText(block.text)));
  if (kept.length === system.length) return body;
  return kept.length > 0 ? { ...body, system: kept } : without(body, ["system"]);
}
