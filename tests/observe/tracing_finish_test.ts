/**
 * `gen_ai.response.finish_reasons` on the server span and the attempt that answered, for each
 * way an answer reaches the client: passthrough JSON, a passthrough stream, a passthrough stream
 * collected for a client that asked for JSON, and a translated answer streamed and not.
 */

import assert from "node:assert/strict";
import { textMessage, textTurn, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { chatChunk, startOpenAIMock } from "../mocks/openai_mock.ts";
import { attr, type Span, startCollector } from "../mocks/otlp_collector.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const ask = (model: string, stream: boolean) => ({
  model,
  max_tokens: 10,
  stream,
  messages: [{ role: "user", content: "hello" }],
});

Deno.test("tracing: each path's stop reason is the spans' finish reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_otlp_finish_" });
  const cut = { ...textMessage("main", { input_tokens: 4, output_tokens: 10 }) };
  cut.stop_reason = "max_tokens";
  const anthropic = startAnthropicMock([
    { kind: "json", body: cut },
    { kind: "stream", events: thinkingTextToolTurn("main") },
    // A stream answering a client that asked for JSON: collected, then answered whole.
    { kind: "stream", events: textTurn("main", 2) },
  ]);
  const openai = startOpenAIMock({
    sse: chatChunk({ role: "assistant", content: "hi" }) + chatChunk({}, "length") +
      "data: [DONE]\n\n",
    json: {
      id: "c",
      object: "chat.completion",
      created: 1,
      model: "gpt",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
    },
  });
  const collector = startCollector();
  const ctx = testContext(dir);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
providers:
  a: { type: anthropic, base_url: "${anthropic.url}", api_key: sk-a-0123456789abcdef }
  o: { type: openai, base_url: "${openai.url}", api_key: sk-o-0123456789abcdef }
routes:
  default: a/main
  haiku: o/gpt
tracing: { endpoint: ${collector.url} }
`,
    );
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      for (
        const [model, stream] of [
          ["claude-sonnet-4-5", false],
          ["claude-sonnet-4-5", true],
          ["claude-sonnet-4-5", false],
          ["claude-haiku-4-5", true],
          ["claude-haiku-4-5", false],
        ] as const
      ) {
        const res = await postMessages(server.url, ask(model, stream));
        assert.equal(res.status, 200, await res.clone().text());
        await res.text();
      }
    } finally {
      await server.stop();
      await server.finished;
    }
    assert.deepEqual(collector.problems, []);
    const servers = collector.spans().filter((s) => s.kind === 2);
    servers.sort((x, y) => Number(BigInt(x.startTimeUnixNano) - BigInt(y.startTimeUnixNano)));
    const reasons = servers.map((s) => attr(s, "gen_ai.response.finish_reasons"));
    assert.deepEqual(reasons, [
      ["max_tokens"], // passthrough JSON
      ["tool_use"], // passthrough stream
      ["end_turn"], // passthrough stream collected into JSON
      ["max_tokens"], // translated stream (OpenAI's `length`)
      ["end_turn"], // translated JSON (OpenAI's `stop`)
    ]);
    // The attempt that answered says the same; its server span's children are the attempts.
    for (const server of servers) {
      const [attempt] = collector.spans().filter((s: Span) => s.parentSpanId === server.spanId);
      assert.deepEqual(
        attr(attempt!, "gen_ai.response.finish_reasons"),
        attr(server, "gen_ai.response.finish_reasons"),
      );
    }
  } finally {
    await Promise.all([anthropic.close(), openai.close(), collector.close()]);
    await Deno.remove(dir, { recursive: true });
  }
});
