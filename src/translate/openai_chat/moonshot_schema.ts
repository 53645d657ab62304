/**
 * Tool parameters for Moonshot's own API (Kimi). It checks each tool schema against its own
 * subset of JSON Schema and answers 400 "tools.function.parameters is not a valid moonshot
 * flavored json schema" for shapes other APIs take and MCP servers send:
 *
 * - `type` beside `anyOf` ("type should be defined in anyOf items instead of the parent schema"):
 *   the type moves into each branch that has none;
 * - `type` or other keywords beside `$ref`, and any `$ref` not into the root's `$defs` (zod's
 *   `#/properties/...` reuse, draft-07's `#/definitions/...`): the referenced schema is inlined, a
 *   recursive one left as a bare reference into `$defs` or as any value;
 * - `required` names no property defines ("required property ... is not defined in properties"):
 *   they are left out;
 * - a property whose schema is `true` or `false` ("property schema ... must be an object"): `{}`,
 *   or no property at all;
 * - `enum` without `type` ("type is not defined"): the type of its values, or the list of their
 *   types when they differ;
 * - tuple `items: [A, B]` ("items must be an object"): `items: {anyOf: [A, B]}`.
 *
 * Claude Code's own tools pass unchanged, and so does any schema without these shapes (the same
 * object, not a copy).
 */

import { isRecord, setOwn } from "../../core/json.ts";
import type { JsonObject } from "../../protocols/openai_chat.ts";
import { enumType, enumTypes, resolveRef } from "../json_schema.ts";

const DEFS_REF = "#/$defs/";

/** Keywords whose value is one subschema, besides `items` and `additionalProperties`. */
const SUBSCHEMA_KEYWORDS = ["not", "if", "then", "else", "contains", "propertyNames"];
/** Keywords whose value is a list of subschemas. */
const SUBSCHEMA_LIST_KEYWORDS = ["anyOf", "oneOf", "allOf"];

/** Tool parameters Moonshot's check takes, for parameters already cleaned for Chat Completions. */
export function moonshotParameters(schema: JsonObject): JsonObject {
  if (!needsRewrite(schema, true)) return schema;
  const out = rewrite(schema, { root: schema, refs: [], written: { nodes: 0 } });
  return isRecord(out) ? out : schema;
}

/**
 * Schema nodes one tool's parameters may be rewritten into before references stop being inlined:
 * definitions that each refer to the next several times grow exponentially when inlined.
 */
const MAX_NODES = 1000;

interface Ctx {
  readonly root: JsonObject;
  /** References being inlined on the current path (cycle guard). */
  readonly refs: readonly string[];
  /** Nodes rewritten so far for this schema, shared by every path. */
  readonly written: { nodes: number };
}

function inlining(ctx: Ctx, ref: string): Ctx {
  return { root: ctx.root, refs: [...ctx.refs, ref], written: ctx.written };
}

function needsRewrite(node: unknown, isRoot = false): boolean {
  if (Array.isArray(node)) return node.some((n) => needsRewrite(n));
  if (!isRecord(node)) return false;
  if (typeof node.$ref === "string") {
    if (!node.$ref.startsWith(DEFS_REF) && node.$ref !== "#") return true;
    if (Object.keys(node).length > 1 && !isRoot) return true;
  }
  if (node.type !== undefined && Array.isArray(node.anyOf)) return true;
  if (Array.isArray(node.enum) && node.type === undefined) return true;
  if (Array.isArray(node.items) || typeof node.items === "boolean") return true;
  const properties = isRecord(node.properties) ? node.properties : {};
  if (
    Array.isArray(node.required) && node.required.some((n) => !Object.hasOwn(properties, String(n)))
  ) {
    return true;
  }
  for (const name in properties) {
    const sub = properties[name];
    if (!isRecord(sub) || needsRewrite(sub)) return true;
  }
  if (isRecord(node.$defs) && Object.values(node.$defs).some((d) => needsRewrite(d))) return true;
  return ["items", "additionalProperties", ...SUBSCHEMA_KEYWORDS, ...SUBSCHEMA_LIST_KEYWORDS].some((
    k,
  ) => needsRewrite(node[k]));
}

function rewrite(node: unknown, ctx: Ctx): unknown {
  if (node === true || node === false) return {};
  if (!isRecord(node)) return node;
  ctx.written.nodes++;
  if (typeof node.$ref === "string" && node !== ctx.root) return inlineRef(node, node.$ref, ctx);
  const out: JsonObject = {};
  for (const key in node) {
    const value = node[key];
    if (key === "properties" && isRecord(value)) out.properties = rewriteProperties(value, ctx);
    else if (key === "$defs" && isRecord(value)) {
      // A definition that refers to itself keeps the reference (inlining would unroll it).
      out.$defs = Object.fromEntries(
        Object.entries(value).map((
          [name, sub],
        ) => [name, rewrite(sub, inlining(ctx, DEFS_REF + name))]),
      );
    } else if (key === "items") {
      out.items = Array.isArray(value)
        ? { anyOf: value.map((v) => rewrite(v, ctx)) }
        : rewrite(value, ctx);
    } else if (key === "additionalProperties" || SUBSCHEMA_KEYWORDS.includes(key)) {
      setOwn(out, key, typeof value === "boolean" ? value : rewrite(value, ctx));
    } else if (SUBSCHEMA_LIST_KEYWORDS.includes(key) && Array.isArray(value)) {
      setOwn(out, key, value.map((v) => rewrite(v, ctx)));
    } else setOwn(out, key, value);
  }
  if (out.type !== undefined && Array.isArray(out.anyOf)) {
    const type = out.type;
    delete out.type;
    // A branch that is a reference or a union of its own takes its type from there.
    out.anyOf = out.anyOf.map((b) =>
      isRecord(b) && b.type === undefined && b.$ref === undefined && b.anyOf === undefined
        ? { type, ...b }
        : b
    );
  }
  if (Array.isArray(out.enum) && out.type === undefined) {
    // Values of several types (`["low", 2, null]`) take the list of their types.
    const type = enumType(out.enum) ?? enumTypes(out.enum);
    if (type) out.type = type;
  }
  if (Array.isArray(out.required)) {
    const properties = isRecord(out.properties) ? out.properties : {};
    const required = out.required.filter((n) =>
      typeof n === "string" && Object.hasOwn(properties, n)
    );
    if (required.length > 0) out.required = required;
    else delete out.required;
  }
  return out;
}

function rewriteProperties(properties: JsonObject, ctx: Ctx): JsonObject {
  const out: JsonObject = {};
  for (const name in properties) {
    // `false` allows no value: a property that can never be given is no property.
    if (properties[name] !== false) setOwn(out, name, rewrite(properties[name], ctx));
  }
  return out;
}

/**
 * The node standing for `{$ref, ...siblings}`: a plain reference into `$defs` stays; any other is
 * the referenced schema with the siblings over it (the type only from the target), or, when the
 * reference is recursive, cannot be resolved or comes once the schema is past a thousand nodes, a
 * bare reference into `$defs` or any value.
 */
function inlineRef(node: JsonObject, ref: string, ctx: Ctx): unknown {
  const { $ref: _ref, type: _type, ...siblings } = node;
  const intoDefs = ref.startsWith(DEFS_REF) && resolveRef(ref, ctx.root) !== undefined;
  if (intoDefs && Object.keys(siblings).length === 0) return { $ref: ref };
  if (ref === "#" && Object.keys(siblings).length === 0) return { $ref: ref };
  const inline = !ctx.refs.includes(ref) && ctx.written.nodes <= MAX_NODES;
  let target = inline ? resolveRef(ref, ctx.root) : undefined;
  if (!target) return intoDefs ? { $ref: ref } : rewriteSiblings(siblings, ctx);
  if (target === ctx.root) {
    // The whole schema again, without what only its root may hold.
    const { $defs: _defs, $schema: _schema, $id: _id, ...rest } = target;
    target = rest;
  }
  return rewrite({ ...target, ...siblings }, inlining(ctx, ref));
}

function rewriteSiblings(siblings: JsonObject, ctx: Ctx): JsonObject {
  const out = rewrite(siblings, ctx);
  return isRecord(out) ? out : {};
}
