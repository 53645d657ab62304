/**
 * Each round of ccp's web tools meets the route's context windows as a plain request does: the
 * round after a search carries its results and may outgrow a window the first round fitted. Such
 * a round is passed to a target whose window may hold it, without being sent to the small one;
 * with no such target, the client gets Anthropic's `prompt is too long` with the provider's
 * numbers. The models refuse an over-long body with OpenAI's words, as the provider does.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { startCcp } from "../helpers/ccp.ts";
import { startWebMock } from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL } from "./_loop_env.ts";

/** Tokens of a conversation, for ccp's count and the models' alike: its tool results weigh. */
function tokensOf(messages: unknown[]): number {
  const results = JSON.stringify(messages).match(/"(?:tool_result|tool)"/g)?.length ?? 0;
  return 100 + 5000 * results;
}

/** An OpenAI-compatible model with a context window of `window` tokens: searches, then answers. */
function model(name: string, window: number, seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const prompt = tokensOf(body.messages);
    seen.push(`${name} ${prompt}`);
    if (prompt > window) {
      return Response.json({
        error: {
          message: `This model's maximum context length is ${window} tokens. However, you ` +
            `requested ${prompt + 16} tokens (${prompt} in the messages, 16 in the completion). ` +
            "Please reduce the length of the messages or completion.",
          type: "invalid_request_error",
          param: "messages",
          code: "context_length_exceeded",
        },
      }, { status: 400 });
    }
    const searched = body.messages.some((m: { role: string }) => m.role === "tool");
    const message = searched ? { role: "assistant", content: `${name} found it` } : {
      role: "assistant",
      content: null,
      tool_calls: [{
        id: "call_1",
        type: "function",
        function: { name: "web_search", arguments: '{"query":"moon distance"}' },
      }],
    };
    const finish = searched ? "stop" : "tool_calls";
    const usage = { prompt_tokens: prompt, completion_tokens: 5, total_tokens: prompt + 5 };
    if (!body.stream) {
      return Response.json({
        id: "c1",
        object: "chat.completion",
        model: body.model,
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      });
    }
    const chunk = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
    const delta = searched
      ? message
      : { ...message, tool_calls: message.tool_calls!.map((c, index) => ({ index, ...c })) };
    const sse = chunk({
      id: "c1",
      object: "chat.completion.chunk",
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: null }],
    }) +
      chunk({
        id: "c1",
        object: "chat.completion.chunk",
        model: body.model,
        choices: [{ index: 0, delta: {}, finish_reason: finish }],
        usage,
      }) + "data: [DONE]\n\n";
    return new Response(sse, { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/v1`, close: () => server.shutdown() };
}

/** ccp over `route`: `small` (a declared window of 2000) and `large` (one of 100000). */
function setup(route: string) {
  const seen: string[] = [];
  // ccp's counts of the prompt, in turn.
  const counted: number[] = [];
  const small = model("small", 2000, seen);
  const large = model("large", 100_000, seen);
  const web = startWebMock();
  const ccp = startCcp(
    configFromYaml({
      text: `
providers:
  small: { type: openai, base_url: ${small.url}, api_key: sk-s-0000, max_retries: 0, model_settings: { m: { context_window: 2000 } } }
  large: { type: openai, base_url: ${large.url}, api_key: sk-l-0000, max_retries: 0 }
routes:
  default: ${route}
web_tools:
  search: { provider: searxng, base_url: ${web.url} }
`,
      file: "config.yaml",
      path: "/abs/config.yaml",
      env: {},
    }),
    {
      countTokens: (body) => {
        const tokens = tokensOf((body.messages ?? []) as unknown[]);
        counted.push(tokens);
        return Promise.resolve(tokens);
      },
    },
  );
  return {
    seen,
    counted,
    ccp,
    close: async () => {
      await ccp.close();
      await small.close();
      await large.close();
      await web.close();
    },
  };
}

for (const stream of [false, true]) {
  const how = stream ? "streamed" : "JSON";
  Deno.test(`web tools (${how}): a round that outgrows the small window goes to the large one unsent`, async () => {
    const env = setup("[small/m, large/m]");
    try {
      const res = await post(env.ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL], stream });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.match(text, /large found it/);
      // The first round fits the small model; the second, with the results, is never sent it.
      assert.deepEqual(env.seen, ["small 100", "large 5100"]);
      // Each round is counted once, for the windows and the targets' own requests alike (a
      // count walks the whole round, pages and results included).
      assert.deepEqual(env.counted, [100, 5100]);
      const line = env.ccp.logs.find((l) => l.includes("POST /v1/messages")) ?? "";
      assert.match(
        line,
        /passed: small\/m \(not sent: window 2000, prompt 5100 by ccp's count\)/,
        env.ccp.logs.join("\n"),
      );
      if (!stream) {
        // A JSON answer's headers go out with the last round: they name the target passed.
        assert.equal(
          res.headers.get("x-ccp-passed"),
          "small/m (not sent: window 2000, prompt 5100 by ccp's count)",
        );
      }
    } finally {
      await env.close();
    }
  });
}

Deno.test("web tools: a round no target's window holds gets Anthropic's `prompt is too long`", async () => {
  const env = setup("small/m");
  try {
    const res = await post(env.ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
    const body = await res.json();
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /^prompt is too long: 5100 tokens > 2000 maximum/);
    assert.deepEqual(env.seen, ["small 100", "small 5100"]);
  } finally {
    await env.close();
  }
});
