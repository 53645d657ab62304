/**
 * MCP servers' tool schemas through every upstream dialect ccp writes: each cleaned schema is
 * one the upstream's own check takes (Gemini's Schema subset, Moonshot's checked subset, Chat
 * Completions and Responses parameters), still tells the model what the tool needs (properties,
 * required names, enum values), and stays small when references fan out.
 */

import assert from "node:assert/strict";
import { toGeminiParameters } from "../../src/translate/gemini/schema.ts";
import { toFunctionParameters } from "../../src/translate/openai_chat/schema.ts";
import { moonshotParameters } from "../../src/translate/openai_chat/moonshot_schema.ts";
import { fanOutSchema, MCP_TOOL_SCHEMAS } from "../fixtures/mcp/tool_schemas.ts";
import { schemaProblem } from "../mocks/gemini_strict.ts";
import { moonshotSchemaProblem } from "../mocks/moonshot_strict.ts";
import { chatParametersProblem, llamaCppProblem } from "./_chat_parameters.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { LOCAL_CLEANING, LOCAL_EFFORT_CLEANING } from "../../src/providers/cleaning_steps.ts";
import { cleaningFromSteps } from "../../src/upstream/cleaning/resolve.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The subschemas a property path can go through: the node, its items, its union branches. */
function shapes(node: unknown, root: Obj, seen = new Set<unknown>()): Obj[] {
  if (!isObj(node) || seen.has(node)) return [];
  seen.add(node);
  if (typeof node.$ref === "string" && node.$ref.startsWith("#/$defs/")) {
    const defs = isObj(root.$defs) ? root.$defs : {};
    return shapes(defs[node.$ref.slice("#/$defs/".length)], root, seen);
  }
  const out = [node];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    if (Array.isArray(node[key])) { for (const b of node[key]) out.push(...shapes(b, root, seen)); }
  }
  if (node.items !== undefined) out.push(...shapes(node.items, root, seen));
  return out;
}

function hasPath(schema: Obj, path: string): boolean {
  let nodes: Obj[] = [schema];
  for (const name of path.split(".")) {
    nodes = nodes.flatMap((n) => shapes(n, schema)).flatMap((n) => {
      const sub = isObj(n.properties) ? n.properties[name] : undefined;
      return sub === undefined ? [] : [sub as Obj];
    });
    if (nodes.length === 0) return false;
  }
  return true;
}

/** Every string the model is shown for a value: enum entries and descriptions. */
function shownValues(schema: unknown, out: string[] = []): string[] {
  if (Array.isArray(schema)) { for (const v of schema) shownValues(v, out); }
  else if (isObj(schema)) {
    for (const [key, value] of Object.entries(schema)) {
      if ((key === "enum" || key === "const") && value !== null) {
        for (const v of [value].flat()) out.push(String(v));
      } else if (key === "description" && typeof value === "string") out.push(value);
      else shownValues(value, out);
    }
  }
  return out;
}

function keepsMeaning(name: string, out: Obj, c: typeof MCP_TOOL_SCHEMAS[number]): void {
  for (const path of c.keeps) assert.ok(hasPath(out, path), `${name}: ${path} is gone`);
  const required = Array.isArray(out.required) ? out.required : [];
  for (const r of c.required) {
    assert.ok(required.includes(r), `${name}: ${r} is no longer required`);
  }
  const shown = shownValues(out).join("\n");
  for (const v of c.enums ?? []) assert.ok(shown.includes(v), `${name}: enum value ${v} is gone`);
}

Deno.test("MCP tool schemas → Gemini parameters the API takes, with their meaning", async (t) => {
  for (const c of MCP_TOOL_SCHEMAS) {
    await t.step(c.name, () => {
      const out = toGeminiParameters(c.schema);
      if (c.keeps.length === 0) return assert.equal(out, undefined);
      assert.ok(out, "no parameters");
      assert.equal(schemaProblem(out, "parameters"), undefined);
      keepsMeaning(c.name, out as Obj, c);
    });
  }
});

Deno.test("MCP tool schemas → Chat Completions parameters the strict servers take", async (t) => {
  for (const c of MCP_TOOL_SCHEMAS) {
    await t.step(c.name, () => {
      const out = toFunctionParameters(c.schema, ["$schema"]);
      assert.equal(chatParametersProblem(out), undefined);
      keepsMeaning(c.name, out, c);
      const kimi = moonshotParameters(out);
      assert.equal(moonshotSchemaProblem(kimi), undefined);
      keepsMeaning(c.name, kimi, c);
    });
  }
});

Deno.test("MCP tool schemas → local servers compiling them into a grammar (llama.cpp)", async (t) => {
  const body = {
    model: "qwen3-coder",
    max_tokens: 1024,
    messages: [{ role: "user", content: "hi" }],
    tools: MCP_TOOL_SCHEMAS.map((c, i) => ({ name: `t${i}`, input_schema: c.schema })),
  };
  assert.ok(body.tools.some((tool) => llamaCppProblem(tool.input_schema)), "a refused pattern");
  await t.step("Chat Completions (`local` dialect)", () => {
    for (const c of MCP_TOOL_SCHEMAS) {
      const out = toFunctionParameters(c.schema, OPENAI_DIALECTS.local.schemaDropKeys);
      assert.equal(llamaCppProblem(out), undefined, c.name);
      assert.equal(chatParametersProblem(out), undefined, c.name);
      keepsMeaning(c.name, out, c);
    }
  });
  for (
    const [name, steps] of [["LM Studio, llama.cpp", LOCAL_CLEANING], [
      "Ollama, vLLM",
      LOCAL_EFFORT_CLEANING,
    ]] as const
  ) {
    await t.step(`Messages API (${name})`, () => {
      const out = cleaningFromSteps(steps).body(body, "qwen3-coder");
      const tools = out.tools as Array<{ input_schema: Obj }>;
      for (const [i, c] of MCP_TOOL_SCHEMAS.entries()) {
        assert.equal(llamaCppProblem(tools[i]!.input_schema), undefined, c.name);
        keepsMeaning(c.name, tools[i]!.input_schema, c);
      }
      // A schema with no pattern is passed as it came.
      assert.equal(tools[0]!.input_schema, body.tools[0]!.input_schema);
    });
  }
});

Deno.test("references that fan out stay bounded in every dialect", async (t) => {
  await t.step("draft-07 `definitions`, which Moonshot's subset has inlined", () => {
    const schema = fanOutSchema(16, 3, "definitions");
    const started = performance.now();
    const kimi = moonshotParameters(toFunctionParameters(schema, ["$schema"]));
    assert.ok(performance.now() - started < 2000, "took too long");
    assert.equal(moonshotSchemaProblem(kimi), undefined);
    assert.ok(JSON.stringify(kimi).length < 64_000, "Moonshot schema blew up");
    assert.ok(hasPath(kimi, "root.p0.p1"), "the first levels are kept");
  });
  const schema = fanOutSchema(24, 3);
  const started = performance.now();
  const gemini = toGeminiParameters(schema);
  const chat = toFunctionParameters(schema, ["$schema"]);
  const kimi = moonshotParameters(chat);
  assert.ok(performance.now() - started < 2000, "took too long");
  assert.ok(gemini);
  assert.equal(schemaProblem(gemini, "parameters"), undefined);
  assert.ok(JSON.stringify(gemini).length < 64_000, "Gemini schema blew up");
  assert.ok(hasPath(gemini as Obj, "root.p0.p1"), "the first levels are kept");
  assert.ok(JSON.stringify(kimi).length < 64_000, "Moonshot schema blew up");
  assert.equal(moonshotSchemaProblem(kimi), undefined);
});
