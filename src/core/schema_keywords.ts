/**
 * JSON-Schema keywords removed at any depth: what both a Chat Completions tool's `parameters` and
 * a passthrough body's cleaning need. Only keyword positions are cleaned: a property that happens
 * to be named `format` or `$schema` inside `properties` is kept. Kept apart from the Chat
 * translation so that a passthrough server's cleaning loads none of it.
 */

import { isRecord, type JsonObject, setOwn } from "./json.ts";

/** Keywords whose value is a map of names to subschemas. */
const SCHEMA_MAPS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
]);
/** Keywords whose value is one subschema. */
const SCHEMA_ONE = new Set([
  "items",
  "additionalProperties",
  "unevaluatedProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "additionalItems",
]);
/** Keywords whose value is a list of subschemas. */
const SCHEMA_LIST = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);

// Each cleaner returns its input itself when nothing in it is dropped, and otherwise a copy that
// shares every unchanged part: Claude Code resends ~20 tool schemas on every turn, and copying
// each whole to drop one top-level `$schema` cost more than the rest of the translation.

export function cleanNode(node: unknown, drop: ReadonlySet<string>): unknown {
  if (Array.isArray(node)) return cleanList(node, drop); // `items: [..]` (old drafts)
  if (!isRecord(node)) return node;
  let out: JsonObject | undefined;
  for (const key in node) {
    const value = node[key];
    const dropped = drop.has(key);
    let next = value;
    if (dropped) next = undefined;
    else if (SCHEMA_MAPS.has(key) && isRecord(value)) next = cleanMap(value, drop);
    else if (SCHEMA_ONE.has(key)) next = cleanNode(value, drop);
    else if (SCHEMA_LIST.has(key) && Array.isArray(value)) next = cleanList(value, drop);
    // enum, const, default, examples, ... stay verbatim
    if (out === undefined && (dropped || next !== value)) out = copyBefore(node, key);
    if (out !== undefined && !dropped) setOwn(out, key, next);
  }
  return out ?? node;
}

function cleanMap(map: JsonObject, drop: ReadonlySet<string>): JsonObject {
  let out: JsonObject | undefined;
  for (const name in map) {
    const sub = map[name];
    const next = cleanNode(sub, drop);
    if (out === undefined && next !== sub) out = copyBefore(map, name);
    if (out !== undefined) setOwn(out, name, next);
  }
  return out ?? map;
}

function cleanList(list: unknown[], drop: ReadonlySet<string>): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const next = cleanNode(list[i], drop);
    if (out === undefined && next !== list[i]) out = list.slice(0, i);
    if (out !== undefined) out.push(next);
  }
  return out ?? list;
}

/** The entries of `object` that come before `key`, in a new object. */
function copyBefore(object: JsonObject, key: string): JsonObject {
  const out: JsonObject = {};
  for (const k in object) {
    if (k === key) break;
    setOwn(out, k, object[k]);
  }
  return out;
}

const dropSets = new WeakMap<readonly string[], ReadonlySet<string>>();

export function dropSet(dropKeys: readonly string[]): ReadonlySet<string> {
  let drop = dropSets.get(dropKeys);
  if (!drop) dropSets.set(dropKeys, drop = new Set(dropKeys));
  return drop;
}

/**
 * `schema` without the keywords `dropKeys` at any depth, and otherwise as it is: the same object
 * when it has none of them.
 */
export function withoutKeywords(schema: JsonObject, dropKeys: readonly string[]): JsonObject {
  const cleaned = cleanNode(schema, dropSet(dropKeys));
  return isRecord(cleaned) ? cleaned : schema;
}
