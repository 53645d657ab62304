/**
 * A request that asks for no thinking gets a Gemini 3 model's least thinking level on both
 * paths: natively as `thinkingLevel`, and on Google's OpenAI-compatible endpoints (AI Studio,
 * Vertex AI) as `reasoning_effort`, both read from the one per-model table. Gemini 3 Pro cannot
 * stop thinking: sent nothing, it thinks at its default, `high`. Other hosts keep what the
 * generic translator sends.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import type { ModelSettings } from "../../src/config/types.ts";
import { toGeminiRequest } from "../../src/translate/gemini/request.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { openAITransport } from "../../src/upstream/openai_chat/transport.ts";
import { provider } from "../helpers/config.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";

type Json = Record<string, unknown>;

const AI_STUDIO = "https://generativelanguage.googleapis.com/v1beta/openai";
const VERTEX = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/" +
  "us-central1/endpoints/openapi";

/** One model of each Gemini 3 family in src/translate/gemini/models.ts, and its least level. */
const LEAST: Readonly<Record<string, string>> = {
  "gemini-3-pro-preview": "low",
  "gemini-3.1-pro-preview": "low",
  "gemini-3-flash-preview": "minimal",
  "gemini-3.1-flash-lite-preview": "minimal",
  "gemini-3.7-flash": "low",
  "google/gemini-3-pro-preview": "low",
};

/** The two ways Claude Code asks for no thinking: no `thinking`, or `disabled`. */
const UNASKED: readonly Json[] = [{}, { thinking: { type: "disabled" } }];

function request(over: Json): MessagesRequest {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 64,
    messages: [{ role: "user", content: "hi" }],
    ...over,
  } as MessagesRequest;
}

/** The native request's level and output limit (thoughts count against it). */
function native(model: string, over: Json): { level: unknown; max: unknown } {
  const body = toGeminiRequest(request(over), { provider: "g", model });
  const problem = geminiRequestProblem(body as unknown as Json, model);
  assert.equal(problem, undefined, `${model}: ${problem}`);
  const config = body.generationConfig;
  return { level: config?.thinkingConfig?.thinkingLevel, max: config?.maxOutputTokens };
}

async function sent(
  baseUrl: string,
  model: string,
  over: Json,
  settings?: ModelSettings,
): Promise<Json> {
  let body: Json | undefined;
  const fetchStub = (_input: RequestInfo | URL, init?: RequestInit) => {
    body = JSON.parse(new TextDecoder().decode(init?.body as Uint8Array));
    return Promise.resolve(Response.json({}, { status: 200 }));
  };
  await openAITransport.send({
    provider: provider("google", {
      type: "openai",
      baseUrl,
      authHeader: "bearer",
      dialect: OPENAI_DIALECTS.openai_compatible,
    }),
    model,
    clientModel: "claude-sonnet-4-5",
    body: request(over),
    clientHeaders: new Headers(),
    signal: new AbortController().signal,
    fetch: fetchStub as typeof fetch,
    inputTokens: () => Promise.resolve(10),
    ...(settings ? { settings } : {}),
  });
  assert.ok(body, "the transport called fetch");
  return body;
}

Deno.test("Gemini 3 without thinking: its least level, natively and on Google's OpenAI endpoints", async (t) => {
  await t.step("native path: every Gemini 3 family gets its least level, with room", () => {
    for (const [model, level] of Object.entries(LEAST)) {
      for (const over of UNASKED) {
        const at = `${model} ${JSON.stringify(over)}`;
        const sent = native(model, over);
        assert.equal(sent.level, level, at);
        assert.equal(sent.max, 64 + (level === "minimal" ? 1024 : 4096), at);
      }
    }
  });

  const GOOGLE: readonly (readonly [string, string])[] = [["AI Studio", AI_STUDIO], [
    "Vertex AI",
    VERTEX,
  ]];
  for (const [name, url] of GOOGLE) {
    await t.step(`OpenAI-compatible path on ${name}: the native level and room`, async () => {
      for (const [model, level] of Object.entries(LEAST)) {
        for (const over of UNASKED) {
          const body = await sent(url, model, over);
          const at = `${model} ${JSON.stringify(over)}`;
          const expected = native(model, over);
          assert.equal(body.reasoning_effort, level, at);
          assert.equal(body.reasoning_effort, expected.level, at);
          assert.equal(body.max_tokens, expected.max, at);
        }
      }
    });
  }

  await t.step("other hosts keep the generic choice: Pro and 3.7 Flash get nothing", async () => {
    for (const url of ["http://127.0.0.1:4000/v1", "https://googleapis.com.example.org/v1"]) {
      const pro = await sent(url, "gemini-3-pro-preview", {});
      assert.equal(pro.reasoning_effort, undefined, url);
      assert.equal(pro.max_tokens, 64, url);
      assert.equal((await sent(url, "gemini-3.7-flash", {})).reasoning_effort, undefined);
      const flash = await sent(url, "gemini-3-flash-preview", {});
      assert.equal(flash.reasoning_effort, "minimal", url);
      assert.equal(flash.max_tokens, 64, url);
    }
  });

  await t.step(
    "asked-for thinking, other models and the user's settings are untouched",
    async () => {
      const adaptive = await sent(AI_STUDIO, "gemini-3-pro-preview", {
        thinking: { type: "adaptive" },
      });
      assert.equal(adaptive.reasoning_effort, undefined, "the model's own default");
      assert.equal(adaptive.max_tokens, 64, "asked-for thinking is the client's to size");
      const older = await sent(AI_STUDIO, "gemini-2.5-flash", {});
      assert.equal(older.reasoning_effort, undefined);
      const noSwitch = await sent(AI_STUDIO, "gemini-3-pro-preview", {}, {
        supports: { thinking: false },
      });
      assert.equal(noSwitch.reasoning_effort, undefined);
      assert.equal(noSwitch.max_tokens, 64);
      const forced = await sent(AI_STUDIO, "gemini-3-pro-preview", {}, { reasoningEffort: "high" });
      assert.equal(forced.reasoning_effort, "high", "the user's effort wins");
      const off = await sent(
        AI_STUDIO,
        "gemini-3-pro-preview",
        { thinking: { type: "adaptive" } },
        {
          thinking: "off",
        },
      );
      assert.equal(off.reasoning_effort, "low", "thinking switched off by the user's setting");
    },
  );
});
