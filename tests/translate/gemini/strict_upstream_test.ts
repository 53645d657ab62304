/**
 * The strict Gemini request check of the scripted model (tests/mocks/gemini_wire.ts) against
 * ccp's translation of a Claude Code request, and against the mistakes it must catch.
 */

import assert from "node:assert/strict";
import type { Effort, ThinkingConfig } from "../../../src/protocols/anthropic.ts";
import { toGeminiRequest } from "../../../src/translate/gemini/request.ts";
import { geminiRequestProblem, schemaProblem } from "../../mocks/gemini_strict.ts";
import { claudeCodeRequest } from "../_claude_code_request.ts";

type Obj = Record<string, unknown>;

const MODEL = "gemini-3-flash-preview";

function translated(model = MODEL): Obj {
  const body = toGeminiRequest(claudeCodeRequest("foreign"), { provider: "gemini", model });
  return structuredClone(body) as unknown as Obj;
}

Deno.test("ccp's Gemini translation of a Claude Code request passes the strict check", () => {
  assert.equal(geminiRequestProblem(translated(), MODEL), undefined);
  assert.equal(geminiRequestProblem(translated("gemini-2.5-pro"), "gemini-2.5-pro"), undefined);
});

Deno.test("2.5 thinking budgets: ccp's pass the strict check, those Google refuses do not", () => {
  const thinkings: Array<ThinkingConfig | undefined> = [
    undefined,
    { type: "disabled" },
    { type: "enabled", budget_tokens: 1024 },
    { type: "enabled", budget_tokens: 100_000 },
    { type: "adaptive" },
  ];
  const efforts: Array<Effort | undefined> = [undefined, "low", "medium", "high", "xhigh", "max"];
  for (const model of ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"]) {
    for (const thinking of thinkings) {
      for (const effort of efforts) {
        const req = {
          ...claudeCodeRequest("foreign"),
          ...(thinking ? { thinking } : {}),
          ...(effort ? { output_config: { effort } } : {}),
        };
        const body = structuredClone(toGeminiRequest(req, { provider: "gemini", model }));
        const what = `${model} ${JSON.stringify(thinking)} ${effort}`;
        assert.equal(geminiRequestProblem(body as unknown as Obj, model), undefined, what);
      }
    }
  }
  const refused = (model: string, thinkingBudget: number) => {
    const body = translated(model);
    (body.generationConfig as Obj).thinkingConfig = { thinkingBudget };
    return geminiRequestProblem(body, model) ?? "";
  };
  assert.match(refused("gemini-2.5-pro", 0), /does not support setting thinking_budget to 0/);
  assert.match(refused("gemini-2.5-pro", 64), /thinking budget \(64\) is invalid/);
  assert.match(refused("gemini-2.5-flash", 32768), /thinking budget \(32768\) is invalid/);
  assert.match(refused("gemini-2.5-flash-lite", 256), /thinking budget \(256\) is invalid/);
  for (const [model, budget] of [["gemini-2.5-flash-lite", 0], ["gemini-2.5-pro", -1]] as const) {
    assert.equal(refused(model, budget), "", `${model} ${budget}`);
  }
});

Deno.test("the strict check refuses Claude Code's raw tool schemas", () => {
  const raw = claudeCodeRequest("foreign").tools!.find((t) => t.name === "Bash")!.input_schema;
  assert.match(schemaProblem(raw, "p") ?? "", /Unknown name "\$schema" at 'p'/);
  const { $schema: _s, ...rest } = raw as Obj;
  assert.match(schemaProblem(rest, "p") ?? "", /Unknown name "additionalProperties"/);
  for (const key of ["propertyNames", "exclusiveMinimum", "const", "examples", "$ref"]) {
    const schema = { type: "OBJECT", properties: { x: { type: "INTEGER", [key]: 1 } } };
    assert.match(
      schemaProblem(schema, "p") ?? "",
      new RegExp(`Unknown name "${key.replace("$", "\\$")}"`),
      key,
    );
  }
  for (const key of ["default", "example", "pattern", "title", "propertyOrdering"]) {
    const value = key === "propertyOrdering" ? ["x"] : "v";
    const schema = { type: "OBJECT", properties: { x: { type: "STRING" } }, [key]: value };
    assert.equal(schemaProblem(schema, "p"), undefined, key);
  }
  assert.match(schemaProblem({ type: "OBJECT", properties: {} }, "p") ?? "", /non-empty/);
  assert.match(schemaProblem({ type: "ARRAY" }, "p") ?? "", /items: missing/);
  assert.match(schemaProblem({ type: "STRING", format: "uri" }, "p") ?? "", /format/);
  assert.match(schemaProblem({ type: "INTEGER", enum: [1, 2] }, "p") ?? "", /enum/);
  const required = { type: "OBJECT", properties: { a: { type: "STRING" } }, required: ["b"] };
  assert.match(schemaProblem(required, "p") ?? "", /required\[0\]: property is not defined/);
});

Deno.test("the strict check refuses malformed contents", () => {
  const cases: Array<[string, (body: Obj) => void, RegExp]> = [
    ["empty contents", (b) => b.contents = [], /contents is not specified/],
    ["no parts", (b) => (b.contents as Obj[])[0]!.parts = [], /parts must not be empty/],
    ["system role", (b) => (b.contents as Obj[])[0]!.role = "system", /valid role/],
    ["no role", (b) => delete (b.contents as Obj[])[0]!.role, /valid role/],
    [
      "nameless functionResponse",
      (b) => (b.contents as Obj[]).at(-1)!.parts = [{ functionResponse: { response: {} } }],
      /Name cannot be empty/,
    ],
    ["unknown top-level field", (b) => b.system = "x", /Unknown name "system"/],
    [
      "both parameter forms",
      (b) => {
        const d = ((b.tools as Obj[])[0]!.functionDeclarations as Obj[])[0]!;
        d.parametersJsonSchema = { type: "object" };
      },
      /mutually exclusive/,
    ],
    [
      "unsigned function call",
      (b) => {
        const model = (b.contents as Obj[]).find((c) => c.role === "model")!;
        for (const part of model.parts as Obj[]) delete part.thoughtSignature;
      },
      /missing a thought_signature/,
    ],
    [
      "a function declared twice",
      (b) => {
        const declarations = (b.tools as Obj[])[0]!.functionDeclarations as Obj[];
        declarations.push({ ...declarations[0]! });
      },
      /Duplicate function declaration found/,
    ],
    [
      "a call left unanswered",
      (b) => {
        const model = (b.contents as Obj[]).find((c) => c.role === "model")!;
        (model.parts as Obj[]).push({ functionCall: { name: "Read", args: {} } });
      },
      /number of function response parts is equal/,
    ],
    [
      "a function call opening the conversation",
      (b) => (b.contents as Obj[]).shift(),
      /function call turn comes immediately after a user turn/,
    ],
    [
      "too many output tokens",
      (b) => (b.generationConfig as Obj).maxOutputTokens = 128000,
      /from 1 \(inclusive\) to 65537 \(exclusive\)/,
    ],
    [
      "budget and level",
      (b) => ((b.generationConfig as Obj).thinkingConfig as Obj).thinkingBudget = 1024,
      /only one of thinking budget and thinking level/,
    ],
    [
      "untyped property",
      (b) => {
        const d = ((b.tools as Obj[])[0]!.functionDeclarations as Obj[])[0]!;
        d.parameters = { type: "OBJECT", properties: { x: { description: "any" } } };
      },
      /type: must be specified/,
    ],
  ];
  const prefill = translated("gemini-3.6-flash");
  (prefill.contents as Obj[]).push({ role: "model", parts: [{ text: "Partial" }] });
  assert.match(geminiRequestProblem(prefill, "gemini-3.6-flash") ?? "", /ending with a model turn/);
  assert.equal(geminiRequestProblem(prefill, "gemini-3.1-pro-preview"), undefined);
  const minimal = translated("gemini-3.8-flash");
  (minimal.generationConfig as Obj).thinkingConfig = { thinkingLevel: "minimal" };
  assert.match(geminiRequestProblem(minimal, "gemini-3.8-flash") ?? "", /MINIMAL is not supported/);
  assert.equal(geminiRequestProblem(minimal, "gemini-3.8-flash-lite"), undefined);
  for (const [name, spoil, expected] of cases) {
    const body = translated();
    spoil(body);
    assert.match(geminiRequestProblem(body, MODEL) ?? "", expected, name);
  }
});
