/**
 * Tool parameters that take any JSON value. Gemini's schema has no such type (every node needs
 * one, and an OBJECT needs properties), so such a parameter goes out as a STRING whose
 * description asks for JSON text, and the text the model writes is turned back into the value
 * before the client sees the call: Claude Code's tools that take "any" value expect arrays and
 * objects, not their JSON text. The same goes for an object or array nested past what Gemini
 * serves, or behind a recursive reference (schema_limits.ts): where the tool's schema takes only
 * an object or an array, JSON text in its place is read back as one.
 */

import { isRecord, setOwn } from "../../core/json.ts";
import { resolveRef } from "../json_schema.ts";

// A node with none of these says nothing about its value's type.
const SHAPE_KEYS = [
  "type",
  "properties",
  "items",
  "prefixItems",
  "enum",
  "const",
  "$ref",
  "anyOf",
  "oneOf",
  "allOf",
];

/** What the description of such a parameter gains, so the model writes JSON text in it. */
export const JSON_TEXT_NOTE = "Any JSON value, written as JSON text.";

/** True for a schema that allows any value (`true`, `{}`, a node with only a description...). */
export function isAnyValueSchema(node: unknown): boolean {
  return node === true || (isRecord(node) && !SHAPE_KEYS.some((key) => key in node));
}

/** What the description of a free-form object parameter gains. */
export const OBJECT_TEXT_NOTE = "A JSON object (any keys), written as JSON text.";

/**
 * True for an object that names no properties yet takes any key (a map: `additionalProperties`
 * with a schema, `patternProperties`, or nothing said). Gemini's OBJECT without properties only
 * ever gets `{}` from the model, so such a parameter goes out as JSON text too.
 */
export function isFreeFormObject(node: unknown): boolean {
  if (!isRecord(node) || node.additionalProperties === false) return false;
  const types = Array.isArray(node.type) ? node.type : [node.type];
  if (!types.includes("object")) return false;
  return !isRecord(node.properties) || Object.keys(node.properties).length === 0;
}

/**
 * `schema` as one node, as schema.ts wrote it for Gemini: its local `$ref` followed (siblings of
 * the reference win) and its `allOf` members merged in (properties united, the node's own keys
 * win). A field that names its model through `allOf: [{$ref}]` (as older pydantic writes one with a
 * description) is then read as that model, JSON text cut deep inside it included.
 */
function followed(schema: unknown, root: unknown, hops = 0, merged = new Set<string>()): unknown {
  if (!isRecord(schema) || !isRecord(root) || hops > 8) return schema;
  let node = schema;
  if (typeof node.$ref === "string") {
    const { $ref, ...siblings } = node;
    const target = resolveRef($ref, root);
    if (!target) return schema;
    merged.add($ref);
    node = { ...target, ...siblings };
  }
  if (!Array.isArray(node.allOf)) return node;
  const { allOf, ...out } = node;
  const properties = isRecord(out.properties) ? { ...out.properties } : {};
  for (const item of allOf) {
    // A model is merged in once: it adds nothing the second time, and a model that names itself
    // (or one named by many members) would be merged again at every level, exponentially.
    if (isRecord(item) && typeof item.$ref === "string" && merged.has(item.$ref)) continue;
    const member = followed(item, root, hops + 1, merged);
    if (!isRecord(member)) continue;
    for (const [key, value] of Object.entries(member)) {
      if (key === "properties" && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) {
          if (!Object.hasOwn(properties, name)) setOwn(properties, name, sub);
        }
      } else if (!Object.hasOwn(out, key)) setOwn(out, key, value);
    }
  }
  if (Object.keys(properties).length > 0) out.properties = properties;
  return out;
}

/**
 * True when `schema` never takes a string: objects, arrays, numbers, booleans (null aside). A
 * string in its place can only be the value written as JSON text (a union past the nesting bound
 * goes out as text whatever its variants), and left as text it is an input the tool refuses.
 */
function takesNoString(schema: unknown, root: unknown, depth: number): boolean {
  if (!isRecord(schema) || depth > 8) return false;
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : schema.oneOf;
  if (Array.isArray(variants) && schema.type === undefined) {
    const real = variants.map((v) => followed(v, root)).filter((v) =>
      !(isRecord(v) && v.type === "null")
    );
    return real.length > 0 && real.every((v) => takesNoString(v, root, depth + 1));
  }
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t) =>
    t !== "null"
  );
  if (types.length === 0 || types[0] === undefined) {
    if (Array.isArray(schema.enum)) {
      return schema.enum.length > 0 && schema.enum.every((v) => typeof v !== "string");
    }
    if ("const" in schema) return typeof schema.const !== "string";
    return isRecord(schema.properties) || schema.items !== undefined;
  }
  return !types.includes("string");
}

/** A Markdown code fence around the whole text (```json ... ```), as a model may wrap JSON. */
const FENCED = /^\s*```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n[ \t]*```\s*$/;

/**
 * The value other than a string that `text` holds as JSON text (fenced as Markdown code or not);
 * undefined for any other text.
 */
function parsedValue(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(FENCED.exec(text)?.[1] ?? text);
    return typeof parsed === "string" ? undefined : parsed;
  } catch {
    return undefined;
  }
}

/**
 * `value` with JSON text put back as the value: that of an object or array wherever `schema`
 * allows any value, and any JSON text wherever it takes no string. Other text stays text: "42" may
 * well be meant as a string. Unchanged parts are kept.
 */
export function withJsonValues(
  value: unknown,
  node: unknown,
  root: unknown = node,
  depth = 0,
): unknown {
  if (depth > 32) return value;
  const schema = followed(node, root);
  if (depth > 0 && (isAnyValueSchema(schema) || isFreeFormObject(schema))) {
    if (typeof value !== "string" || !/^\s*[[{]/.test(value)) return value;
    try {
      const parsed: unknown = JSON.parse(value);
      return typeof parsed === "object" && parsed !== null ? parsed : value;
    } catch {
      return value;
    }
  }
  if (!isRecord(schema)) return value;
  if (depth > 0 && typeof value === "string" && takesNoString(schema, root, 0)) {
    const parsed = parsedValue(value);
    // The parsed value may hold JSON text deeper in (a recursive shape): read it the same way.
    return parsed === undefined ? value : withJsonValues(parsed, schema, root, depth);
  }
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : schema.oneOf;
  if (isRecord(value) && Array.isArray(variants) && !isRecord(schema.properties)) {
    // Each variant puts back only what it takes as structure; the one the value is reads it.
    return variants.reduce((v: unknown, variant) => withJsonValues(v, variant, root, depth), value);
  }
  if (isRecord(value) && isRecord(schema.properties)) {
    let out: Record<string, unknown> | undefined;
    for (const [key, sub] of Object.entries(schema.properties)) {
      if (!(key in value)) continue;
      const next = withJsonValues(value[key], sub, root, depth + 1);
      if (next !== value[key]) (out ??= { ...value })[key] = next;
    }
    return out ?? value;
  }
  if (Array.isArray(value) && schema.items !== undefined && !Array.isArray(schema.items)) {
    let changed = false;
    const items = value.map((item) => {
      const next = withJsonValues(item, schema.items, root, depth + 1);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? items : value;
  }
  return value;
}
