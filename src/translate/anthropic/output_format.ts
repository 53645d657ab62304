/**
 * Structured output: `output_config.format: {type: "json_schema", schema}` asks for an answer
 * that is JSON matching the schema. Claude Code uses it for side requests such as the session
 * title (`{"title": ...}`); an upstream never told about it may answer in prose, which Claude
 * Code cannot parse, so each translation passes the schema on in its own API's terms.
 */

import type { MessagesRequest } from "../../protocols/anthropic.ts";
import type { JsonObject } from "../../core/json.ts";

/** The JSON schema the client's answer must follow, when it asked for one. */
export function requestedJsonSchema(req: MessagesRequest): JsonObject | undefined {
  const format = req.output_config?.format as { type?: unknown; schema?: unknown } | undefined;
  if (format?.type !== "json_schema") return undefined;
  const schema = format.schema;
  return typeof schema === "object" && schema !== null && !Array.isArray(schema)
    ? schema as JsonObject
    : undefined;
}

/** Name given to the schema where an API requires one (OpenAI's `json_schema.name`). */
export const OUTPUT_SCHEMA_NAME = "output";
