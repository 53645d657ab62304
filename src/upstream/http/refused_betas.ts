/**
 * Recognising an `anthropic-beta` value an Anthropic-compatible upstream refuses.
 *
 * Claude Code sends each new beta as soon as it uses the feature, and a gateway or cloud that
 * does not know the value answers 400 "Unexpected value(s) `x` for the `anthropic-beta` header"
 * (Vertex and gateways in front of it did so for `prompt-caching-scope-2026-01-05`). The presets
 * strip the betas their endpoints are known to refuse; for any other endpoint the refusal names
 * the value, so the request is sent once more without it and that provider and model do without
 * it from then on, as refused body parameters are learned (refused_params.ts). What the beta
 * brings into the body (fields, tool types: beta_parts.ts) goes with it, and a refusal that names
 * only one of those parts stands for the beta too.
 */

import { parseBetas } from "../cleaning/betas.ts";
import { betasBringing, partsCarried } from "../cleaning/beta_parts.ts";
import type { OutgoingHeaders } from "./headers.ts";
import { refusedParameter } from "./refused_params.ts";

// The learned entry for a refused beta: body parameter names never contain a colon.
const PREFIX = "anthropic-beta:";

// Anthropic's wording, which Vertex and gateways pass on; the values may be quoted in backticks.
// The values are a few dozen characters each: bounded, a text repeating the opening words (an
// upstream quoting a client's own text) is not read to its end once per repetition.
const REFUSED = /unexpected value\(s\)\s*(.{1,1000}?)\s*for the\s*`?anthropic-beta`?\s*header/i;

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

/**
 * The betas among those `sent` whose part a refusal names: a field it says is not accepted
 * ("mcp_servers: Extra inputs are not permitted"), or a tool type, tool key, edit type or history
 * block type of the beta that the body carries ("unknown variant `web_fetch_20250910`").
 */
export function betasBehindParts(
  message: string,
  bodyText: string | undefined,
  sent: { readonly body: Record<string, unknown>; readonly headers: OutgoingHeaders },
): string[] {
  const betas = parseBetas(sent.headers["anthropic-beta"] ?? null);
  if (betas.length === 0) return [];
  const field = refusedParameter(bodyText, sent.body);
  const byField = field === undefined ? [] : betasBringing(field, betas);
  if (byField.length > 0) return byField;
  return betas.filter((beta) =>
    partsCarried(beta, sent.body).some((name) => new RegExp(`\\b${name}\\b`).test(message))
  );
}

/** The betas `learned` names (refused before), in the order learned. */
export function learnedBetas(learned: Iterable<string>): string[] {
  const betas: string[] = [];
  for (const entry of learned) if (entry.startsWith(PREFIX)) betas.push(entry.slice(PREFIX.length));
  return betas;
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
