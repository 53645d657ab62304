/**
 * Property: a client that sends any top-level field of `POST /v1/messages` or
 * `/v1/messages/count_tokens` with a value of the wrong type, or an absurd one, gets an answer
 * within the second: a 2xx, or an Anthropic-shaped 4xx — never a 500 (an exception inside ccp)
 * and never a hang — on every wire protocol.
 */

import assert from "node:assert/strict";
import type { ProviderConfig } from "../../src/config/types.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type TestApp, testApp } from "../helpers/ccp.ts";
import { anthropicHead, anthropicTail } from "./creds_helpers.ts";
import { seeded } from "../helpers/random.ts";

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
    return Response.json({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "up",
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 1 },
    });
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

function app(): TestApp["app"] {
  const config = testConfig({ providers: PROVIDERS, routes: { default: "anth/m" } });
  return testApp(config, {
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      Promise.resolve(upstream(input, init)),
  }).app;
}

const ODD: unknown[] = [
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

const FIELDS = [
  "model",
  "messages",
  "max_tokens",
  "system",
  "tools",
  "tool_choice",
  "thinking",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "metadata",
  "output_config",
  "output_format",
  "context_management",
  "service_tier",
  "container",
  "mcp_servers",
];

// Values inside the fields ccp reads further than their top level.
const NESTED: Record<string, unknown>[] = [
  { messages: [null] },
  { messages: [{ role: "user" }] },
  { messages: [{ role: "user", content: [null] }] },
  { messages: [{ role: "user", content: [{ type: 5 }] }] },
  { messages: [{ role: "user", content: [{ type: "text", text: "a", cache_control: 5 }] }] },
  { messages: [{ role: "user", content: [{ type: "text", text: "a", citations: "x" }] }] },
  {
    messages: [{
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "t", content: [5] }],
    }],
  },
  {
    messages: [{
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "image", source: 1 }] }],
    }],
  },
  { messages: [{ role: "user", content: [{ type: "image", source: { type: 5 } }] }] },
  { messages: [{ role: "user", content: [{ type: "image", source: { type: "base64" } }] }] },
  { messages: [{ role: "user", content: [{ type: "document", source: null }] }] },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "tool_use", id: 5, name: "x", input: {} }],
    }],
  },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "tool_use", id: "t", name: "x", input: "str" }],
    }],
  },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "thinking", thinking: "t", signature: 5 }],
    }],
  },
  {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{ type: "server_tool_use", id: "s", name: "web_search", input: null }],
    }, {
      role: "user",
      content: [{ type: "web_search_tool_result", tool_use_id: "s", content: 5 }],
    }],
  },
  { messages: [{ role: "system", content: 5 }] },
  { messages: [{ role: "user", content: "a" }, { role: "system", content: [{ type: "text" }] }] },
  { system: [null] },
  { system: [{ type: "text", text: 5 }] },
  { system: [{ type: "text", text: "a", cache_control: "x" }] },
  { tools: [null] },
  { tools: [{ name: "" }] },
  { tools: [{ name: "t", input_schema: null }] },
  { tools: [{ name: "t", input_schema: "x" }] },
  { tools: [{ name: "t", input_schema: { type: "object", properties: [] } }] },
  { tools: [{ name: "t", input_schema: { type: "object", properties: { a: null } } }] },
  { tools: [{ name: "t", input_schema: { type: "object", required: "a" } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: "#/%E0%A4%A" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: "#/__proto__" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: "#" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { $ref: 5 } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { anyOf: 5, enum: "x" } } } }] },
  { tools: [{ name: "t", input_schema: { properties: { a: { type: ["string", 5] } } } }] },
  { tools: [{ name: "t", description: 5, input_schema: {} }] },
  { tools: [{ type: "web_search_20250305", name: "web_search", max_uses: "x" }] },
  { tools: [{ type: "web_search_20250305", name: "web_search", allowed_domains: 5 }] },
  { tool_choice: { type: "tool", name: 5 } },
  { tool_choice: { type: "auto", disable_parallel_tool_use: "x" } },
  { thinking: { type: "enabled", budget_tokens: 1e308 } },
  { thinking: { type: "enabled", budget_tokens: -5 } },
  { thinking: { type: "adaptive", display: 5 } },
  { metadata: { user_id: 5 } },
  { metadata: { user_id: "{not json" } },
  { output_config: { effort: 5 } },
  { output_config: { format: 5 } },
  { output_config: { format: { type: "json_schema", schema: null } } },
  { output_format: { type: "json_schema", schema: "x" } },
  { context_management: { edits: 5 } },
  { context_management: { edits: [null] } },
  { max_tokens: 1e308 },
  { max_tokens: 2 ** 53 },
  { stop_sequences: ["", ""] },
  { model: "x".repeat(100_000) },
  { model: "anth/" },
  { model: "/m" },
  { model: "nope/m" },
  { model: "oai/\u0000" },
];

function base(model: string): Record<string, unknown> {
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
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("no answer within 1 s")), 1000);
  });
  try {
    const res = await Promise.race([request, late]);
    const text = await Promise.race([res.text(), late]);
    return { status: res.status, text };
  } finally {
    clearTimeout(timer);
  }
}

function assertAnswer(status: number, text: string, what: string): void {
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

/** `leaf` wrapped `n` times by `wrap`. */
function nested(n: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let i = 0; i < n; i++) value = wrap(value);
  return value;
}

const TEXT = { type: "text", text: "x" };
const user = (block: unknown) => [{ role: "user", content: [block] }];

// Requests nested deeper than any recursive walk can follow.
const DEEP: Record<string, Record<string, unknown>> = {
  "tool_result inside tool_result": {
    messages: user(
      nested(20_000, TEXT, (b) => ({ type: "tool_result", tool_use_id: "t", content: [b] })),
    ),
  },
  "the same, with another mistake": {
    max_tokens: 0,
    messages: user(
      nested(2_000, TEXT, (b) => ({ type: "tool_result", tool_use_id: "t", content: [b] })),
    ),
  },
  "document inside document": {
    messages: user(nested(20_000, TEXT, (b) => ({
      type: "document",
      source: { type: "content", content: [b] },
    }))),
  },
  "a tool schema": {
    tools: [{
      name: "t",
      input_schema: nested(20_000, { type: "string" }, (s) => ({
        type: "object",
        properties: { a: s },
      })),
    }],
  },
  "tool input": {
    messages: [{ role: "user", content: "a" }, {
      role: "assistant",
      content: [{
        type: "tool_use",
        id: "t",
        name: "x",
        input: nested(20_000, 1, (v) => ({ a: v })),
      }],
    }, { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "ok" }] }],
  },
  "an unknown field": { future: nested(20_000, 1, (v) => [v]) },
};

Deno.test("a request nested thousands of levels deep gets a 2xx or a 400, never a 500", async (t) => {
  const server = app();
  for (const model of ["anth/m", "oai/m", "resp/m", "gem/m"]) {
    await t.step(model, async () => {
      for (const [name, over] of Object.entries(DEEP)) {
        for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
          const { status, text } = await post(server, path, { ...base(model), ...over });
          assertAnswer(status, text, `${path} ${name}`);
          if (status >= 400) assert.match(JSON.parse(text).error.message, /nested too deeply/);
        }
      }
    });
  }
});

Deno.test("property: any top-level field of any type gets a 2xx or an Anthropic 4xx", async (t) => {
  const server = app();
  for (const model of ["anth/m", "oai/m", "resp/m", "gem/m"]) {
    await t.step(model, async () => {
      const cases: Record<string, unknown>[] = [];
      for (const field of FIELDS) for (const value of ODD) cases.push({ [field]: value });
      cases.push(...NESTED);
      for (const over of cases) {
        for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
          for (const stream of path === "/v1/messages" ? [true, false] : [false]) {
            const body = { ...base(model), stream, ...over };
            const { status, text } = await post(server, path, body);
            assertAnswer(status, text, `${path} ${JSON.stringify(over).slice(0, 200)}`);
          }
        }
      }
    });
  }
});

/** Random, mostly well-formed conversations: every block type, odd values inside. */
function conversation(random: () => number): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const odd = () => pick<unknown>([...ODD, "ccp:v1:!!!", "ccp:v1:e30", "data:,x", "%%%"]);
  const maybe = (value: () => unknown) => (random() < 0.3 ? odd() : value());
  const text = () => pick(["hi", "", " ", "<think>x</think>", "é😀", "\u0000", "a".repeat(3000)]);
  const base64 = () =>
    pick(["iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk", "!!!!", "", "JVBERi0x"]);
  const source = () =>
    pick([
      { type: "base64", media_type: maybe(() => "image/png"), data: maybe(base64) },
      { type: "url", url: maybe(() => pick(["https://x.test/a.png", "ftp://x", "not a url", ""])) },
      { type: "text", media_type: "text/plain", data: maybe(text) },
      { type: "content", content: maybe(() => [{ type: "text", text: text() }]) },
      { type: "file", file_id: maybe(() => "file_1") },
      { type: maybe(() => "weird") },
    ]);
  const id = () => maybe(() => pick(["toolu_1", "toolu_2", "", "x y"]));
  const userBlock = (): unknown =>
    pick([
      { type: "text", text: maybe(text), cache_control: maybe(() => ({ type: "ephemeral" })) },
      { type: "image", source: source() },
      { type: "document", source: source(), title: maybe(text), citations: maybe(() => ({})) },
      {
        type: "tool_result",
        tool_use_id: id(),
        content: maybe(() =>
          pick([
            text(),
            [{ type: "text", text: text() }],
            [{ type: "image", source: source() }],
            [{ type: "document", source: source() }],
            [{ type: "search_result", source: "s", title: "t", content: maybe(() => []) }],
            [{ type: "tool_reference", tool_name: maybe(() => "Bash") }],
            [odd(), odd()],
          ])
        ),
        is_error: maybe(() => true),
      },
      { type: "search_result", source: maybe(text), title: maybe(text), content: maybe(() => []) },
      { type: maybe(() => "container_upload"), file_id: maybe(() => "f") },
    ]);
  const assistantBlock = (): unknown =>
    pick([
      { type: "text", text: maybe(text), citations: maybe(() => [{ type: "x" }]) },
      {
        type: "thinking",
        thinking: maybe(text),
        signature: maybe(() => pick(["sig", "ccp:v1:x"])),
      },
      { type: "redacted_thinking", data: maybe(() => "abc") },
      {
        type: "tool_use",
        id: id(),
        name: maybe(() => pick(["Bash", "Read", "x".repeat(200)])),
        input: maybe(() => ({ a: 1 })),
      },
      {
        type: "server_tool_use",
        id: id(),
        name: maybe(() => "web_search"),
        input: maybe(() => ({ query: "q" })),
      },
      {
        type: "web_search_tool_result",
        tool_use_id: id(),
        content: maybe(
          () => [{
            type: "web_search_result",
            url: "https://x.test",
            title: "t",
            encrypted_content: "e",
          }],
        ),
      },
      {
        type: "web_fetch_tool_result",
        tool_use_id: id(),
        content: maybe(() => ({
          type: "web_fetch_result",
          url: "u",
          content: { type: "document" },
        })),
      },
    ]);
  const blocks = (make: () => unknown) =>
    random() < 0.2 ? text() : Array.from({ length: 1 + Math.floor(random() * 3) }, make);
  const messages = Array.from(
    { length: 1 + Math.floor(random() * 5) },
    (_, i) =>
      i % 2 === 0
        ? { role: pick(["user", "user", "system"]), content: blocks(userBlock) }
        : { role: "assistant", content: blocks(assistantBlock) },
  );
  const tool = () =>
    pick([
      {
        name: pick(["Bash", "Read", "a-b.c", "x".repeat(100)]),
        description: maybe(text),
        input_schema: maybe(() => ({
          type: "object",
          properties: { a: { type: pick(["string", "integer", ["null", "array"]]) } },
        })),
      },
      { type: "web_search_20250305", name: "web_search", max_uses: maybe(() => 2) },
      { type: "web_fetch_20250910", name: "web_fetch" },
      {
        type: "custom",
        name: "c",
        input_schema: { type: "object" },
        defer_loading: maybe(() => true),
      },
    ]);
  const extra = () =>
    pick<Record<string, unknown>>([
      { output_config: maybe(() => ({ effort: pick(["low", "max", "x"]) })) },
      {
        output_config: {
          format: maybe(() => ({ type: "json_schema", schema: maybe(() => ({ type: "object" })) })),
        },
      },
      { output_format: maybe(() => ({ type: "json_schema", schema: { type: "object" } })) },
      { stop_sequences: maybe(() => Array.from({ length: 10 }, text)) },
      { temperature: maybe(() => 0.5), top_p: maybe(() => 0.9), top_k: maybe(() => 5) },
      { metadata: maybe(() => ({ user_id: maybe(() => '{"session_id":"s"}') })) },
      { context_management: maybe(() => ({ edits: [{ type: "clear_thinking_20251015" }] })) },
      { max_tokens: pick([1, 16, 2 ** 31, 2 ** 53 - 1]) },
      { service_tier: maybe(() => "auto") },
    ]);
  return {
    ...extra(),
    messages,
    ...(random() < 0.5
      ? { tools: Array.from({ length: 1 + Math.floor(random() * 3) }, tool) }
      : {}),
    ...(random() < 0.3
      ? { tool_choice: pick([{ type: "any" }, { type: "tool", name: "Bash" }, { type: "none" }]) }
      : {}),
    ...(random() < 0.3
      ? {
        thinking: pick([{ type: "enabled", budget_tokens: 1024 }, { type: "adaptive" }, {
          type: "disabled",
        }]),
      }
      : {}),
    ...(random() < 0.3 ? { system: pick([text(), [{ type: "text", text: text() }]]) } : {}),
  };
}

Deno.test("property: random conversations with odd values inside get a 2xx or a 4xx", async (t) => {
  const server = app();
  for (const model of ["anth/m", "oai/m", "resp/m", "gem/m"]) {
    await t.step(model, async () => {
      const random = seeded(model.length * 104729 + model.charCodeAt(0));
      for (let run = 0; run < 150; run++) {
        const over = conversation(random);
        for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
          const stream = random() < 0.5;
          const { status, text } = await post(server, path, { ...base(model), stream, ...over });
          assertAnswer(status, text, `${path} ${JSON.stringify(over)}`);
        }
      }
    });
  }
});
