/**
 * What the request fuzz tests share: a ccp app in front of a canned upstream of every wire
 * protocol, the odd values they send, how they post with a deadline, and what a good answer is
 * (a 2xx, or an Anthropic-shaped 4xx; never a 500).
 */

import assert from "node:assert/strict";
import type { ProviderConfig } from "../../src/config/types.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type TestApp, testApp } from "../helpers/ccp.ts";
import { anthropicHead, anthropicTail } from "./creds_helpers.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

/** The models of the four providers `app()` routes to, one per wire protocol. */
export const MODELS = ["anth/m", "oai/m", "resp/m", "gem/m"];

const SSE = { "content-type": "text/event-stream" };

/** A canned upstream of every protocol, chosen by the URL ccp calls; JSON unless SSE is asked for. */
function upstream(input: string | URL | Request, init?: RequestInit): Response {
  const url = String(input instanceof Request ? input.url : input);
  const sse = (text: string) => new Response(text, { headers: SSE });
  const json = !/event-stream/.test(new Headers(init?.headers).get("accept") ?? "") &&
    !url.includes("streamGenerateContent");
  if (url.includes("count_tokens")) return Response.json({ input_tokens: 5 });
  if (url.includes(":countTokens")) return Response.json({ totalTokens: 5 });
  if (url.includes("/v1/messages")) {
    if (!json) return sse([...anthropicHead(), ...anthropicTail()].join(""));
    return Response.json(textMessage("up", { input_tokens: 3, output_tokens: 1 }));
  }
  if (url.includes("/chat/completions")) {
    const message = { role: "assistant", content: "hi" };
    if (json) return Response.json({ choices: [{ index: 0, message, finish_reason: "stop" }] });
    const chunk = (delta: unknown, finish: string | null) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    return sse(chunk({ content: "hi" }, null) + chunk({}, "stop") + "data: [DONE]\n\n");
  }
  if (url.includes("/responses")) {
    const output = [{
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "hi" }],
    }];
    if (json) return Response.json({ status: "completed", output });
    const ev = (data: Record<string, unknown>) =>
      `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
    return sse(
      ev({ type: "response.created", response: {} }) +
        ev({ type: "response.output_text.delta", delta: "hi" }) +
        ev({ type: "response.completed", response: { status: "completed" } }),
    );
  }
  if (/generatecontent/i.test(url)) {
    const data = {
      candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
    };
    return json ? Response.json(data) : sse(`data: ${JSON.stringify(data)}\n\n`);
  }
  // A URL ccp should not call fails loudly: a 5xx the checks below refuse.
  return new Response("unexpected upstream URL", { status: 500 });
}

const PROVIDERS: ProviderConfig[] = [
  provider("anth", { type: "anthropic", baseUrl: "http://up.test", apiKeys: ["k"] }),
  provider("oai", {
    type: "openai",
    baseUrl: "http://up.test/v1",
    apiKeys: ["k"],
    authHeader: "bearer",
  }),
  provider("resp", {
    type: "openai_responses",
    baseUrl: "http://up.test/v1",
    apiKeys: ["k"],
    authHeader: "bearer",
  }),
  provider("gem", {
    type: "gemini",
    baseUrl: "http://up.test/v1beta",
    apiKeys: ["k"],
    authHeader: "x-goog-api-key",
  }),
];

export function app(): TestApp["app"] {
  const config = testConfig({ providers: PROVIDERS, routes: { default: "anth/m" } });
  return testApp(config, {
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      Promise.resolve(upstream(input, init)),
  }).app;
}

export const ODD: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  "",
  "x",
  [],
  [null],
  [1],
  ["x"],
  {},
  { type: 5 },
  { type: "x" },
  { a: [null] },
];

export function base(model: string): Record<string, unknown> {
  return { model, max_tokens: 64, messages: [{ role: "user", content: "hello" }] };
}

export async function post(
  server: ReturnType<typeof app>,
  path: string,
  body: Record<string, unknown>,
): Promise<{ status: number; text: string }> {
  const request = server.fetch(
    new Request(`http://ccp.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
  // The deadline catches a hang, not slowness: a loaded two-core machine takes over a second
  // to walk a body nested 20,000 levels deep.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000);
  });
  try {
    const res = await Promise.race([request, late]);
    const text = await Promise.race([res.text(), late]);
    return { status: res.status, text };
  } finally {
    clearTimeout(timer);
  }
}

export function assertAnswer(status: number, text: string, what: string): void {
  assert.ok(status < 500, `${what}: ${status} ${text.slice(0, 400)}`);
  if (status >= 400) {
    const json = JSON.parse(text);
    assert.equal(json.type, "error", what);
    assert.equal(typeof json.error?.type, "string", what);
    assert.ok(typeof json.error?.message === "string" && json.error.message, what);
  } else if (text.startsWith("event:")) {
    assert.ok(!text.includes("event: error"), `${what}: ${text.slice(-400)}`);
  }
}
