/**
 * Tool `input_schema` → Chat Completions `parameters`, removing JSON-Schema keywords a
 * provider rejects. Only keyword positions are cleaned: a property that happens to be
 * named `format` or `$schema` inside `properties` is kept.
 */

import { isRecord } from "../../core/json.ts";
import type { JsonObject } from "../../protocols/openai_chat.ts";

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

function cleanNode(node: unknown, drop: ReadonlySet<string>): unknown {
  if (Array.isArray(node)) return node.map((n) => cleanNode(n, drop)); // `items: [..]` (old drafts)
  if (!isRecord(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (drop.has(key)) continue;
    if (SCHEMA_MAPS.has(key) && isRecord(value)) {
      const map: JsonObject = {};
      for (const [name, sub] of Object.entries(value)) map[name] = cleanNode(sub, drop);
      out[key] = map;
    } else if (SCHEMA_ONE.has(key)) {
      out[key] = cleanNode(value, drop);
    } else if (SCHEMA_LIST.has(key) && Array.isArray(value)) {
      out[key] = value.map((v) => cleanNode(v, drop));
    } else {
      out[key] = value; // enum, const, default, examples, … stay verbatim
    }
  }
  return out;
}

/**
 * Cleans a tool schema for a provider; the result is always an object schema
 * (`{}` or a missing schema becomes `{type: "object", properties: {}}`).
 */
export function toFunctionParameters(
  schema: JsonObject | undefined,
  dropKeys: readonly string[],
): JsonObject {
  const cleaned = cleanNode(schema ?? {}, new Set(dropKeys));
  const out: JsonObject = isRecord(cleaned) ? cleaned : {};
  if (out.type === undefined) out.type = "object";
  if (out.type === "object" && out.properties === undefined) out.properties = {};
  return out;
}
