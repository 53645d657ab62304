/**
 * Tool `input_schema` -> Chat Completions `parameters`, removing JSON-Schema keywords a
 * provider rejects (see schema_keywords.ts).
 */

import { isRecord } from "../../core/json.ts";
import { cleanNode, dropSet } from "../../core/schema_keywords.ts";
import type { JsonObject } from "../../protocols/openai_chat.ts";

/**
 * Cleans a tool schema for a provider; the result is always an object schema
 * (`{}` or a missing schema becomes `{type: "object", properties: {}}`). The schema given is
 * never changed; parts of it that need no cleaning are shared with the result.
 */
export function toFunctionParameters(
  schema: JsonObject | undefined,
  dropKeys: readonly string[],
): JsonObject {
  const cleaned = cleanNode(schema ?? {}, dropSet(dropKeys));
  let out: JsonObject = isRecord(cleaned) ? cleaned : {};
  const completed = out.type === undefined ||
    (out.type === "object" && out.properties === undefined);
  if (completed && out === schema) out = { ...out };
  if (out.type === undefined) out.type = "object";
  if (out.type === "object" && out.properties === undefined) out.properties = {};
  return out;
}
