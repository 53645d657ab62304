import assert from "node:assert/strict";
import {
  type Message,
  MessageStream,
  type MessageStreamEvent,
  Stream,
} from "../helpers/anthropic_sdk.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import { startGeminiMock } from "../mocks/gemini_mock.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/gemini/${name}`, import.meta.url));

const KEY = "AIzaSyTEST-0000000000000000000000000000";

function gemini(baseUrl: string, over: Partial<ProviderConfig> = {}): ProviderConfig {
  return provider("gem", {
    type: "gemini",
    preset: "gemini",
    baseUrl,
    apiKeys: [KEY],
    authHeader: "x-goog-api-key",
    ...over,
  });
}

const TOOLS = [{
  name: "Bash",
  description: "Run a command",
  input_schema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: { command: { type: "string" }, description: { type: "string" } },
    required: ["command"],
    additionalProperties: false,
  },
}];

const request = (stream: boolean, messages: unknown[] = [{ role: "user", content: "list" }]) => ({
  model: "claude-opus-5-5",
  max_tokens: 128000,
  stream,
  system: [{ type: "text", text: "You are helpful.", cache_control: { type: "ephemeral" } }],
  messages,
  tools: TOOLS,
  thinking: { type: "adaptive" },
  output_config: { effort: "medium" },
});

function post(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/messages?beta=true`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
  });
}

async function sdkMessage(sse: string): Promise<Message> {
  const response = new Response(sse, { headers: { "content-type": "text/event-stream" } });
  const events = Stream.fromSSEResponse<MessageStreamEvent>(response, new AbortController());
  return await MessageStream.fromReadableStream(events.toReadableStream()).finalMessage();
}

Deno.test("gemini provider: a streamed thought + tool call, then its signature comes back", async () => {
  const mock = startGeminiMock({ sse: fixture("function_call_signature.sse") });
  const ccp = startCcp(testConfig({
    providers: [gemini(mock.url)],
    routes: { default: "gem/gemini-3-pro-preview" },
  }));
  try {
    const res = await post(ccp.url, request(true));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const sse = await res.text();
    const events = parseSse(sse);
    assert.equal(events[0]!.event, "message_start");
    const start = events[0]!.data.message as Record<string, unknown>;
    assert.equal(start.model, "claude-opus-5-5");
    assert.equal((start.usage as Record<string, number>).input_tokens, 7, "local count, never 0");
    assert.equal(events.at(-1)!.event, "message_stop");
    const message = await sdkMessage(sse);
    assert.equal(message.stop_reason, "tool_use");
    assert.deepEqual(message.content.map((b) => b.type), ["thinking", "tool_use"]);

    const sent = mock.requests[0]!;
    assert.equal(sent.path, "/v1beta/models/gemini-3-pro-preview:streamGenerateContent");
    assert.equal(sent.search, "?alt=sse");
    assert.equal(sent.headers.get("x-goog-api-key"), KEY);
    assert.equal(sent.headers.get("authorization"), null);
    assert.equal(sent.headers.get("accept"), "text/event-stream");
    assert.deepEqual(sent.body.systemInstruction, { parts: [{ text: "You are helpful." }] });
    assert.deepEqual(sent.body.generationConfig, {
      maxOutputTokens: 65536,
      thinkingConfig: { thinkingLevel: "high", includeThoughts: true },
    });
    assert.ok(!JSON.stringify(sent.body).includes("additionalProperties"));
    assert.ok(
      ccp.logs.some((l) => /claude-opus-5-5 → gem\/gemini-3-pro-preview 200 .* stream/.test(l)),
      ccp.logs.join(""),
    );

    // Claude Code's next turn carries the answer back verbatim: the call gets its signature.
    const toolUse = message.content[1]!;
    assert.ok(toolUse.type === "tool_use");
    const next = await post(
      ccp.url,
      request(true, [
        { role: "user", content: "list" },
        { role: "assistant", content: message.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "a.txt" }],
        },
      ]),
    );
    await next.body?.cancel();
    const contents = mock.requests[1]!.body.contents as Array<{ parts: unknown[] }>;
    assert.deepEqual(contents[1]!.parts, [{
      functionCall: { name: "Bash", args: { command: "ls -la", description: "List files" } },
      thoughtSignature: "RkNfU0lH",
    }]);
    assert.deepEqual(contents[2]!.parts, [
      { functionResponse: { name: "Bash", response: { result: "a.txt" } } },
    ]);
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("gemini provider: a non-streaming answer becomes an Anthropic Message", async () => {
  const mock = startGeminiMock({
    json: {
      candidates: [{
        content: { role: "model", parts: [{ text: "Hello there" }] },
        finishReason: "STOP",
        index: 0,
      }],
      usageMetadata: { promptTokenCount: 20, candidatesTokenCount: 3, totalTokenCount: 23 },
      modelVersion: "gemini-2.5-flash",
    },
  });
  const ccp = startCcp(testConfig({
    providers: [gemini(mock.url)],
    routes: { default: "gem/gemini-2.5-flash" },
  }));
  try {
    const res = await post(ccp.url, request(false));
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.type, "message");
    assert.equal(json.model, "claude-opus-5-5");
    assert.deepEqual(json.content, [{ type: "text", text: "Hello there" }]);
    assert.equal(json.stop_reason, "end_turn");
    assert.equal(json.usage.input_tokens, 20);
    assert.equal(json.usage.output_tokens, 3);
    const sent = mock.requests[0]!;
    assert.equal(sent.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert.equal(sent.search, "");
    assert.deepEqual((sent.body.generationConfig as Record<string, unknown>).thinkingConfig, {
      thinkingBudget: 8192,
      includeThoughts: true,
    });
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("gemini provider: a model named as Gemini's model list names it (models/…) is called by its id", async () => {
  const mock = startGeminiMock({
    json: {
      candidates: [{ content: { role: "model", parts: [{ text: "Hi" }] }, finishReason: "STOP" }],
      usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1, totalTokenCount: 3 },
    },
  });
  const ccp = startCcp(testConfig({
    providers: [gemini(mock.url)],
    routes: { default: "gem/models/gemini-2.5-flash" },
  }));
  try {
    const res = await post(ccp.url, request(false));
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()).content, [{ type: "text", text: "Hi" }]);
    assert.equal(mock.requests[0]!.path, "/v1beta/models/gemini-2.5-flash:generateContent");
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("gemini provider: Gemini's error body keeps its message, names provider and model", async () => {
  const mock = startGeminiMock({
    status: 400,
    json: {
      error: {
        code: 400,
        message: "* GenerateContentRequest.contents: contents is not specified",
        status: "INVALID_ARGUMENT",
      },
    },
  });
  const ccp = startCcp(testConfig({
    providers: [gemini(mock.url, { maxRetries: 0 })],
    routes: { default: "gem/gemini-2.5-pro" },
  }));
  try {
    const res = await post(ccp.url, request(true));
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.error.type, "invalid_request_error");
    assert.match(json.error.message, /"gem"/);
    assert.match(json.error.message, /gemini-2\.5-pro/);
    assert.match(json.error.message, /contents is not specified/);
    assert.ok(!JSON.stringify(json).includes(KEY));
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("gemini provider: an image Gemini cannot read is a 400 before any upstream call", async () => {
  const mock = startGeminiMock({ json: {} });
  const ccp = startCcp(testConfig({
    providers: [gemini(mock.url)],
    routes: { default: "gem/gemini-2.5-flash" },
  }));
  try {
    const res = await post(
      ccp.url,
      request(true, [{
        role: "user",
        content: [{ type: "image", source: { type: "file", file_id: "file_011CNha8" } }],
      }]),
    );
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.error.type, "invalid_request_error");
    assert.match(json.error.message, /Image source "file" cannot be sent to provider "gem"/);
    assert.equal(mock.requests.length, 0);
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test(
  "gemini provider: a tool call the output limit cut short ends with max_tokens, streamed or not",
  async () => {
    const sse = fixture("max_tokens_call.sse");
    const last = JSON.parse(sse.trim().split("\n\n").at(-1)!.slice("data: ".length));
    const whole = {
      ...last,
      candidates: [{
        ...last.candidates[0],
        content: {
          role: "model",
          parts: [{ text: "Writing the notes." }, ...last.candidates[0].content.parts],
        },
      }],
    };
    const mock = startGeminiMock({ sse, json: whole });
    const ccp = startCcp(testConfig({
      providers: [gemini(mock.url)],
      routes: { default: "gem/gemini-2.5-flash" },
    }));
    try {
      for (const stream of [true, false]) {
        const res = await post(ccp.url, request(stream));
        assert.equal(res.status, 200);
        const message = stream ? await sdkMessage(await res.text()) : await res.json() as Message;
        assert.equal(message.stop_reason, "max_tokens", `stream: ${stream}`);
        assert.deepEqual(message.content.map((b) => b.type), ["text", "tool_use"]);
        const call = message.content[1]!;
        assert.deepEqual(call.type === "tool_use" && call.input, {
          command: "cat > notes.md <<'END'\n# Notes\n",
        });
      }
    } finally {
      await ccp.close();
      await mock.close();
    }
  },
);

Deno.test("gemini: a model name holding a lone surrogate goes upstream with U+FFFD, not a 500", async () => {
  // JSON may escape half of a UTF-16 pair alone; percent-encoding it into the URL threw.
  const mock = startGeminiMock({
    json: {
      candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1 },
    },
  });
  const ccp = startCcp(testConfig({
    providers: [gemini(mock.url)],
    routes: { default: "gem/gemini-2.5-flash" },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "gem/m\ud800x",
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 200, await res.clone().text());
    await res.body?.cancel();
    assert.equal(mock.requests[0]!.path, `/v1beta/models/m%EF%BF%BDx:generateContent`);
  } finally {
    await ccp.close();
    await mock.close();
  }
});
