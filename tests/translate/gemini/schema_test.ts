/**
 * JSON Schema → Gemini schema cleaning, table-driven: each row a tool schema as clients send it
 * and the Gemini schema ccp makes of it, with only keys Gemini knows. The root of a tool's
 * parameters is in parameters_test.ts.
 */

import assert from "node:assert/strict";
import type { GeminiSchema } from "../../../src/protocols/gemini.ts";
import { toGeminiSchema } from "../../../src/translate/gemini/schema.ts";
import { JSON_TEXT_NOTE } from "../../../src/translate/gemini/json_args.ts";
import { assertOnlyGeminiKeys } from "./_schema_keys.ts";

const TABLE: Array<{ name: string; input: unknown; output: GeminiSchema | undefined }> = [
  {
    name: "$schema, additionalProperties, propertyNames and unknown keys are dropped",
    input: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { a: { type: "string", encrypted: true, "x-private": 1 } },
      additionalProperties: false,
      propertyNames: { pattern: "^[a-z]+$" },
    },
    output: { type: "OBJECT", properties: { a: { type: "STRING" } } },
  },
  {
    name: "types are upper-cased; description, enum, required and counts kept",
    input: {
      type: "object",
      description: "Args",
      properties: {
        mode: { type: "string", enum: ["fast", "slow"], description: "How" },
        tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 5 },
        n: { type: "integer", minimum: 1, maximum: 10 },
        name: { type: "string", minLength: 1, maxLength: 64 },
      },
      required: ["mode", "missing"],
    },
    output: {
      type: "OBJECT",
      description: "Args",
      properties: {
        mode: { type: "STRING", enum: ["fast", "slow"], description: "How" },
        tags: { type: "ARRAY", items: { type: "STRING" }, minItems: 1, maxItems: 5 },
        n: { type: "INTEGER", minimum: 1, maximum: 10 },
        name: { type: "STRING", minLength: 1, maxLength: 64 },
      },
      required: ["mode"],
    },
  },
  {
    name: "formats: date-time and enum kept on strings, others dropped; number formats kept",
    input: {
      type: "object",
      properties: {
        at: { type: "string", format: "date-time" },
        uri: { type: "string", format: "uri" },
        mail: { type: "string", format: "email" },
        f: { type: "number", format: "double" },
        i: { type: "integer", format: "int64" },
        bad: { type: "integer", format: "uint8" },
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        at: { type: "STRING", format: "date-time" },
        uri: { type: "STRING" },
        mail: { type: "STRING" },
        f: { type: "NUMBER", format: "double" },
        i: { type: "INTEGER", format: "int64" },
        bad: { type: "INTEGER" },
      },
    },
  },
  {
    name: "exclusive bounds become inclusive ones; multipleOf, default, examples, extras dropped",
    input: {
      type: "number",
      exclusiveMinimum: 0,
      exclusiveMaximum: 9,
      multipleOf: 2,
      default: 4,
      examples: [2],
      $comment: "x",
    },
    output: { type: "NUMBER", minimum: 0, maximum: 9 },
  },
  {
    name: "on integers an exclusive bound is the next whole number; an inclusive one wins",
    input: {
      type: "object",
      properties: {
        // Claude Code's Read tool.
        limit: { type: "integer", exclusiveMinimum: 0 },
        page: { type: "integer", exclusiveMaximum: 10.5, minimum: 2, exclusiveMinimum: 1 },
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        limit: { type: "INTEGER", minimum: 1 },
        page: { type: "INTEGER", minimum: 2, maximum: 10 },
      },
    },
  },
  {
    name: "string pattern, uniqueItems, contains, if/then/else are dropped",
    input: {
      type: "array",
      items: { type: "string", pattern: "^a" },
      uniqueItems: true,
      contains: { const: "a" },
      if: { minItems: 1 },
      then: { maxItems: 3 },
    },
    output: { type: "ARRAY", items: { type: "STRING" } },
  },
  {
    name: "$ref into $defs is inlined, siblings win",
    input: {
      type: "object",
      properties: { p: { $ref: "#/$defs/Point", description: "Where" } },
      $defs: {
        Point: {
          type: "object",
          properties: { x: { type: "number" }, y: { type: "number" } },
          required: ["x", "y"],
        },
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        p: {
          type: "OBJECT",
          description: "Where",
          properties: { x: { type: "NUMBER" }, y: { type: "NUMBER" } },
          required: ["x", "y"],
        },
      },
    },
  },
  {
    name: "definitions (draft-07) and recursive refs: recursion is asked for as JSON text",
    input: {
      type: "object",
      properties: { tree: { $ref: "#/definitions/Node" } },
      definitions: {
        Node: {
          type: "object",
          properties: { value: { type: "string" }, child: { $ref: "#/definitions/Node" } },
        },
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        tree: {
          type: "OBJECT",
          properties: {
            value: { type: "STRING" },
            // An empty OBJECT only ever got `{}` from the model: the child could not be filled.
            child: {
              type: "STRING",
              description:
                "A JSON object of the same shape as Node (the enclosing object), written as JSON text.",
            },
          },
        },
      },
    },
  },
  {
    name: "unresolvable $ref becomes an object",
    input: { $ref: "https://example.com/schema.json", description: "Remote" },
    output: { type: "OBJECT", description: "Remote" },
  },
  {
    name: "a $ref whose percent-encoding is broken is unresolvable too",
    input: { $ref: "#/%E0%A4%A", description: "Broken" },
    output: { type: "OBJECT", description: "Broken" },
  },
  {
    name: "type [T, null] and a null enum value become nullable",
    input: {
      type: "object",
      properties: {
        a: { type: ["string", "null"] },
        b: { type: "string", enum: ["x", null] },
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        a: { type: "STRING", nullable: true },
        b: { type: "STRING", enum: ["x"], nullable: true },
      },
    },
  },
  {
    name: "several non-null types become anyOf, description kept once",
    input: { type: ["string", "number"], description: "Either" },
    output: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }], description: "Either" },
  },
  {
    name: "anyOf with a null variant collapses to a nullable schema",
    input: { anyOf: [{ type: "integer" }, { type: "null" }], description: "Count" },
    output: { type: "INTEGER", nullable: true, description: "Count" },
  },
  {
    name: "oneOf is read as anyOf",
    input: {
      oneOf: [{ type: "string" }, { type: "object", properties: { k: { type: "boolean" } } }],
    },
    output: {
      anyOf: [{ type: "STRING" }, { type: "OBJECT", properties: { k: { type: "BOOLEAN" } } }],
    },
  },
  {
    name: "anyOf used only as a constraint on an object is ignored",
    input: {
      type: "object",
      properties: { a: { type: "string" }, b: { type: "string" } },
      anyOf: [{ required: ["a"] }, { required: ["b"] }],
    },
    output: { type: "OBJECT", properties: { a: { type: "STRING" }, b: { type: "STRING" } } },
  },
  {
    name: "allOf members are merged",
    input: {
      allOf: [
        { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
        { properties: { b: { type: "integer" } }, required: ["b"] },
      ],
    },
    output: {
      type: "OBJECT",
      properties: { a: { type: "STRING" }, b: { type: "INTEGER" } },
      required: ["a", "b"],
    },
  },
  {
    name: "const becomes a one-value enum; non-string enums move into the description",
    input: {
      type: "object",
      properties: {
        kind: { const: "file" },
        level: { type: "integer", enum: [1, 2, 3], description: "Level" },
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        kind: { type: "STRING", enum: ["file"] },
        level: { type: "INTEGER", description: "Level\nAllowed values: 1, 2, 3" },
      },
    },
  },
  {
    name: "title stands in for a missing description",
    input: { type: "string", title: "Path" },
    output: { type: "STRING", description: "Path" },
  },
  {
    name: "types are inferred; a schema allowing any value becomes a string asking for JSON text",
    input: {
      type: "object",
      properties: {
        obj: { properties: { z: { type: "string" } } },
        arr: { items: { type: "number" } },
        any: {},
        yes: true,
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        obj: { type: "OBJECT", properties: { z: { type: "STRING" } } },
        arr: { type: "ARRAY", items: { type: "NUMBER" } },
        any: { type: "STRING", description: JSON_TEXT_NOTE },
        yes: { type: "STRING", description: JSON_TEXT_NOTE },
      },
    },
  },
  {
    name:
      "empty nested objects lose `properties: {}`; arrays always get items; tuples use the first",
    input: {
      type: "object",
      properties: {
        findings: { type: "array", items: { type: "object", additionalProperties: false } },
        list: { type: "array" },
        pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }] },
        never: false,
      },
    },
    output: {
      type: "OBJECT",
      properties: {
        findings: { type: "ARRAY", items: { type: "OBJECT" } },
        list: { type: "ARRAY", items: { type: "STRING" } },
        pair: { type: "ARRAY", items: { type: "STRING" } },
      },
    },
  },
  {
    name: "an enum with an empty string is written out (Gemini refuses empty enum values)",
    input: { type: "string", enum: ["user", "integration", ""] },
    output: { type: "STRING", description: 'Allowed values: "user", "integration", ""' },
  },
  {
    name: "a property literally named like a keyword is kept",
    input: {
      type: "object",
      properties: { format: { type: "string" }, $schema: { type: "string" } },
    },
    output: {
      type: "OBJECT",
      properties: { format: { type: "STRING" }, $schema: { type: "STRING" } },
    },
  },
];

Deno.test("JSON Schema → Gemini schema cleaning", async (t) => {
  for (const row of TABLE) {
    await t.step(row.name, () => {
      const before = structuredClone(row.input);
      const output = toGeminiSchema(row.input);
      assert.deepEqual(output, row.output);
      assert.deepEqual(row.input, before, "input not mutated");
      assertOnlyGeminiKeys(output);
    });
  }
});
