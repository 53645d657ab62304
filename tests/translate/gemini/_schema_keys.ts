/** Asserts that a schema ccp wrote for Gemini holds only keys Gemini's Schema object knows. */

import assert from "node:assert/strict";

/** The keys ccp writes into a Gemini schema, all of them keys Gemini's Schema object knows. */
const ALLOWED = new Set([
  "type",
  "format",
  "description",
  "nullable",
  "enum",
  "items",
  "minItems",
  "maxItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "anyOf",
]);

export function assertOnlyGeminiKeys(schema: unknown, path = "$"): void {
  if (typeof schema !== "object" || schema === null) return;
  for (const [key, value] of Object.entries(schema)) {
    assert.ok(ALLOWED.has(key), `${path}.${key} is not a Gemini Schema field`);
    if (key === "properties") {
      for (const [name, sub] of Object.entries(value as object)) {
        assertOnlyGeminiKeys(sub, `${path}.properties.${name}`);
      }
    } else if (key === "items") assertOnlyGeminiKeys(value, `${path}.items`);
    else if (key === "anyOf") {
      (value as unknown[]).forEach((v, i) => assertOnlyGeminiKeys(v, `${path}.anyOf[${i}]`));
    }
  }
}
