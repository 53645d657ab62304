/**
 * Google's OpenAI-compatible endpoints send Gemini's thought summary only when the request asks
 * for it (`extra_body.google.thinking_config.include_thoughts`): ccp asks whenever Claude Code
 * asks for thinking it shows (not under `display: "omitted"`), and only Google's hosts get the
 * field.
 */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../src/protocols/anthropic.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import type { ModelSettings } from "../../src/config/types.ts";
import { openAITransport } from "../../src/upstream/openai_chat/transport.ts";
import { provider } from "../helpers/config.ts";

type Json = Record<string, unknown>;

const AI_STUDIO = "https://generativelanguage.googleapis.com/v1beta/openai";
const VERTEX = "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/" +
  "us-central1/endpoints/openapi";
const ASKED = { google: { thinking_config: { include_thoughts: true } } };

async function sent(baseUrl: string, over: Json, settings?: ModelSettings): Promise<Json> {
  let body: Json | undefined;
  const fetchStub = (_input: RequestInfo | URL, init?: RequestInit) => {
    body = JSON.parse(new TextDecoder().decode(init?.body as Uint8Array));
    return Promise.resolve(Response.json({}, { status: 200 }));
  };
  const p = provider("google", {
    type: "openai",
    baseUrl,
    authHeader: "bearer",
    dialect: OPENAI_DIALECTS.openai_compatible,
  });
  await openAITransport.send({
    provider: p,
    model: "gemini-3-flash-preview",
    clientModel: "claude-sonnet-4-5",
    body: {
      model: "claude-sonnet-4-5",
      max_tokens: 32000,
      messages: [{ role: "user", content: "hi" }],
      ...over,
    } as MessagesRequest,
    clientHeaders: new Headers(),
    signal: new AbortController().signal,
    fetch: fetchStub as typeof fetch,
    inputTokens: () => Promise.resolve(10),
    ...(settings ? { settings } : {}),
  });
  assert.ok(body, "the transport called fetch");
  return body;
}

Deno.test("Gemini's thoughts are asked for on Google's OpenAI-compatible endpoints", async (t) => {
  await t.step("adaptive and budgeted thinking, AI Studio and Vertex AI", async () => {
    for (const url of [AI_STUDIO, VERTEX]) {
      const adaptive = await sent(url, { thinking: { type: "adaptive" } });
      assert.deepEqual(adaptive.extra_body, ASKED, url);
      const budget = await sent(url, { thinking: { type: "enabled", budget_tokens: 4000 } });
      assert.deepEqual(budget.extra_body, ASKED, url);
      assert.equal(budget.reasoning_effort, "low", "the effort still rides beside it");
    }
  });
  await t.step("not without thinking, nor with thinking switched off for the model", async () => {
    assert.equal((await sent(AI_STUDIO, {})).extra_body, undefined);
    assert.equal((await sent(AI_STUDIO, { thinking: { type: "disabled" } })).extra_body, undefined);
    const off = await sent(AI_STUDIO, { thinking: { type: "adaptive" } }, {
      supports: { thinking: false },
    });
    assert.equal(off.extra_body, undefined);
  });
  await t.step('not for a client that shows no thinking (display "omitted")', async () => {
    // As on the native path: the calls' thought signatures come in their `extra_content` anyway.
    for (
      const thinking of [
        { type: "adaptive", display: "omitted" },
        { type: "enabled", budget_tokens: 4000, display: "omitted" },
      ]
    ) {
      const body = await sent(AI_STUDIO, { thinking });
      assert.equal(body.extra_body, undefined, JSON.stringify(thinking));
      assert.equal(body.reasoning_effort !== undefined, thinking.type === "enabled");
    }
    const shown = await sent(AI_STUDIO, { thinking: { type: "adaptive", display: "summarized" } });
    assert.deepEqual(shown.extra_body, ASKED);
  });
  await t.step("other hosts never get Google's field", async () => {
    for (const url of ["http://127.0.0.1:4000/v1", "https://googleapis.com.example.org/v1"]) {
      const body = await sent(url, { thinking: { type: "adaptive" } });
      assert.equal(body.extra_body, undefined, url);
    }
  });
  await t.step("the user's own extra_body wins", async () => {
    const body = await sent(AI_STUDIO, { thinking: { type: "adaptive" } }, {
      extraBody: { extra_body: { google: { thinking_config: { include_thoughts: false } } } },
    });
    assert.deepEqual(body.extra_body, { google: { thinking_config: { include_thoughts: false } } });
  });
});
