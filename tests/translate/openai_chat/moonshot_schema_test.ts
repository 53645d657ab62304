import assert from "node:assert/strict";
import type { JsonObject } from "../../../src/protocols/openai_chat.ts";
import type { ToolDefinition } from "../../../src/protocols/anthropic.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { moonshotParameters } from "../../../src/translate/openai_chat/moonshot_schema.ts";
import { toOpenAIChatRequest } from "../../../src/translate/openai_chat/request.ts";
import { toFunctionParameters } from "../../../src/translate/openai_chat/schema.ts";
import { moonshotSchemaProblem } from "../../mocks/moonshot_strict.ts";
import { req } from "../_request.ts";

/** `schema` as an object schema with one property `p` of it. */
const prop = (schema: unknown, extra: JsonObject = {}): JsonObject => ({
  type: "object",
  properties: { p: schema as JsonObject },
  ...extra,
});

/**
 * Checks that Moonshot refuses `before` (unless `refused` is false), takes the rewrite, and the
 * rewrite is `after`.
 */
function rewrites(before: JsonObject, after: JsonObject, refused = true): void {
  if (refused) assert.ok(moonshotSchemaProblem(before), "Moonshot refuses the schema as it is");
  const copy = structuredClone(before);
  const out = moonshotParameters(before);
  assert.deepEqual(before, copy, "the schema given is not changed");
  assert.equal(moonshotSchemaProblem(out), undefined, JSON.stringify(out));
  assert.deepEqual(out, after);
}

Deno.test("Claude Code's own tool schemas reach Moonshot unchanged, as the same objects", async () => {
  const url = new URL("../../fixtures/claude_code/tool_schemas_2.1.332.json", import.meta.url);
  const tools = JSON.parse(await Deno.readTextFile(url)) as ToolDefinition[];
  assert.equal(tools.length, 23);
  for (const tool of tools) {
    const parameters = toFunctionParameters(tool.input_schema, ["$schema"]);
    assert.equal(moonshotSchemaProblem(parameters), undefined, tool.name);
    assert.equal(moonshotParameters(parameters), parameters, tool.name);
  }
});

Deno.test("type beside anyOf moves into the branches that have none", () => {
  rewrites(
    prop({ type: "string", anyOf: [{ pattern: "^a" }, { minLength: 8 }] }),
    prop({
      anyOf: [{ type: "string", pattern: "^a" }, { type: "string", minLength: 8 }],
    }),
  );
  // A branch with a type, a reference or a union of its own keeps what it has.
  const defs = { N: { type: "integer" } };
  rewrites(
    prop({
      type: "string",
      description: "d",
      anyOf: [{ type: "null" }, { $ref: "#/$defs/N" }, { anyOf: [{ type: "boolean" }] }],
    }, { $defs: defs }),
    prop({
      description: "d",
      anyOf: [{ type: "null" }, { $ref: "#/$defs/N" }, { anyOf: [{ type: "boolean" }] }],
    }, { $defs: defs }),
  );
});

Deno.test("references: bare ones into $defs stay, others are inlined", async (t) => {
  const Filter = { type: "object", properties: { f: { type: "string" } }, required: ["f"] };
  await t.step("keywords beside a $ref: the target with them over it, its type kept", () => {
    rewrites(
      prop({ type: "object", $ref: "#/$defs/Filter", description: "Main" }, {
        $defs: { Filter },
      }),
      prop({ ...Filter, description: "Main" }, { $defs: { Filter } }),
    );
  });
  await t.step("zod's reuse of an earlier property and draft-07 definitions", () => {
    const items = { type: "object", properties: { id: { type: "string" } } };
    rewrites(
      {
        type: "object",
        definitions: { Id: { type: "string", description: "An id" } },
        properties: {
          first: { type: "array", items },
          second: { type: "array", items: { $ref: "#/properties/first/items" } },
          owner: { $ref: "#/definitions/Id" },
        },
      },
      {
        type: "object",
        definitions: { Id: { type: "string", description: "An id" } },
        properties: {
          first: { type: "array", items },
          second: { type: "array", items },
          owner: { type: "string", description: "An id" },
        },
      },
    );
  });
  await t.step("a recursive reference stays bare, or is any value outside $defs", () => {
    // A description beside a reference passes the check as far as it is known, but has been
    // refused as "conflicting keywords found after $ref expansion": it goes into the inlined copy.
    const Node = {
      type: "object",
      properties: { next: { $ref: "#/$defs/Node", description: "The next one" } },
    };
    rewrites(prop({ $ref: "#/$defs/Node", description: "Head" }, { $defs: { Node } }), {
      type: "object",
      properties: {
        p: { type: "object", properties: { next: { $ref: "#/$defs/Node" } }, description: "Head" },
      },
      $defs: { Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" } } } },
    }, false);
    rewrites(
      { type: "object", properties: { tree: { type: "object", $ref: "#/properties/tree" } } },
      { type: "object", properties: { tree: {} } },
    );
  });
});

Deno.test("required names without a property, boolean property schemas, enums, tuples", () => {
  rewrites(
    {
      type: "object",
      properties: {
        limit: { type: "integer" },
        any: true,
        never: false,
        order: { enum: ["asc", "desc"] },
        level: { enum: [1, 2, 3] },
        pair: { type: "array", items: [{ type: "string" }, { type: "number" }] },
      },
      required: ["limit", "page", "never"],
    },
    {
      type: "object",
      properties: {
        limit: { type: "integer" },
        any: {},
        order: { enum: ["asc", "desc"], type: "string" },
        level: { enum: [1, 2, 3], type: "integer" },
        pair: { type: "array", items: { anyOf: [{ type: "string" }, { type: "number" }] } },
      },
      required: ["limit"],
    },
  );
  rewrites(prop({ type: "string" }, { required: ["q"] }), prop({ type: "string" }));
});

Deno.test("an enum of values of several types takes the list of their types", () => {
  rewrites(
    prop({ enum: ["low", 2, 2.5, true, null] }),
    prop({ enum: ["low", 2, 2.5, true, null], type: ["string", "number", "boolean", "null"] }),
  );
  rewrites(prop({ enum: ["a", 1] }), prop({ enum: ["a", 1], type: ["string", "integer"] }));
});

Deno.test("only the kimi dialect (Moonshot's API) gets Moonshot's subset", () => {
  const tool: ToolDefinition = {
    name: "mcp__inv__find",
    input_schema: { type: "object", properties: { q: { type: "string", anyOf: [{}, {}] } } },
  };
  const parameters = (dialect: typeof DEFAULT_OPENAI_DIALECT) =>
    toOpenAIChatRequest(req({ tools: [tool] }), { dialect, model: "m", provider: "p" })
      .tools?.[0]?.function.parameters;
  assert.deepEqual(parameters(OPENAI_DIALECTS.kimi!), {
    type: "object",
    properties: { q: { anyOf: [{ type: "string" }, { type: "string" }] } },
  });
  assert.deepEqual(parameters(DEFAULT_OPENAI_DIALECT), tool.input_schema);
  assert.deepEqual(parameters(OPENAI_DIALECTS.nvidia_nim!), tool.input_schema);
});
