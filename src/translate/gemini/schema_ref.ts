/** Local JSON Schema references (`#/$defs/Name`), as tool schemas written by Pydantic use them. */

import { isRecord } from "../../core/json.ts";
import type { JsonObject } from "../../protocols/gemini.ts";

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
