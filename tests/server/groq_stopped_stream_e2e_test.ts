/**
 * Groq stops a stream early by saying why in `x_groq.error` on a chunk of an otherwise ordinary
 * stream (its finish may read `stop`). Served through ccp, Claude Code must get an `error` event
 * naming provider and model, never a `message_stop` that makes the cut answer look finished.
 */

import assert from "node:assert/strict";
import { chatChunk, startOpenAIMock } from "../mocks/openai_mock.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const stopped = (error: string) =>
  chatChunk({ role: "assistant", content: "" }) + chatChunk({ content: "The first half of" }) +
  `data: ${
    JSON.stringify({
      id: "c",
      object: "chat.completion.chunk",
      created: 1,
      model: "openai/gpt-oss-120b",
      choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
      x_groq: { id: "req_01", error, usage: { prompt_tokens: 20, completion_tokens: 4 } },
    })
  }\n\n` + "data: [DONE]\n\n";

Deno.test("groq: a stream Groq stopped early reaches Claude Code as an error event", async (t) => {
  for (
    const [error, type] of [
      ["internal server error while generating", "api_error"],
      ["the model is over capacity, please retry", "overloaded_error"],
    ]
  ) {
    await t.step(type!, async () => {
      const mock = startOpenAIMock({ sse: stopped(error!) });
      const ccp = startCcp(testConfig({
        providers: [
          provider("groq", {
            type: "openai",
            preset: "groq",
            baseUrl: mock.url,
            apiKeys: ["gsk_0000000000000000000000"],
            authHeader: "bearer",
          }),
        ],
        routes: { default: "groq/openai/gpt-oss-120b" },
      }));
      try {
        const res = await fetch(`${ccp.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "claude-opus-5-5",
            max_tokens: 1000,
            stream: true,
            messages: [{ role: "user", content: "write it" }],
          }),
        });
        assert.equal(res.status, 200);
        const events = parseSse(await res.text());
        const last = events.at(-1)!;
        assert.equal(last.event, "error");
        const said = last.data.error as { type: string; message: string };
        assert.equal(said.type, type);
        assert.match(said.message, /"groq" \(model openai\/gpt-oss-120b\)/);
        assert.ok(said.message.endsWith(`reported an error mid-stream: ${error}`), said.message);
        assert.ok(!events.some((e) => e.event === "message_stop"), "no message_stop");
      } finally {
        await ccp.close();
        await mock.close();
      }
    });
  }
});
