/**
 * Thinking a local model wrote comes back in Claude Code's history with an empty signature (ccp
 * read it out of `<think>` text, or the server signed it so). The local servers' Anthropic
 * endpoints take such a block and give its text to the model as its earlier reasoning: Ollama
 * reads only `thinking` (the message's thinking), llama.cpp only `thinking` (the message's
 * `reasoning_content`), vLLM has `signature` optional. So ccp sends the block as it came, with
 * no refusal and no second try, and the reasoning a tool loop goes on from is not lost.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

const THINKING = { type: "thinking", thinking: "Read the file first.", signature: "" };

const REQUEST = {
  model: "claude-sonnet-4-6",
  max_tokens: 1000,
  thinking: { type: "adaptive" },
  tools: [{ name: "Read", input_schema: { type: "object" } }],
  messages: [
    { role: "user", content: "read /a" },
    {
      role: "assistant",
      content: [THINKING, {
        type: "tool_use",
        id: "toolu_ccp_1",
        name: "Read",
        input: { file_path: "/a" },
      }],
    },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: "toolu_ccp_1", content: "hello" }],
    },
  ],
};

Deno.test("local servers are sent the history's empty-signature thinking as it came, once", async (t) => {
  const bodies: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (new URL(req.url).pathname.endsWith("/messages")) bodies.push(await req.json());
    else await req.body?.cancel();
    return new URL(req.url).pathname.endsWith("/messages")
      ? Response.json(textMessage("qwen3", { input_tokens: 9, output_tokens: 2 }, "ok"))
      : new Response("404 page not found", { status: 404 });
  });
  try {
    for (const preset of ["ollama", "llamacpp", "vllm", "lmstudio"]) {
      await t.step(preset, async () => {
        bodies.length = 0;
        const ccp = startCcp(testConfig({
          providers: [provider("local", {
            preset,
            baseUrl: `http://127.0.0.1:${server.addr.port}${preset === "ollama" ? "" : "/v1"}`,
          })],
          routes: { default: "local/qwen3" },
        }));
        try {
          const res = await postMessages(ccp.url, REQUEST);
          assert.equal(res.status, 200, await res.clone().text());
          await res.body?.cancel();
          assert.equal(bodies.length, 1, "one request, no second try");
          const history = bodies[0]!.messages as { role: string; content: unknown[] }[];
          assert.deepEqual(history[1]!.content[0], THINKING);
        } finally {
          await ccp.close();
        }
      });
    }
  } finally {
    await server.shutdown();
  }
});
