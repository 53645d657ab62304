/**
 * Recognising an `anthropic-beta` value an Anthropic-compatible upstream refuses.
 *
 * Claude Code sends each new beta as soon as it uses the feature, and a gateway or cloud that
 * does not know the value answers 400 "Unexpected value(s) `x` for the `anthropic-beta` header"
 * (Vertex and gateways in front of it did so for `prompt-caching-scope-2026-01-05`). The presets
 * strip the betas their endpoints are known to refuse; for any other endpoint the refusal names
 * the value, so the request is sent once more without it and that provider and model do without
 * it from then on, as refused body parameters are learned (refused_params.ts).
 */

import { ownValue } from "../../core/json.ts";
import { parseBetas } from "../cleaning/betas.ts";
import type { OutgoingHeaders } from "./headers.ts";

// The learned entry for a refused beta: body parameter names never contain a colon.
const PREFIX = "anthropic-beta:";

// Anthropic's wording, which Vertex and gateways pass on; the values may be quoted in backticks.
const REFUSED = /unexpected value\(s\)\s*(.+?)\s*for the\s*`?anthropic-beta`?\s*header/i;

// Body fields that mean nothing without their beta: an endpoint that refuses the beta refuses
// the field too ("context_management: Extra inputs are not permitted"), so both go together.
const FIELDS_OF_BETA: Readonly<Record<string, readonly string[]>> = {
  "context-management-2025-06-27": ["context_management"],
  "mcp-client-2025-04-04": ["mcp_servers"],
};

/** The body fields that need one of `betas` (learned and left out with them). */
export function fieldsNeeding(betas: readonly string[]): string[] {
  return betas.flatMap((beta) => ownValue(FIELDS_OF_BETA, beta) ?? []);
}

/** The learned entry for `beta`. */
export function betaEntry(beta: string): string {
  return PREFIX + beta;
}

/** The betas among those `headers` sent that `message` says were refused. */
export function refusedBetas(message: string, headers: OutgoingHeaders): string[] {
  const sent = parseBetas(headers["anthropic-beta"] ?? null);
  if (sent.length === 0) return [];
  const match = REFUSED.exec(message);
  if (!match) return [];
  const named = new Set(match[1]!.split(/[\s,]+/).map((v) => v.replace(/[`'"]/g, "")));
  return sent.filter((beta) => named.has(beta));
}

/** `headers` without the betas `learned` names (the header goes when none is left). */
export function withoutBetas(headers: OutgoingHeaders, learned: Iterable<string>): OutgoingHeaders {
  const refused = new Set<string>();
  for (const entry of learned) {
    if (entry.startsWith(PREFIX)) refused.add(entry.slice(PREFIX.length));
  }
  // The usual request: nothing learned, and its header is not parsed at all.
  if (refused.size === 0) return headers;
  const sent = parseBetas(headers["anthropic-beta"] ?? null);
  const kept = sent.filter((beta) => !refused.has(beta));
  if (kept.length === sent.length) return headers;
  const { "anthropic-beta": _dropped, ...rest } = headers;
  return kept.length > 0 ? { ...rest, "anthropic-beta": kept.join(",") } : rest;
}
