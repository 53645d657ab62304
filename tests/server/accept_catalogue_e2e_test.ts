/**
 * The acceptance catalogue: every request shape Anthropic's Messages API documents
 * (_accept_shapes.ts), sent through ccp to each target family, streamed, not streamed and to
 * count_tokens. The real Anthropic API gets the body as the client wrote it; a translated target
 * serves it with every piece of user content still there, or the shape names, in an Anthropic
 * 400, what that target cannot take. Never a 500, never a schema dump.
 */

import assert from "node:assert/strict";
import type { FetchLike } from "../../src/upstream/http/clients.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import { testApp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { chatAnswer } from "../helpers/chat_answer.ts";
import { responseObject, responsesSse } from "../mocks/responses_wire.ts";
import { type Shape, SHAPES } from "./_accept_shapes.ts";
import { PRESETS } from "../../src/providers/catalog.ts";

type Obj = Record<string, unknown>;
type Family = "anthropic" | "gateway" | "local" | "openai" | "openai_responses" | "gemini";
const FAMILIES: Family[] = [
  "anthropic",
  "gateway",
  "local",
  "openai",
  "openai_responses",
  "gemini",
];

const PROVIDERS = [
  provider("anthropic", { preset: "anthropic", baseUrl: "http://anthropic.test", apiKeys: ["k"] }),
  provider("gateway", { type: "anthropic", baseUrl: "http://gateway.test", apiKeys: ["k"] }),
  // A local server's Anthropic endpoint: the most cleaning any preset declares.
  provider("local", { preset: "llamacpp", baseUrl: "http://local.test" }),
  provider("openai", { type: "openai", baseUrl: "http://up.test/v1", apiKeys: ["k"] }),
  provider("openai_responses", {
    type: "openai_responses",
    baseUrl: "http://up.test/v1",
    apiKeys: ["k"],
  }),
  provider("gemini", { type: "gemini", baseUrl: "http://up.test/v1beta", apiKeys: ["k"] }),
].map((p) => ({ ...p, maxRetries: 0 }));

const GEMINI_CHUNK = {
  candidates: [{ content: { role: "model", parts: [{ text: "ok" }] }, finishReason: "STOP" }],
  usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1, totalTokenCount: 10 },
};

const sse = (text: string) =>
  new Response(text, { headers: { "content-type": "text/event-stream" } });

/** One answer per wire protocol, streamed when the request asked for it. */
function answer(url: URL, body: Obj): Response {
  const path = url.pathname;
  if (path.endsWith("/messages/count_tokens")) return Response.json({ input_tokens: 11 });
  if (path.endsWith("/messages")) {
    return body.stream
      ? sse(encodeEvents(textTurn("m", 1)))
      : Response.json(textMessage("m", { input_tokens: 9, output_tokens: 1 }, "ok"));
  }
  if (path.endsWith("/chat/completions")) {
    return chatAnswer(body.stream === true, { content: "ok" }, "stop");
  }
  if (path.endsWith("/responses")) {
    const script = { items: [{ kind: "text" as const, text: "ok" }] };
    return body.stream
      ? sse(responsesSse(script, "m"))
      : Response.json(responseObject(script, "m"));
  }
  if (path.endsWith(":streamGenerateContent")) {
    return sse(`data: ${JSON.stringify(GEMINI_CHUNK)}\r\n\r\n`);
  }
  if (path.endsWith(":generateContent")) return Response.json(GEMINI_CHUNK);
  return Response.json({ error: "unexpected path " + path }, { status: 404 });
}

/** The app and what its upstreams received (raw body text per request). */
function catalogueApp(providers = PROVIDERS) {
  const sent: Array<{ url: string; text: string; beta: string | null }> = [];
  const upstream: FetchLike = async (input, init) => {
    const request = new Request(input, init);
    const text = await request.text();
    sent.push({ url: request.url, text, beta: request.headers.get("anthropic-beta") });
    return answer(new URL(request.url), text ? JSON.parse(text) : {});
  };
  const config = testConfig({ providers, routes: { default: `${providers[0]!.id}/m` } });
  const { app } = testApp(config, {
    fetch: upstream,
    countTokens: (body) => countRequestTokensAsync(body, { model: "m" }),
  });
  return { app, sent };
}

function bodyOf(shape: Shape, family: Family, stream: boolean | undefined): Obj {
  const body: Obj = {
    model: `${family}/claude-sonnet-4-5`,
    max_tokens: 4096,
    messages: [{ role: "user", content: "hi" }],
    ...shape.body,
  };
  if (stream !== undefined) body.stream = stream;
  return body;
}

async function send(
  app: ReturnType<typeof catalogueApp>["app"],
  path: string,
  body: Obj,
): Promise<{ status: number; text: string }> {
  const res = await app.fetch(
    new Request(`http://ccp.test${path}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": CLAUDE_CODE_BETAS,
      },
      body: JSON.stringify(body),
    }),
  );
  return { status: res.status, text: await res.text() };
}

/** The betas Claude Code 2.1.x sends with its default model. */
const CLAUDE_CODE_BETAS = "claude-code-20250219,interleaved-thinking-2025-05-14," +
  "context-management-2025-06-27,per-turn-control-2026-07-01," +
  "mid-conversation-tool-changes-2026-07-01,thinking-token-count-2026-05-13," +
  "advanced-tool-use-2025-11-20,effort-2025-11-24,thinking-display-updates-2026-08-18";

const MODES = [
  { name: "stream", path: "/v1/messages", stream: true },
  { name: "json", path: "/v1/messages", stream: false },
  { name: "count_tokens", path: "/v1/messages/count_tokens", stream: undefined },
] as const;

for (const family of FAMILIES) {
  Deno.test(`acceptance catalogue: ${family}`, async (t) => {
    const { app, sent } = catalogueApp();
    for (const shape of SHAPES) {
      await t.step(shape.name, async () => {
        for (const mode of MODES) {
          sent.length = 0;
          const body = bodyOf(shape, family, mode.stream);
          if (mode.path.endsWith("count_tokens")) delete body.max_tokens;
          const { status, text } = await send(app, mode.path, body);
          const where = `${family} ${mode.name} ${shape.name}: ${status} ${text.slice(0, 400)}`;
          assert.ok(status < 500, where);
          assert.ok(!/"code":|ZodError|invalid_type/.test(text), `schema dump: ${where}`);
          const refusal = family === "openai" || family === "openai_responses" ||
              family === "gemini"
            ? shape.refusedBy?.[family]
            : undefined;
          // A local count reads every block; only a translation refuses what it cannot send.
          if (refusal && mode.name !== "count_tokens") {
            assert.equal(status, 400, where);
            const error = JSON.parse(text);
            assert.equal(error.type, "error", where);
            assert.equal(error.error.type, "invalid_request_error", where);
            assert.match(error.error.message, refusal, where);
            continue;
          }
          assert.equal(status, 200, where);
          if (family === "anthropic" && (mode.name !== "count_tokens" || sent.length > 0)) {
            assert.equal(sent.length, 1, where);
            assert.deepEqual(
              JSON.parse(sent[0]!.text),
              { ...body, model: "claude-sonnet-4-5" },
              `forwarded as sent: ${where}`,
            );
            assert.equal(sent[0]!.beta, CLAUDE_CODE_BETAS, `betas as sent: ${where}`);
          }
          if (shape.webTools && family !== "anthropic" && mode.name !== "count_tokens") {
            assert.match(text, /Web search is not configured in ccp/, where);
          }
          if (family === "gateway" && mode.name !== "count_tokens") {
            const forwarded = JSON.parse(sent[0]!.text);
            for (const key of Object.keys(body)) {
              if (shape.webTools && key === "tools") continue;
              assert.ok(key in forwarded, `gateway kept ${key}: ${where}`);
            }
          }
          if (mode.name !== "count_tokens") {
            const upstream = sent.map((s) => s.text).join("\n");
            for (const mark of shape.marks ?? []) {
              assert.ok(upstream.includes(mark), `${mark} reached the upstream: ${where}`);
            }
            for (
              const word of family === "anthropic" || family === "gateway"
                ? []
                : shape.offered ?? []
            ) {
              assert.ok(upstream.includes(word), `${word} was offered: ${where}`);
            }
          }
        }
      });
    }
  });
}

// Every Anthropic-compatible preset cleans only what its endpoint is declared to refuse: the
// content a model must see reaches each one, whatever the shape.
const ANTHROPIC_PRESETS = PRESETS.filter((preset) => preset.type === "anthropic").map((preset) =>
  provider(preset.id, {
    preset: preset.id,
    baseUrl: `http://${preset.id}.test`,
    apiKeys: ["k"],
    maxRetries: 0,
  })
);

Deno.test("acceptance catalogue: every Anthropic-compatible preset keeps the content", async (t) => {
  const { app, sent } = catalogueApp(ANTHROPIC_PRESETS);
  for (const preset of ANTHROPIC_PRESETS) {
    await t.step(preset.id, async () => {
      for (const shape of SHAPES) {
        sent.length = 0;
        const body = { ...bodyOf(shape, "anthropic", true), model: `${preset.id}/m` };
        const { status, text } = await send(app, "/v1/messages", body);
        const where = `${preset.id} ${shape.name}: ${status} ${text.slice(0, 300)}`;
        assert.equal(status, 200, where);
        const upstream = sent.map((s) => s.text).join("\n");
        for (const mark of shape.marks ?? []) {
          assert.ok(upstream.includes(mark), `${mark} reached the upstream: ${where}`);
        }
      }
    });
  }
});
