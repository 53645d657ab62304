/**
 * A tool's input schema → Gemini function parameters: an OBJECT with properties only, a root
 * union flattened, and nesting cut where it would recurse for ever.
 */

import assert from "node:assert/strict";
import { toGeminiParameters } from "../../../src/translate/gemini/schema.ts";
import { fanOutSchema } from "../../fixtures/mcp/tool_schemas.ts";
import { assertOnlyGeminiKeys } from "./_schema_keys.ts";

Deno.test("function parameters: object schemas with properties only", async (t) => {
  await t.step("no schema, empty object schema → no parameters", () => {
    assert.equal(toGeminiParameters(undefined), undefined);
    assert.equal(
      toGeminiParameters({
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "object",
        properties: {},
        additionalProperties: false,
      }),
      undefined,
    );
  });
  await t.step("a normal tool schema is an OBJECT", () => {
    assert.deepEqual(
      toGeminiParameters({
        type: "object",
        properties: { command: { type: "string" } },
        required: ["command"],
      }),
      { type: "OBJECT", properties: { command: { type: "STRING" } }, required: ["command"] },
    );
  });
  await t.step("a root union of objects is flattened; required where every variant agrees", () => {
    assert.deepEqual(
      toGeminiParameters({
        oneOf: [
          {
            type: "object",
            properties: { id: { type: "string" }, a: { type: "number" } },
            required: ["id", "a"],
          },
          {
            type: "object",
            properties: { id: { type: "string" }, b: { type: "boolean" } },
            required: ["id"],
          },
        ],
      }),
      {
        type: "OBJECT",
        properties: { id: { type: "STRING" }, a: { type: "NUMBER" }, b: { type: "BOOLEAN" } },
        required: ["id"],
      },
    );
  });
  await t.step("references that fan out stop being inlined past a size bound", () => {
    const out = toGeminiParameters(fanOutSchema(20, 4));
    assert.ok(out);
    assertOnlyGeminiKeys(out);
    const size = JSON.stringify(out).length;
    assert.ok(size < 64_000, `${size} characters`);
    // The first references are still inlined.
    assert.equal(out.properties?.root?.properties?.p0?.type, "OBJECT");
    assert.ok(out.properties?.root?.properties?.p0?.properties);
  });
  await t.step("past the bound, a definition without references is still written out", () => {
    // A large tool (Pydantic: a thousand fields) whose last field is an enum class of its own.
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 1200; i++) properties[`f${i}`] = { type: "string" };
    properties.color = { $ref: "#/$defs/Color", description: "The colour" };
    properties.more = { $ref: "#/$defs/More" };
    const out = toGeminiParameters({
      type: "object",
      properties,
      $defs: {
        Color: { type: "string", enum: ["red", "green"] },
        More: { type: "object", properties: { color: { $ref: "#/$defs/Color" } } },
      },
    });
    assert.deepEqual(out?.properties?.color, {
      type: "STRING",
      enum: ["red", "green"],
      description: "The colour",
    });
    // One that refers on is asked for as JSON text (that is what fans out).
    assert.equal(out?.properties?.more?.type, "STRING");
    assert.match(out?.properties?.more?.description ?? "", /written as JSON text.*"color"/);
  });
  await t.step("deep nesting is cut instead of recursing forever", () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 60; i++) schema = { type: "object", properties: { n: schema } };
    const out = toGeminiParameters(schema);
    assert.equal(out?.type, "OBJECT");
    assertOnlyGeminiKeys(out);
  });
});
