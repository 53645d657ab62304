/**
 * Gemini 3 models take only some thinking levels (Gemini 3 Pro: `low` and `high`; 3.1 Pro also
 * `medium`; Flash also `minimal`), natively as `thinkingLevel` and on Google's OpenAI-compatible
 * endpoint as `reasoning_effort`; any other is a 400. Every effort Claude Code can ask for must
 * reach each model as a level it takes, the same one on both paths.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { DEFAULT_OPENAI_DIALECT } from "../../src/translate/openai_chat/dialect.ts";
import { toOpenAIChatRequest } from "../../src/translate/openai_chat/request.ts";
import { geminiRequestProblem, missingLevel } from "../mocks/gemini_strict.ts";

const EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;
const MODELS = [
  "gemini-3-pro-preview",
  "gemini-3.1-pro-preview",
  "gemini-3-flash-preview",
  "gemini-3.7-flash",
];

function request(over: Partial<MessagesRequest>): MessagesRequest {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 32000,
    messages: [{ role: "user", content: "hi" }],
    ...over,
  } as MessagesRequest;
}

function viaOpenAI(model: string, req: MessagesRequest): unknown {
  const body = toOpenAIChatRequest(req, { dialect: DEFAULT_OPENAI_DIALECT, model, provider: "g" });
  return body.reasoning_effort;
}

function viaGemini(model: string, req: MessagesRequest): unknown {
  const body = toGeminiRequest(req, { provider: "g", model });
  const problem = geminiRequestProblem(body as unknown as Record<string, unknown>, model);
  assert.equal(problem, undefined, `${model}: ${problem}`);
  return body.generationConfig?.thinkingConfig?.thinkingLevel;
}

Deno.test("Gemini 3 efforts: a level each model takes, native and OpenAI-compatible alike", async (t) => {
  await t.step("thinking on without an effort: no level, the model's own default", () => {
    for (const model of MODELS) {
      const req = request({ thinking: { type: "adaptive" } });
      assert.equal(viaOpenAI(model, req), undefined, model);
      assert.equal(viaGemini(model, req), undefined, model);
    }
  });

  await t.step("every effort: the same allowed level on both paths", () => {
    const expected: Record<string, Record<string, string>> = {
      "gemini-3-pro-preview": { low: "low", medium: "high", high: "high", xhigh: "high" },
      "gemini-3.1-pro-preview": { low: "low", medium: "medium", high: "high", xhigh: "high" },
      "gemini-3-flash-preview": { low: "low", medium: "medium", high: "high", xhigh: "high" },
      "gemini-3.7-flash": { low: "low", medium: "medium", high: "high", xhigh: "high" },
    };
    for (const model of MODELS) {
      for (const effort of EFFORTS) {
        const req = request({ thinking: { type: "adaptive" }, output_config: { effort } });
        const openai = viaOpenAI(model, req);
        assert.equal(missingLevel(model, openai), undefined, `${model} ${effort}: ${openai}`);
        assert.equal(openai, viaGemini(model, req), `${model} ${effort}`);
        assert.equal(openai, expected[model]?.[effort] ?? "high", `${model} ${effort}`);
      }
    }
  });

  await t.step("a budget sized as medium: Gemini 3 Pro's nearest level is high", () => {
    const req = request({ thinking: { type: "enabled", budget_tokens: 8000 } });
    assert.equal(viaOpenAI("gemini-3-pro-preview", req), "high");
    assert.equal(viaGemini("gemini-3-pro-preview", req), "high");
    assert.equal(viaOpenAI("gemini-3.1-pro-preview", req), "medium");
  });

  await t.step("no thinking: Flash's minimal where it has one; Pro keeps its default", () => {
    const req = request({});
    assert.equal(viaOpenAI("gemini-3-flash-preview", req), "minimal");
    assert.equal(viaOpenAI("gemini-3.7-flash", req), undefined);
    assert.equal(viaOpenAI("gemini-3-pro-preview", req), undefined);
  });

  await t.step("Gemini 2.5 and other models keep the generic effort", () => {
    const req = request({ thinking: { type: "adaptive" } });
    assert.equal(viaOpenAI("gemini-2.5-pro", req), "medium");
    assert.equal(viaOpenAI("qwen3-coder", req), "medium");
  });
});
