/**
 * Tool `input_schema` (JSON Schema 2020-12, as Claude Code sends it) -> the OpenAPI 3.0
 * subset Gemini accepts for function parameters.
 * An allow-list, not a deny-list: Gemini answers 400 "Unknown name" for any keyword it
 * does not know (`$schema`, `additionalProperties`, `propertyNames`, private keys...), so
 * only the fields below are ever written:
 *
 * - `$ref` to a local `$defs`/`definitions` entry is inlined (a recursive one, and a reference
 *   met once the schema is past a thousand nodes to a definition that refers on, is asked for as
 *   JSON text); `allOf` members are merged; `oneOf` is read as `anyOf`;
 * - `type: [T, "null"]`, a `null` enum value or a `{type: "null"}` variant -> `nullable`;
 *   several non-null types -> `anyOf`;
 * - `const` -> a one-value enum; enums of non-strings, or with an empty string, move into the
 *   description (Gemini's `enum` holds non-empty strings only); `title` becomes the description
 *   when there is none;
 * - `exclusiveMinimum`/`exclusiveMaximum` become `minimum`/`maximum` (the next whole number on
 *   integers);
 * - `format` is kept only where Gemini documents it: `enum`/`date-time` on strings,
 *   `float`/`double` on numbers, `int32`/`int64` on integers;
 * - an object keeps only non-empty `properties` (Gemini rejects `properties: {}`: "should be
 *   non-empty for OBJECT type") and `required` names that exist; an array always has `items`;
 * - a schema that allows any value (`{}`, `true`) or any object (a map: `additionalProperties`
 *   with a schema) becomes a string asking for JSON text, which json_args.ts turns back into the
 *   value in the model's calls;
 * - a root union of objects is flattened into one object (Gemini wants an OBJECT root);
 * - nesting, enums and length limits stay within what Gemini serves (schema_limits.ts).
 */

import { isRecord, ownValue, setOwn } from "../../core/json.ts";
import {
  isAnyValueSchema,
  isFreeFormObject,
  JSON_TEXT_NOTE,
  OBJECT_TEXT_NOTE,
} from "./json_args.ts";
import { enumType, resolveRef } from "../json_schema.ts";
import { enumFits, jsonTextSchema, MAX_COUNT, MAX_LEVELS, sameShapeText } from "./schema_limits.ts";
import type { GeminiSchema, GeminiType, JsonObject } from "../../protocols/gemini.ts";

const TYPES: Readonly<Record<string, GeminiType>> = {
  string: "STRING",
  number: "NUMBER",
  integer: "INTEGER",
  boolean: "BOOLEAN",
  array: "ARRAY",
  object: "OBJECT",
};

const FORMATS: Readonly<Partial<Record<GeminiType, readonly string[]>>> = {
  STRING: ["enum", "date-time"],
  NUMBER: ["float", "double"],
  INTEGER: ["int32", "int64"],
};

/** Count keywords and the type they belong to. */
const COUNTS: ReadonlyArray<readonly [keyof GeminiSchema, GeminiType]> = [
  ["minItems", "ARRAY"],
  ["maxItems", "ARRAY"],
  ["minProperties", "OBJECT"],
  ["maxProperties", "OBJECT"],
  ["minLength", "STRING"],
  ["maxLength", "STRING"],
];

/** Keywords that make a union variant a real alternative rather than a constraint. */
const SHAPE_KEYS = ["type", "properties", "items", "enum", "const", "$ref", "anyOf", "oneOf"];

const MAX_DEPTH = 32;
/**
 * Schema nodes one tool's parameters may be written with before references stop being inlined:
 * definitions that each refer to the next several times grow exponentially when inlined (a few
 * KB of `$defs` became megabytes, and minutes of work on every request).
 */
const MAX_NODES = 1000;
/**
 * Past {@link MAX_NODES}, a reference to a definition that refers to nothing further (an enum
 * class, a string with a format) is still written out, up to this many nodes: it cannot fan out,
 * and quoted for JSON text a plain field would cost the model a needless round of JSON.
 */
const MAX_LEAF_NODES = 2 * MAX_NODES;

// Whether a definition refers on, for each one asked about once.
const refersOn = new WeakMap<JsonObject, boolean>();

function holdsRef(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(holdsRef);
  if (!isRecord(node)) return false;
  let known = refersOn.get(node);
  if (known === undefined) {
    known = "$ref" in node || Object.values(node).some(holdsRef);
    refersOn.set(node, known);
  }
  return known;
}

/** Whether the reference to `target` is inlined, `nodes` having been written so far. */
function inlines(target: JsonObject, nodes: number): boolean {
  return nodes <= MAX_NODES || (nodes <= MAX_LEAF_NODES && !holdsRef(target));
}

interface Ctx {
  readonly root: JsonObject;
  /** `$ref`s being expanded on the current path (cycle guard). */
  readonly refs: readonly string[];
  readonly depth: number;
  /** Objects, arrays and unions the node is nested in. */
  readonly levels: number;
  /** Nodes converted and enum values listed so far for this schema, shared by every path. */
  readonly written: { nodes: number; enumValues: number; quoted: number };
}

function deeper(ctx: Ctx, ref?: string): Ctx {
  const refs = ref ? [...ctx.refs, ref] : ctx.refs;
  return { ...ctx, refs, depth: ctx.depth + 1 };
}

/** The context of a node one object, array or union further in. */
function inside(ctx: Ctx): Ctx {
  return { ...ctx, depth: ctx.depth + 1, levels: ctx.levels + 1 };
}

function describe(raw: JsonObject): string | undefined {
  if (typeof raw.description === "string" && raw.description) return raw.description;
  return typeof raw.title === "string" && raw.title ? raw.title : undefined;
}

/**
 * Merges `allOf` members into `base`: properties and required are united, base keys win. A member
 * that refers to a definition is written out as a `$ref` is, and the definitions written out are
 * returned for the cycle guard: one the path is already inside, or one past the size bound, stays
 * a reference (asked for as JSON text), as older pydantic's `allOf: [{$ref}]` field of a recursive
 * model otherwise expanded to the nesting bound at every property (hundreds of KB per tool).
 */
function mergeAllOf(
  base: JsonObject,
  members: unknown[],
  ctx: Ctx,
): { merged: JsonObject; refs: string[] } {
  const out: JsonObject = { ...base };
  const properties: JsonObject = isRecord(base.properties) ? { ...base.properties } : {};
  const required = new Set(Array.isArray(base.required) ? base.required : []);
  const refs: string[] = [];
  for (const item of members) {
    let member = isRecord(item) ? item : {};
    if (typeof member.$ref === "string" && !ctx.refs.includes(member.$ref)) {
      const target = resolveRef(member.$ref, ctx.root);
      if (!target || inlines(target, ctx.written.nodes)) {
        if (target) refs.push(member.$ref);
        member = { ...target, ...member, $ref: undefined };
      }
    }
    for (const [key, value] of Object.entries(member)) {
      if (key === "properties" && isRecord(value)) {
        for (const [name, sub] of Object.entries(value)) {
          if (!Object.hasOwn(properties, name)) setOwn(properties, name, sub);
        }
      } else if (key === "required" && Array.isArray(value)) {
        for (const name of value) required.add(name);
      } else if (value !== undefined && ownValue(out, key) === undefined) setOwn(out, key, value);
    }
  }
  if (Object.keys(properties).length > 0) out.properties = properties;
  if (required.size > 0) out.required = [...required];
  return { merged: out, refs };
}

function withNotes(schema: GeminiSchema, description: string | undefined, nullable: boolean) {
  if (description && !schema.description) schema.description = description;
  if (nullable) schema.nullable = true;
  return schema;
}

function union(raw: JsonObject, variants: unknown[], ctx: Ctx): GeminiSchema | undefined {
  let nullable = raw.nullable === true;
  const real = variants.filter((v) => !(isRecord(v) && v.type === "null"));
  if (real.length < variants.length) nullable = true;
  if (real.length > 1 && ctx.levels >= MAX_LEVELS) {
    return jsonTextSchema(raw, ctx.root, describe(raw), nullable, ctx.written);
  }
  const out: GeminiSchema[] = [];
  for (const variant of real) {
    const converted = convert(variant, real.length > 1 ? inside(ctx) : deeper(ctx));
    if (converted) out.push(converted);
  }
  if (out.length === 0) return withNotes({ type: "STRING" }, describe(raw), nullable);
  if (out.length === 1) return withNotes({ ...out[0] }, describe(raw), nullable);
  return withNotes({ anyOf: out }, describe(raw), nullable);
}

function inferType(raw: JsonObject, values: unknown[] | undefined): GeminiType {
  if (isRecord(raw.properties)) return "OBJECT";
  if (raw.items !== undefined || raw.prefixItems !== undefined) return "ARRAY";
  const type = values ? enumType(values) : undefined;
  return type ? (type.toUpperCase() as GeminiType) : "STRING";
}

function objectFields(out: GeminiSchema, raw: JsonObject, ctx: Ctx): void {
  if (!isRecord(raw.properties)) return;
  const properties: Record<string, GeminiSchema> = {};
  for (const [name, sub] of Object.entries(raw.properties)) {
    const converted = convert(sub, inside(ctx));
    if (converted) setOwn(properties, name, converted);
  }
  if (Object.keys(properties).length === 0) return;
  out.properties = properties;
  const required = Array.isArray(raw.required)
    ? raw.required.filter((n): n is string => typeof n === "string" && Object.hasOwn(properties, n))
    : [];
  if (required.length > 0) out.required = [...new Set(required)];
}

function arrayItems(raw: JsonObject, ctx: Ctx): GeminiSchema {
  // Tuples (`prefixItems`, old-style `items: [..]`) have no Gemini form: the first item stands in.
  const source = Array.isArray(raw.items)
    ? raw.items[0]
    : raw.items ?? (Array.isArray(raw.prefixItems) ? raw.prefixItems[0] : undefined);
  // No item schema: strings, as the parameter's own description can only explain.
  if (source === undefined) return { type: "STRING" };
  return convert(source, inside(ctx)) ?? { type: "STRING" };
}

function plain(raw: JsonObject, ctx: Ctx): GeminiSchema | undefined {
  let nullable = raw.nullable === true;
  let types = (Array.isArray(raw.type) ? raw.type : raw.type === undefined ? [] : [raw.type])
    .filter((t): t is string => typeof t === "string");
  if (types.includes("null")) nullable = true;
  types = types.filter((t) => Object.hasOwn(TYPES, t));
  if (types.length > 1) {
    if (ctx.levels >= MAX_LEVELS) {
      return jsonTextSchema(raw, ctx.root, describe(raw), nullable, ctx.written);
    }
    const { description: _d, title: _t, ...rest } = raw;
    const anyOf = types.flatMap((t) => convert({ ...rest, type: t }, inside(ctx)) ?? []);
    return withNotes({ anyOf }, describe(raw), nullable);
  }
  let values = Array.isArray(raw.enum) ? raw.enum : "const" in raw ? [raw.const] : undefined;
  if (values?.includes(null)) nullable = true;
  values = values?.filter((v) => v !== null);
  const type = types[0] ? TYPES[types[0]]! : inferType(raw, values);
  let description = describe(raw);
  if (type === "OBJECT" && isFreeFormObject({ ...raw, type: "object" })) {
    description = description ? `${description}\n${OBJECT_TEXT_NOTE}` : OBJECT_TEXT_NOTE;
    return withNotes({ type: "STRING", description }, undefined, nullable);
  }
  // An object or array nested too deep for Gemini goes as JSON text.
  if ((type === "OBJECT" || type === "ARRAY") && ctx.levels >= MAX_LEVELS) {
    return jsonTextSchema(raw, ctx.root, description, nullable, ctx.written);
  }
  const out: GeminiSchema = { type };
  if (isAnyValueSchema(raw)) {
    description = description ? `${description}\n${JSON_TEXT_NOTE}` : JSON_TEXT_NOTE;
  }
  if (values && values.length > 0) {
    // Gemini refuses an empty string in `enum` ("cannot be empty"): such a list is written out.
    // A long list makes too many states for Gemini's decoder: it is written out too.
    if (
      type === "STRING" && values.every((v) => typeof v === "string" && v !== "") &&
      enumFits(values.length, ctx.written.enumValues)
    ) {
      out.enum = values;
      ctx.written.enumValues += values.length;
    } else {
      const note = `Allowed values: ${values.map((v) => JSON.stringify(v)).join(", ")}`;
      description = description ? `${description}\n${note}` : note;
    }
  }
  if (description) out.description = description;
  if (typeof raw.format === "string" && FORMATS[type]?.includes(raw.format)) {
    out.format = raw.format;
  }
  if (nullable) out.nullable = true;
  if (type === "OBJECT") objectFields(out, raw, ctx);
  if (type === "ARRAY") out.items = arrayItems(raw, ctx);
  for (const [key, owner] of COUNTS) {
    const n = raw[key];
    if (owner !== type || !Number.isInteger(n) || (n as number) < 0) continue;
    // A long limit is many states too (each length is one): the model reads it instead.
    if ((n as number) <= MAX_COUNT) (out as Record<string, unknown>)[key] = n;
    else out.description = `${out.description ? `${out.description}\n` : ""}${key}: ${n}`;
  }
  if (type === "NUMBER" || type === "INTEGER") {
    if (typeof raw.minimum === "number") out.minimum = raw.minimum;
    if (typeof raw.maximum === "number") out.maximum = raw.maximum;
    // Gemini has no exclusive bounds: on integers the next whole number is the same bound
    // (Claude Code's Read `limit` is `exclusiveMinimum: 0`); on numbers the bound itself is kept.
    const step = type === "INTEGER" ? 1 : 0;
    if (typeof raw.exclusiveMinimum === "number" && out.minimum === undefined) {
      out.minimum = type === "INTEGER"
        ? Math.floor(raw.exclusiveMinimum) + step
        : raw.exclusiveMinimum;
    }
    if (typeof raw.exclusiveMaximum === "number" && out.maximum === undefined) {
      out.maximum = type === "INTEGER"
        ? Math.ceil(raw.exclusiveMaximum) - step
        : raw.exclusiveMaximum;
    }
  }
  return out;
}

function convert(node: unknown, ctx: Ctx): GeminiSchema | undefined {
  if (node === true) return { type: "STRING", description: JSON_TEXT_NOTE };
  if (!isRecord(node)) return undefined;
  if (ctx.depth > MAX_DEPTH) return withNotes({ type: "OBJECT" }, describe(node), false);
  ctx.written.nodes++;
  if (typeof node.$ref === "string") {
    const ref = node.$ref;
    const { $ref: _ref, ...siblings } = node;
    // A recursive reference is asked for as JSON text of the enclosing definition's shape.
    if (ctx.refs.includes(ref)) return sameShapeText(ref, describe(siblings));
    const target = resolveRef(ref, ctx.root);
    // An unresolvable reference stays a free-form object.
    if (!target) return withNotes({ type: "OBJECT" }, describe(siblings), false);
    // Past the size bound, a definition that refers on is quoted for JSON text rather than inlined.
    if (!inlines(target, ctx.written.nodes)) {
      return jsonTextSchema(
        { ...target, ...siblings },
        ctx.root,
        describe(siblings),
        false,
        ctx.written,
      );
    }
    return convert({ ...target, ...siblings }, deeper(ctx, ref));
  }
  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    const { merged, refs } = mergeAllOf(rest, allOf, ctx);
    return convert(merged, { ...deeper(ctx), refs: [...ctx.refs, ...refs] });
  }
  const variants = Array.isArray(node.anyOf) ? node.anyOf : node.oneOf;
  // A union on a node that has its own type/properties only constrains it: keep the node.
  if (Array.isArray(variants) && node.type === undefined && !isRecord(node.properties)) {
    const real = variants.some((v) => isRecord(v) && SHAPE_KEYS.some((k) => k in v));
    if (real) return union(node, variants, ctx);
  }
  return plain(node, ctx);
}

/** Converts one JSON Schema node; `undefined` for a schema nothing can satisfy (`false`). */
export function toGeminiSchema(schema: unknown): GeminiSchema | undefined {
  const root = isRecord(schema) ? schema : {};
  return convert(schema, {
    root,
    refs: [],
    depth: 0,
    levels: 0,
    written: { nodes: 0, enumValues: 0, quoted: 0 },
  });
}

/** A root union of objects as one object: every property, required where all variants agree. */
function mergeObjectVariants(root: GeminiSchema): GeminiSchema {
  const objects = root.anyOf?.filter((v) => v.type === "OBJECT") ?? [];
  if (objects.length === 0 || objects.length !== root.anyOf?.length) return root;
  const properties: Record<string, GeminiSchema> = {};
  for (const v of objects) {
    for (const [k, p] of Object.entries(v.properties ?? {})) {
      if (!Object.hasOwn(properties, k)) setOwn(properties, k, p);
    }
  }
  const required = Object.keys(properties).filter((k) =>
    objects.every((v) => v.required?.includes(k))
  );
  return {
    type: "OBJECT",
    ...(root.description ? { description: root.description } : {}),
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}

/**
 * Function `parameters` for Gemini: an OBJECT schema with at least one property, or
 * `undefined` when the tool takes no arguments (Gemini rejects an empty object schema).
 */
export function toGeminiParameters(schema: JsonObject | undefined): GeminiSchema | undefined {
  if (!schema) return undefined;
  let converted = toGeminiSchema(schema);
  // Gemini wants an OBJECT at the root; a union of objects is flattened into one.
  if (converted?.anyOf) converted = mergeObjectVariants(converted);
  return converted?.type === "OBJECT" && converted.properties ? converted : undefined;
}
