/**
 * Tool schemas past what Gemini serves. Gemini refuses a declaration that "exceeds the maximum
 * allowed nesting depth" (Notion's, GitLab's and Firecrawl's MCP servers met it) or that "produces
 * a constraint that has too many states for serving" (long enums, long length limits), and
 * publishes no numbers. ccp keeps Claude Code's own tools whole and gives way past that: a subtree
 * nested too deep, or a recursive reference (which ccp used to send as an empty OBJECT the model
 * could only fill with `{}`), is asked for as JSON text with its JSON Schema quoted, and the model's
 * text comes back to the client as the object; long enums and limits move into the description.
 */

import assert from "node:assert/strict";
import { toGeminiParameters } from "../../../src/translate/gemini/schema.ts";
import { withJsonValues } from "../../../src/translate/gemini/json_args.ts";
import { geminiResponseToAnthropic } from "../../../src/translate/gemini/response.ts";
import { MAX_LEVELS } from "../../../src/translate/gemini/schema_limits.ts";
import type { GeminiSchema } from "../../../src/protocols/gemini.ts";
import { DOCS_BATCH_UPDATE, MCP_TOOL_SCHEMAS } from "../../fixtures/mcp/tool_schemas.ts";
import { schemaProblem } from "../../mocks/gemini_strict.ts";

type Obj = Record<string, unknown>;

/** The input of the tool_use block made of Gemini's call of `name` with `args`. */
function toolInput(name: string, args: Obj, schema: Obj): unknown {
  const message = geminiResponseToAnthropic({
    candidates: [{
      content: { role: "model", parts: [{ functionCall: { name, args } }] },
      finishReason: "STOP",
      index: 0,
    }],
  }, {
    clientModel: "claude-sonnet-4-5",
    inputTokens: 10,
    provider: "gem",
    upstreamModel: "gemini-3-flash-preview",
    tools: [{ name, input_schema: schema }],
  });
  const call = message.content.find((b) => b.type === "tool_use");
  assert.ok(call?.type === "tool_use");
  return call.input;
}

/** Objects, arrays and unions on the longest path of a Gemini schema. */
function levels(s: GeminiSchema | undefined): number {
  if (!s) return 0;
  const below = Math.max(
    0,
    ...Object.values(s.properties ?? {}).map(levels),
    levels(s.items),
    ...(s.anyOf ?? []).map(levels),
  );
  const here = s.type === "OBJECT" || s.type === "ARRAY" || (s.anyOf?.length ?? 0) > 1 ? 1 : 0;
  return here + below;
}

/** The node at a dotted path (`items` is stepped through). */
function at(s: GeminiSchema | undefined, path: string): GeminiSchema | undefined {
  let node = s;
  for (const name of path.split(".")) {
    if (node?.type === "ARRAY") node = node.items;
    node = node?.properties?.[name];
  }
  return node;
}

const CLAUDE_CODE_TOOLS = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../fixtures/claude_code/tool_schemas_2.1.332.json", import.meta.url),
  ),
) as Array<{ name: string; input_schema: Obj }>;

/** AskUserQuestion's shape: questions, each with options, five objects and arrays deep. */
const ASK_USER_QUESTION: Obj = {
  type: "object",
  properties: {
    questions: {
      type: "array",
      items: {
        type: "object",
        properties: {
          question: { type: "string" },
          header: { type: "string" },
          options: {
            type: "array",
            items: {
              type: "object",
              properties: { label: { type: "string" }, description: { type: "string" } },
              required: ["label", "description"],
            },
          },
          multiSelect: { type: "boolean" },
        },
        required: ["question", "header", "options", "multiSelect"],
      },
    },
  },
  required: ["questions"],
};

Deno.test("Claude Code's own tools, and a schema five levels deep, go to Gemini whole", () => {
  for (
    const tool of [...CLAUDE_CODE_TOOLS, {
      name: "AskUserQuestion",
      input_schema: ASK_USER_QUESTION,
    }]
  ) {
    const out = toGeminiParameters(tool.input_schema);
    if (!out) continue;
    assert.equal(schemaProblem(out, "parameters"), undefined, tool.name);
    assert.ok(!JSON.stringify(out).includes("matching this JSON Schema"), tool.name);
  }
  const ask = toGeminiParameters(ASK_USER_QUESTION);
  assert.equal(levels(ask), 5);
  assert.equal(at(ask, "questions.options.label")?.type, "STRING");
  assert.deepEqual(at(ask, "questions.options")?.items?.required, ["label", "description"]);
});

Deno.test("a schema nested past five levels: the deep part is asked for as JSON text, with its schema", () => {
  const out = toGeminiParameters(DOCS_BATCH_UPDATE);
  assert.ok(out);
  assert.equal(schemaProblem(out, "parameters"), undefined);
  assert.ok(levels(out) <= MAX_LEVELS, `nested ${levels(out)} levels`);
  // What fits stays as it was.
  assert.deepEqual(at(out, "requests.updateTextStyle.range")?.required, ["startIndex", "endIndex"]);
  assert.equal(at(out, "requests.updateTextStyle.textStyle.bold")?.type, "BOOLEAN");
  // What does not is text whose description quotes the JSON Schema the model must write.
  const color = at(out, "requests.updateTextStyle.textStyle.foregroundColor");
  assert.equal(color?.type, "STRING");
  assert.match(color?.description ?? "", /A JSON object, written as JSON text, matching this/);
  assert.match(color?.description ?? "", /"rgbColor":\{"type":"object","properties":\{"red"/);
  const size = at(out, "requests.updateTextStyle.textStyle.fontSize");
  assert.match(size?.description ?? "", /"unit":\{"type":"string","enum":\["PT"\]\}/);
});

Deno.test("the model's JSON text for a cut subtree reaches the client as the object", () => {
  const args = {
    documentId: "doc1",
    requests: [{
      updateTextStyle: {
        range: { startIndex: 1, endIndex: 5 },
        fields: "foregroundColor",
        textStyle: {
          bold: true,
          foregroundColor: '{"color":{"rgbColor":{"red":1,"green":0,"blue":0}}}',
        },
      },
    }],
  };
  assert.deepEqual(toolInput("docs_batch_update", args, DOCS_BATCH_UPDATE), {
    ...args,
    requests: [{
      updateTextStyle: {
        ...args.requests[0]!.updateTextStyle,
        textStyle: {
          bold: true,
          foregroundColor: { color: { rgbColor: { red: 1, green: 0, blue: 0 } } },
        },
      },
    }],
  });
});

Deno.test("a recursive reference: JSON text of the enclosing shape, read back at every depth", () => {
  const search = MCP_TOOL_SCHEMAS.find((c) => c.name.startsWith("search.query"))!.schema;
  const out = toGeminiParameters(search);
  assert.ok(out);
  assert.equal(schemaProblem(out, "parameters"), undefined);
  const and = at(out, "filter.and");
  assert.equal(and?.type, "ARRAY");
  assert.equal(and?.items?.type, "STRING");
  assert.match(and?.items?.description ?? "", /same shape as Filter \(the enclosing object\)/);
  const inner = JSON.stringify({
    field: "b",
    op: "eq",
    value: 1,
    or: [JSON.stringify({ field: "c" })],
  });
  const restored = withJsonValues({ filter: { field: "a", op: "eq", and: [inner] } }, search);
  assert.deepEqual(restored, {
    filter: {
      field: "a",
      op: "eq",
      and: [{ field: "b", op: "eq", value: 1, or: [{ field: "c" }] }],
    },
  });
});

Deno.test("JSON text stays text where the tool takes a string, and broken JSON stays as it came", () => {
  const schema = {
    type: "object",
    properties: {
      note: { type: "string" },
      pick: {
        anyOf: [{ type: "string" }, { type: "object", properties: { a: { type: "string" } } }],
      },
      deep: { type: "object", properties: { a: { type: "string" } } },
    },
  };
  const value = { note: '{"a":1}', pick: '{"a":"x"}', deep: '{"a": ' };
  assert.equal(withJsonValues(value, schema), value);
});

Deno.test("a union that takes no string, cut past five levels: its JSON text reaches the client as the value", () => {
  // Five objects, then `value`: numbers or a list of them. Gemini is asked for it as JSON text.
  const value = { anyOf: [{ type: "integer" }, { type: "array", items: { type: "integer" } }] };
  let schema: Obj = { type: "object", properties: { value } };
  for (let i = 0; i < 4; i++) schema = { type: "object", properties: { n: schema } };
  const out = toGeminiParameters(schema);
  assert.equal(at(out, "n.n.n.n.value")?.type, "STRING");
  assert.match(at(out, "n.n.n.n.value")?.description ?? "", /A JSON value, written as JSON text/);
  const nested = (inner: unknown) => ({ n: { n: { n: { n: { value: inner } } } } });
  assert.deepEqual(withJsonValues(nested("[1, 2]"), schema), nested([1, 2]));
  assert.deepEqual(withJsonValues(nested("42"), schema), nested(42));
  // What is no JSON, or JSON of a string, stays as it came.
  assert.deepEqual(withJsonValues(nested("[1, "), schema), nested("[1, "));
  assert.deepEqual(withJsonValues(nested('"7"'), schema), nested('"7"'));
});

Deno.test("long enums and long limits move into the description; short ones stay constraints", () => {
  const zones = Array.from({ length: 600 }, (_, i) => `Zone/City_${i}`);
  const lists = Object.fromEntries(
    Array.from({ length: 5 }, (_, i) => [
      `list${i}`,
      { type: "string", enum: Array.from({ length: 60 }, (_, j) => `v${i}_${j}`) },
    ]),
  );
  const out = toGeminiParameters({
    type: "object",
    properties: {
      timezone: { type: "string", enum: zones },
      unit: { type: "string", enum: ["PT", "EM"] },
      body: { type: "string", maxLength: 65536, minLength: 1 },
      tags: { type: "array", items: { type: "string" }, maxItems: 10 },
      ...lists,
    },
  });
  assert.ok(out);
  assert.equal(schemaProblem(out, "parameters"), undefined);
  const p = out.properties!;
  assert.equal(p.timezone!.enum, undefined);
  assert.match(p.timezone!.description ?? "", /"Zone\/City_0", .*"Zone\/City_599"/);
  assert.deepEqual(p.unit!.enum, ["PT", "EM"]);
  assert.equal(p.body!.maxLength, undefined);
  assert.equal(p.body!.minLength, 1);
  assert.match(p.body!.description ?? "", /maxLength: 65536/);
  assert.equal(p.tags!.maxItems, 10);
  // 256 enum values in all: the first lists keep theirs, the one past the budget is written out.
  assert.deepEqual(
    Object.keys(lists).map((k) => p[k]!.enum !== undefined),
    [true, true, true, true, false],
  );
  assert.match(p.list4!.description ?? "", /"v4_59"/);
});

Deno.test("many deep parts quote their schemas within one budget: the declaration stays small", () => {
  const leaf = {
    type: "object",
    properties: Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`field_${i}`, { type: "string" }]),
    ),
  };
  const wide = {
    type: "object",
    properties: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`part_${i}`, leaf])),
  };
  let schema: Obj = wide;
  for (let i = 0; i < 4; i++) schema = { type: "object", properties: { [`n${i}`]: schema } };
  const out = toGeminiParameters(schema);
  assert.ok(out);
  assert.equal(schemaProblem(out, "parameters"), undefined);
  assert.ok(levels(out) <= MAX_LEVELS);
  const size = JSON.stringify(out).length;
  // Quoting each part whole would come to about 143,000 characters.
  assert.ok(size < 80_000, `${size} characters`);
  // The first parts quote their schema; once the budget is spent the rest name their properties.
  const parts = at(out, "n3.n2.n1.n0")!.properties!;
  assert.match(parts.part_0!.description!, /matching this JSON Schema/);
  assert.match(parts.part_299!.description!, /\(properties: field_0, .*field_9\)/);
});

/** A recursive filter whose fields name their model through `allOf` (older pydantic's shape). */
const ALL_OF_FILTER: Obj = {
  type: "object",
  properties: { query: { allOf: [{ $ref: "#/definitions/Filter" }], description: "The filter" } },
  required: ["query"],
  definitions: {
    Filter: {
      type: "object",
      properties: {
        field: { type: "string" },
        and: {
          type: "array",
          items: { allOf: [{ $ref: "#/definitions/Filter" }], description: "A sub-filter" },
        },
      },
    },
  },
};

Deno.test("a recursive model named through allOf: JSON text of its shape, read back at every depth", () => {
  const out = toGeminiParameters(ALL_OF_FILTER);
  assert.ok(out);
  assert.equal(schemaProblem(out, "parameters"), undefined);
  // Where the model refers to itself again, it is asked for as JSON text of its shape.
  const and = at(out, "query.and");
  assert.equal(and?.items?.type, "STRING");
  assert.match(and?.items?.description ?? "", /same shape as Filter \(the enclosing object\)/);
  const text = JSON.stringify({ field: "b", and: [JSON.stringify({ field: "c" })] });
  const args = { query: { field: "a", and: [text] } };
  assert.deepEqual(toolInput("search", args, ALL_OF_FILTER), {
    query: { field: "a", and: [{ field: "b", and: [{ field: "c" }] }] },
  });
  // The whole field written as JSON text is the object too (the field takes no string).
  assert.deepEqual(withJsonValues({ query: '{"field":"x"}' }, ALL_OF_FILTER), {
    query: { field: "x" },
  });
});

Deno.test("a recursive model named through allOf at many properties stays as small as through $ref", () => {
  const node = (refer: (i: number) => Obj): Obj => ({
    type: "object",
    properties: Object.fromEntries([
      ["name", { type: "string" }],
      ...Array.from({ length: 8 }, (_, i) => [`child${i}`, refer(i)]),
    ]),
  });
  const viaAllOf: Obj = {
    type: "object",
    properties: { root: { allOf: [{ $ref: "#/$defs/Node" }] } },
    $defs: {
      Node: node((i) => ({ allOf: [{ $ref: "#/$defs/Node" }], description: `child ${i}` })),
    },
  };
  const viaRef: Obj = {
    type: "object",
    properties: { root: { $ref: "#/$defs/Node" } },
    $defs: { Node: node((i) => ({ $ref: "#/$defs/Node", description: `child ${i}` })) },
  };
  const size = (schema: Obj) => JSON.stringify(toGeminiParameters(schema)).length;
  // Expanded to the nesting bound at each of its eight children, it was some 600 KB.
  assert.equal(size(viaAllOf), size(viaRef));
  assert.ok(size(viaAllOf) < 2_000, `${size(viaAllOf)} characters`);
});

Deno.test("JSON text fenced as Markdown code, where the tool takes no string, is read as the value", () => {
  const search = MCP_TOOL_SCHEMAS.find((c) => c.name.startsWith("search.query"))!.schema;
  const fenced = (json: string) => "```json\n" + json + "\n```";
  const restored = withJsonValues(
    {
      filter: {
        field: "a",
        op: "eq",
        and: [fenced('{"field":"b","or":["```\\n{\\"field\\":\\"c\\"}\\n```"]}')],
      },
    },
    search,
  );
  assert.deepEqual(restored, {
    filter: { field: "a", op: "eq", and: [{ field: "b", or: [{ field: "c" }] }] },
  });
  // Where a string is allowed, fenced text is the string it came as.
  const schema = { type: "object", properties: { note: { type: "string" } } };
  const value = { note: fenced('{"a":1}') };
  assert.equal(withJsonValues(value, schema), value);
});

Deno.test("a union that takes a string, cut past five levels: JSON text of an object is the object, other text the string", () => {
  const variants = [
    { anyOf: [{ type: "string" }, { type: "object", properties: { x: { type: "number" } } }] },
    { oneOf: [{ type: "object", properties: { x: { type: "number" } } }, { type: "string" }] },
    { type: ["string", "object"], properties: { x: { type: "number" } } },
  ];
  for (const value of variants) {
    let schema: Obj = { type: "object", properties: { value } };
    for (let i = 0; i < 4; i++) schema = { type: "object", properties: { n: schema } };
    assert.equal(at(toGeminiParameters(schema), "n.n.n.n.value")?.type, "STRING");
    const nested = (inner: unknown) => ({ n: { n: { n: { n: { value: inner } } } } });
    const read = (text: string) => withJsonValues(nested(text), schema);
    assert.deepEqual(read('{"x": 1}'), nested({ x: 1 }), JSON.stringify(value));
    assert.deepEqual(read('```json\n{"x": 1}\n```'), nested({ x: 1 }));
    // JSON text of a string is the string; a string written bare stays as it came.
    assert.deepEqual(read('"abc"'), nested("abc"));
    assert.deepEqual(read("list the files"), nested("list the files"));
    // JSON of a kind the union does not take, and broken JSON, stay text.
    assert.deepEqual(read("42"), nested("42"));
    assert.deepEqual(read('{"x": '), nested('{"x": '));
  }
});

/** The Gemini node of the property named `v`, wherever it is. */
function propertyV(s: GeminiSchema | undefined): GeminiSchema | undefined {
  if (!s) return undefined;
  if (s.properties?.v) return s.properties.v;
  for (const sub of [...Object.values(s.properties ?? {}), s.items, ...(s.anyOf ?? [])]) {
    const found = propertyV(sub);
    if (found) return found;
  }
  return undefined;
}

Deno.test("a union's JSON text is read exactly where Gemini was asked for it, at any depth and through arrays", () => {
  const union = {
    anyOf: [{ type: "string" }, { type: "object", properties: { x: { type: "number" } } }],
  };
  for (const wrap of ["object", "array", "union"] as const) {
    for (let depth = 1; depth <= 7; depth++) {
      let schema: Obj = { type: "object", properties: { v: union } };
      let value = (inner: unknown): unknown => ({ v: inner });
      let path = "v";
      for (let i = 1; i < depth; i++) {
        const [s, v, p] = [schema, value, path];
        if (wrap === "array") {
          schema = { type: "object", properties: { a: { type: "array", items: s } } };
          value = (inner) => ({ a: [v(inner)] });
        } else if (wrap === "union") {
          schema = { type: "object", properties: { u: { anyOf: [s, { type: "integer" }] } } };
          value = (inner) => ({ u: v(inner) });
        } else {
          schema = { type: "object", properties: { o: s } };
          value = (inner) => ({ o: v(inner) });
        }
        path = `${wrap === "array" ? "a" : wrap === "union" ? "u" : "o"}.${p}`;
      }
      const out = toGeminiParameters(schema);
      const cut = JSON.stringify(out).includes("written as JSON text");
      const read = withJsonValues(value('{"x":1}'), schema);
      const expected = value(cut ? { x: 1 } : '{"x":1}');
      assert.deepEqual(read, expected, `${wrap} ${depth} (${path}): cut ${cut}`);
      // Quotes are JSON text's only where the whole union went out as text (past five levels);
      // deeper, an enclosing object went out as text, and the model writes no `v` of its own.
      const sent = propertyV(out);
      if (sent === undefined) continue;
      const whole = sent.type === "STRING";
      const quoted = withJsonValues(value('"abc"'), schema);
      assert.deepEqual(quoted, value(whole ? "abc" : '"abc"'), `${path}: whole ${whole}`);
    }
  }
});

Deno.test("a model naming itself through allOf, many times over, is read back at once", () => {
  // Each member would be merged again at every level of the bound: 6 members took seconds.
  const schema = {
    type: "object",
    properties: { q: { $ref: "#/$defs/X" } },
    $defs: {
      X: {
        allOf: Array.from({ length: 6 }, () => ({ $ref: "#/$defs/X" })),
        properties: { a: { type: "object", properties: { b: { type: "integer" } } } },
      },
    },
  };
  const started = performance.now();
  const out = withJsonValues({ q: { a: '{"b": 1}' } }, schema);
  assert.deepEqual(out, { q: { a: { b: 1 } } });
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
});
