/**
 * Tool names Gemini accepts. A function name "must be a-z, A-Z, 0-9, or contain
 * underscores, colons, dots, and dashes, with a maximum length of 64"
 * (https://ai.google.dev/api/caching#FunctionDeclaration); MCP tools can break both
 * rules. The rename is deterministic, so history and declarations agree without state,
 * and the answer's calls are mapped back to the client's names.
 */

import type { ToolDefinition } from "../../protocols/anthropic.ts";
import { fnv1a64Hex } from "../anthropic/ids.ts";

const MAX_LENGTH = 64;

/** The name Gemini sees for a client tool name (unchanged when already valid). */
export function geminiFunctionName(name: string): string {
  let out = name.replace(/[^A-Za-z0-9_.:-]/g, "_");
  if (!/^[A-Za-z_]/.test(out)) out = `_${out}`;
  if (out.length > MAX_LENGTH) {
    // Keep a readable prefix; the hash of the original keeps distinct names distinct.
    out = `${out.slice(0, MAX_LENGTH - 17)}_${fnv1a64Hex(name)}`;
  }
  return out;
}

/** Gemini name → client name, for the tools whose names had to change. */
export function renamedTools(tools: readonly ToolDefinition[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const tool of tools ?? []) {
    if (typeof tool.name !== "string") continue;
    const renamed = geminiFunctionName(tool.name);
    if (renamed !== tool.name) out.set(renamed, tool.name);
  }
  return out;
}
