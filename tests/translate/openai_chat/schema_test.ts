/** Tool schemas → Chat Completions parameters: keywords dropped where they are keywords only. */

import assert from "node:assert/strict";
import { toFunctionParameters } from "../../../src/translate/openai_chat/schema.ts";
import type { JsonObject } from "../../../src/protocols/openai_chat.ts";

// The shape Claude Code's tool schemas have (draft-07, `additionalProperties: false`, nesting).
const schema = (): JsonObject => ({
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    path: { type: "string", format: "uri", description: "where" },
    edits: {
      type: "array",
      items: {
        type: "object",
        properties: { old: { type: "string" }, format: { type: "string" } },
        required: ["old"],
        additionalProperties: false,
      },
    },
    mode: { anyOf: [{ const: "a" }, { type: "string", format: "date" }] },
  },
  required: ["path"],
  additionalProperties: false,
});

Deno.test("dropped keywords go at every depth; a property named like one stays", () => {
  const out = toFunctionParameters(schema(), ["$schema", "format"]);
  assert.deepEqual(out, {
    type: "object",
    properties: {
      path: { type: "string", description: "where" },
      edits: {
        type: "array",
        items: {
          type: "object",
          properties: { old: { type: "string" }, format: { type: "string" } },
          required: ["old"],
          additionalProperties: false,
        },
      },
      mode: { anyOf: [{ const: "a" }, { type: "string" }] },
    },
    required: ["path"],
    additionalProperties: false,
  });
  // Key order is kept, so the upstream sees the schema as the client wrote it.
  assert.deepEqual(Object.keys(out), ["type", "properties", "required", "additionalProperties"]);
});

Deno.test("the client's schema is never changed, and parts needing no cleaning are shared", () => {
  const input = schema();
  const before = structuredClone(input);
  const out = toFunctionParameters(input, ["$schema"]);
  assert.deepEqual(input, before);
  assert.equal(out.$schema, undefined);
  assert.notEqual(out, input);
  assert.equal(out.properties, input.properties, "nothing to drop below the top: not copied");
  // Nothing to drop at all: the schema itself.
  const clean = { type: "object", properties: { a: { type: "string" } } };
  assert.equal(toFunctionParameters(clean, ["$schema"]), clean);
  // Completed (type, properties) on a copy, never on the client's object.
  const bare: JsonObject = {};
  assert.deepEqual(toFunctionParameters(bare, []), { type: "object", properties: {} });
  assert.deepEqual(bare, {});
  const untyped: JsonObject = { properties: { a: {} } };
  assert.deepEqual(toFunctionParameters(untyped, []), { properties: { a: {} }, type: "object" });
  assert.deepEqual(untyped, { properties: { a: {} } });
  assert.deepEqual(toFunctionParameters(undefined, ["$schema"]), {
    type: "object",
    properties: {},
  });
});
