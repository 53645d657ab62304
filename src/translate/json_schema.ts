/**
 * Reading JSON Schema as tool schemas write it, for the translations that rewrite it (Gemini's
 * OpenAPI subset, Moonshot's checked subset): local references (`#/$defs/Name`, as Pydantic and
 * zod write them) and the type an `enum` implies.
 */

import { isRecord, type JsonObject } from "../core/json.ts";

/** The node `ref` points to inside `root`, or undefined (a remote or broken reference). */
export function resolveRef(ref: string, root: JsonObject): JsonObject | undefined {
  if (!ref.startsWith("#")) return undefined; // remote references cannot be fetched
  let node: unknown = root;
  for (const raw of ref.slice(1).split("/").filter(Boolean)) {
    if (!isRecord(node)) return undefined;
    const key = decoded(raw);
    if (key === undefined) return undefined;
    node = node[key.replaceAll("~1", "/").replaceAll("~0", "~")];
  }
  return isRecord(node) ? node : undefined;
}

/** A reference token without its percent-encoding; undefined when that encoding is broken. */
function decoded(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The JSON Schema type all of `values` have; undefined when there are none or they differ. */
export function enumType(
  values: readonly unknown[],
): "string" | "integer" | "number" | "boolean" | undefined {
  if (values.length === 0) return undefined;
  if (values.every((v) => typeof v === "string")) return "string";
  if (values.every((v) => Number.isInteger(v))) return "integer";
  if (values.every((v) => typeof v === "number")) return "number";
  if (values.every((v) => typeof v === "boolean")) return "boolean";
  return undefined;
}

/**
 * The JSON Schema types of `values`, each once (integers under `number` when both occur); undefined
 * when a value is an object or an array.
 */
export function enumTypes(values: readonly unknown[]): string[] | undefined {
  const types = new Set<string>();
  for (const v of values) {
    if (v === null) types.add("null");
    else if (Number.isInteger(v)) types.add("integer");
    else if (typeof v === "number") types.add("number");
    else if (typeof v === "string" || typeof v === "boolean") types.add(typeof v);
    else return undefined;
  }
  if (types.has("number")) types.delete("integer");
  return [...types];
}
