import assert from "node:assert/strict";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const fixture = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url));

const request = (stream: boolean) => ({
  model: "claude-opus-5-5",
  max_tokens: 64000,
  stream,
  system: [{ type: "text", text: "You are helpful.", cache_control: { type: "ephemeral" } }],
  messages: [{ role: "user", content: "read the file" }],
  tools: [{
    name: "Read",
    description: "Read a file",
    input_schema: { type: "object", properties: { file_path: { type: "string" } } },
  }],
});

Deno.test("openai provider: a streamed tool call comes back as Anthropic SSE", async () => {
  const mock = startOpenAIMock({ sse: fixture("reasoning_content_text_tool.sse") });
  const ccp = startCcp(testConfig({
    providers: [
      provider("ds", {
        type: "openai",
        preset: "deepseek",
        baseUrl: mock.url,
        apiKeys: ["sk-deepseek-0000000000"],
        authHeader: "bearer",
      }),
    ],
    routes: { default: "ds/deepseek-chat" },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request(true)),
    });
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(events[0]!.event, "message_start");
    const start = events[0]!.data.message as Record<string, unknown>;
    assert.equal(start.model, "claude-opus-5-5");
    assert.equal(
      (start.usage as Record<string, number>).input_tokens,
      7,
      "ccp's local count, never 0",
    );
    assert.equal(events.at(-1)!.event, "message_stop");
    const blocks = events.filter((e) => e.event === "content_block_start").map((e) =>
      (e.data.content_block as { type: string }).type
    );
    assert.ok(blocks.includes("tool_use"), JSON.stringify(blocks));
    const sent = mock.requests[0]!;
    assert.equal(sent.path, "/v1/chat/completions");
    assert.equal(sent.headers.get("authorization"), "Bearer sk-deepseek-0000000000");
    assert.equal(sent.body.model, "deepseek-chat");
    assert.equal(sent.body.stream, true);
    assert.equal((sent.body.messages as Array<{ role: string }>)[0]!.role, "system");
    assert.ok(
      ccp.logs.some((l) => /claude-opus-5-5 → ds\/deepseek-chat 200 .* stream/.test(l)),
      ccp.logs.join(""),
    );
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("openai provider: non-streaming answer becomes an Anthropic Message", async () => {
  const mock = startOpenAIMock({
    json: {
      id: "chatcmpl-9",
      object: "chat.completion",
      model: "gpt-4.1",
      choices: [{
        index: 0,
        message: { role: "assistant", content: "Hello there" },
        finish_reason: "stop",
      }],
      usage: { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 },
    },
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("oa", { type: "openai", preset: "openai", baseUrl: mock.url, authHeader: "bearer" }),
    ],
    routes: { default: "oa/gpt-4.1" },
  }));
  try {
    const res = await postMessages(ccp.url, request(false));
    const json = await res.json();
    assert.equal(json.type, "message");
    assert.equal(json.model, "claude-opus-5-5");
    assert.deepEqual(json.content, [{ type: "text", text: "Hello there" }]);
    assert.equal(json.stop_reason, "end_turn");
    assert.equal(json.usage.output_tokens, 3);
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("openai provider: upstream 400 keeps its message, names provider and model", async () => {
  const mock = startOpenAIMock({
    status: 400,
    json: { error: { message: "max_tokens is too large: 64000", type: "invalid_request_error" } },
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("groq", { type: "openai", preset: "groq", baseUrl: mock.url, authHeader: "bearer" }),
    ],
    routes: { default: "groq/llama" },
  }));
  try {
    const res = await postMessages(ccp.url, request(true));
    assert.equal(res.status, 400);
    const json = await res.json();
    assert.equal(json.error.type, "invalid_request_error");
    assert.match(json.error.message, /groq/);
    assert.match(json.error.message, /llama/);
    assert.match(json.error.message, /max_tokens is too large/);
  } finally {
    await ccp.close();
    await mock.close();
  }
});
