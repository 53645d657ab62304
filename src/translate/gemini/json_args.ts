/**
 * Tool parameters that take any JSON value. Gemini's schema has no such type (every node needs
 * one, and an OBJECT needs properties), so such a parameter goes out as a STRING whose
 * description asks for JSON text, and the text the model writes is turned back into the value
 * before the client sees the call: Claude Code's tools that take "any" value expect arrays and
 * objects, not their JSON text. The same goes for an object or array nested past what Gemini
 * serves, or behind a recursive reference (schema_limits.ts): where the tool's schema takes only
 * an object or an array, JSON text in its place is read back as one. A union that also takes a
 * string, nested past that bound, went out as JSON text of whichever value it is: `{"a":1}` there
 * is the object, `"abc"` the string, and text that is no JSON (a model that wrote the string bare)
 * stays the string. JSON text in a Markdown code fence, as models write it, is read the same way.
 */

import { isRecord, setOwn } from "../../core/json.ts";
import { resolveRef } from "../json_schema.ts";
import { MAX_LEVELS } from "./schema_limits.ts";

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

// JSON text in a Markdown code fence: "```json\n{...}\n```".
const FENCED = /^\s*```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n[ \t]*```\s*$/;

/** The value `text` holds as JSON text (inside a code fence too); undefined for other text. */
function jsonOf(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(FENCED.exec(text)?.[1] ?? text) };
  } catch {
    return undefined;
  }
}

/** The value other than a string that `text` holds as JSON text; undefined for any other text. */
function parsedValue(text: string): unknown {
  const parsed = jsonOf(text)?.value;
  return typeof parsed === "string" ? undefined : parsed;
}

/** The variants of a union that are real alternatives (null aside), when it has more than one. */
function unionVariants(schema: Record<string, unknown>, root: unknown): unknown[] | undefined {
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : schema.oneOf;
  if (Array.isArray(variants) && schema.type === undefined && !isRecord(schema.properties)) {
    const real = variants.map((v) => followed(v, root)).filter((v) =>
      !(isRecord(v) && v.type === "null")
    );
    return real.length > 1 ? real : undefined;
  }
  const types = Array.isArray(schema.type) ? schema.type.filter((t) => t !== "null") : [];
  return types.length > 1 ? types.map((type) => ({ ...schema, type })) : undefined;
}

/** Whether a value of `value`'s JSON kind fits `schema` (loosely: its types, enum or shape). */
function kindFits(value: unknown, schema: unknown, root: unknown, depth = 0): boolean {
  const node = followed(schema, root);
  if (!isRecord(node) || isAnyValueSchema(node) || depth > 8) return true;
  const variants = unionVariants(node, root);
  if (variants) return variants.some((v) => kindFits(value, v, root, depth + 1));
  const kind = value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value === "number"
    ? "number"
    : typeof value;
  if (node.type === undefined) {
    if (Array.isArray(node.enum)) return node.enum.some((v) => typeof v === typeof value);
    if ("const" in node) return typeof node.const === typeof value;
    return kind === (isRecord(node.properties) ? "object" : "array");
  }
  const types = Array.isArray(node.type) ? node.type : [node.type];
  return types.includes(kind) || (kind === "number" && types.includes("integer"));
}

/**
 * A string where a union goes: when the whole union went out as JSON text (past the nesting
 * bound), the value the text holds if the union takes a value of its kind; when only its object
 * and array variants did (one level short of it), the object or array the text holds if the union
 * takes one; else the text itself.
 */
function unionValue(text: string, schema: unknown, root: unknown, whole: boolean): unknown {
  const parsed = jsonOf(text);
  if (parsed === undefined || !kindFits(parsed.value, schema, root)) return text;
  return whole || (typeof parsed.value === "object" && parsed.value !== null) ? parsed.value : text;
}

/**
 * `value` with JSON text put back as the value: that of an object or array wherever `schema`
 * allows any value, any JSON text wherever it takes no string, and JSON text of a value the union
 * takes where a union went out as JSON text. Other text stays text: "42" may well be meant as a
 * string. Unchanged parts are kept.
 */
export function withJsonValues(
  value: unknown,
  node: unknown,
  root: unknown = node,
  depth = 0,
  levels = 0,
): unknown {
  if (depth > 32) return value;
  const schema = followed(node, root);
  if (depth > 0 && (isAnyValueSchema(schema) || isFreeFormObject(schema))) {
    if (typeof value !== "string" || !/^\s*(?:[[{]|```)/.test(value)) return value;
    const parsed = jsonOf(value)?.value;
    return typeof parsed === "object" && parsed !== null ? parsed : value;
  }
  if (!isRecord(schema)) return value;
  if (depth > 0 && typeof value === "string" && takesNoString(schema, root, 0)) {
    const parsed = parsedValue(value);
    // The parsed value may hold JSON text deeper in (a recursive shape): read it the same way.
    return parsed === undefined ? value : withJsonValues(parsed, schema, root, depth, levels);
  }
  // Objects, arrays and unions nest values one level further in each (`levels`), as the schema
  // went out: a union at the bound went out as JSON text, and one a level short of it with its
  // object and array variants as JSON text.
  const union = unionVariants(schema, root);
  if (union && typeof value === "string" && depth > 0 && levels + 1 >= MAX_LEVELS) {
    return unionValue(value, schema, root, levels >= MAX_LEVELS);
  }
  const inner = levels + (union ? 2 : 1);
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : schema.oneOf;
  if (isRecord(value) && Array.isArray(variants) && !isRecord(schema.properties)) {
    // Each variant puts back only what it takes as structure; the one the value is reads it.
    const at = levels + (union ? 1 : 0);
    return variants.reduce(
      (v: unknown, variant) => withJsonValues(v, variant, root, depth, at),
      value,
    );
  }
  if (isRecord(value) && isRecord(schema.properties)) {
    let out: Record<string, unknown> | undefined;
    for (const [key, sub] of Object.entries(schema.properties)) {
      if (!(key in value)) continue;
      const next = withJsonValues(value[key], sub, root, depth + 1, inner);
      if (next !== value[key]) (out ??= { ...value })[key] = next;
    }
    return out ?? value;
  }
  if (Array.isArray(value) && schema.items !== undefined && !Array.isArray(schema.items)) {
    let changed = false;
    const items = value.map((item) => {
      const next = withJsonValues(item, schema.items, root, depth + 1, inner);
      if (next !== item) changed = true;
      return next;
    });
    return changed ? items : value;
  }
  return value;
}
