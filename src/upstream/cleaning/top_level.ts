/**
 * Top-level field rules. Strict Anthropic-compatible servers validate the body with a closed
 * schema and answer 400 "context_management: Extra inputs are not permitted" for any field they
 * do not know, and Claude Code adds such fields every few releases.
 */

import { type Body, type BodyRule, without } from "./types.ts";

/** Removes the named top-level fields. */
export function dropTopLevel(fields: readonly string[]): BodyRule {
  return (body) => without(body, fields);
}

/**
 * Keeps only the named top-level fields (an allow-list), for endpoints that document a closed set
 * or say nothing: a field Claude Code invents next year is then dropped before it can cause a 400.
 */
export function keepTopLevel(fields: readonly string[]): BodyRule {
  const allowed = new Set(fields);
  return (body: Body) => without(body, Object.keys(body).filter((key) => !allowed.has(key)));
}
