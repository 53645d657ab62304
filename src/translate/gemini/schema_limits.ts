/**
 * What keeps a tool's parameters within what Gemini serves. Gemini refuses a declaration that
 * "exceeds the maximum allowed nesting depth", or whose schema "produces a constraint that has too
 * many states for serving" (its decoder expands the schema; enums with many values, long length
 * limits and deep nesting make it large). It publishes no numbers, only that very large or deeply
 * nested schemas may be refused, so the bounds below keep every tool Claude Code itself sends as
 * it is and give way only on what goes well past them.
 *
 * What goes past them is not dropped: a subtree nested too deep, or a recursive reference, is
 * asked for as JSON text, with its JSON Schema in the description, and json_args.ts turns the text
 * the model writes back into the object or array before the client sees the call. Enum values and
 * length limits past the bounds move into the description.
 */

import { isRecord, type JsonObject } from "../../core/json.ts";
import { resolveRef } from "../json_schema.ts";
import type { GeminiSchema } from "../../protocols/gemini.ts";

/**
 * Objects, arrays and unions a value may nest in; deeper ones go as JSON text. Five keeps Claude
 * Code's own tools whole (AskUserQuestion nests five: questions, a question, its options).
 */
export const MAX_LEVELS = 5;
/** Values one enum may list; a longer list is written in the description. */
const MAX_ENUM_VALUES = 64;
/** Enum values one declaration may list in all; past it, further lists go in descriptions. */
const ENUM_BUDGET = 256;
/** Largest length or count limit kept as a constraint; a larger one is written in the description. */
export const MAX_COUNT = 100;

/** Characters of JSON Schema a JSON text parameter's description may quote. */
const HINT_CHARS = 1500;
/** Characters of JSON Schema one declaration may quote in all, so many cuts cannot blow it up. */
const QUOTE_BUDGET = 8000;
/** Nodes of a subtree copied into that quote. */
const HINT_NODES = 200;

const DROPPED_KEYS = new Set(["$schema", "$defs", "definitions", "$id", "$comment"]);

/** `node` with its local references written out (a cycle names its target instead), bounded. */
function inlined(
  node: unknown,
  root: JsonObject,
  refs: string[],
  left: { nodes: number },
): unknown {
  if (Array.isArray(node)) return node.map((v) => inlined(v, root, refs, left));
  if (!isRecord(node)) return node;
  if (--left.nodes < 0) return {};
  if (typeof node.$ref === "string") {
    const { $ref, ...siblings } = node;
    const target = refs.includes($ref) ? undefined : resolveRef($ref, root);
    if (!target) return { ...siblings, description: `same shape as ${refName($ref)}` };
    return inlined({ ...target, ...siblings }, root, [...refs, $ref], left);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (!DROPPED_KEYS.has(key)) out[key] = inlined(value, root, refs, left);
  }
  return out;
}

/** The last segment of a local reference: the definition's name. */
function refName(ref: string): string {
  return ref.split("/").filter(Boolean).pop() ?? ref;
}

function kindOf(raw: JsonObject): string {
  const types = Array.isArray(raw.type) ? raw.type : [raw.type];
  if (types.includes("array") || raw.items !== undefined) return "array";
  if (types.includes("object") || isRecord(raw.properties)) return "object";
  return "value";
}

/**
 * A subtree asked for as JSON text: a STRING whose description keeps the node's own and quotes its
 * JSON Schema (or, when that is too long, names its properties).
 */
export function jsonTextSchema(
  raw: JsonObject,
  root: JsonObject,
  own: string | undefined,
  nullable: boolean,
  written: { quoted: number },
): GeminiSchema {
  const kind = kindOf(raw);
  const quoted = written.quoted < QUOTE_BUDGET
    ? JSON.stringify(inlined(raw, root, [], { nodes: HINT_NODES }))
    : "";
  const fits = quoted !== "" && quoted.length <= HINT_CHARS &&
    written.quoted + quoted.length <= QUOTE_BUDGET;
  if (fits) written.quoted += quoted.length;
  const names = isRecord(raw.properties) ? Object.keys(raw.properties) : [];
  const named = names.join(", ");
  const note = fits
    ? `A JSON ${kind}, written as JSON text, matching this JSON Schema: ${quoted}`
    : `A JSON ${kind}, written as JSON text${
      names.length === 0
        ? ""
        : ` (properties: ${named.length <= 200 ? named : `${named.slice(0, 200)}...`})`
    }.`;
  return {
    type: "STRING",
    description: own ? `${own}\n${note}` : note,
    ...(nullable ? { nullable: true } : {}),
  };
}

/** A recursive reference, asked for as JSON text of the definition an enclosing node already is. */
export function sameShapeText(ref: string, own: string | undefined): GeminiSchema {
  const note = `A JSON object of the same shape as ${
    refName(ref)
  } (the enclosing object), written as JSON text.`;
  return { type: "STRING", description: own ? `${own}\n${note}` : note };
}

/** Whether an enum of `count` values still fits, with `used` values listed so far. */
export function enumFits(count: number, used: number): boolean {
  return count <= MAX_ENUM_VALUES && used + count <= ENUM_BUDGET;
}
