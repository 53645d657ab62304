/**
 * `thinking.display: "omitted"` (Claude Code 2.1.332 asks for it in `claude -p` runs with text or
 * JSON output) on a translated provider: ccp streams the reasoning as thinking text all the same,
 * because the text Claude Code sends back is what DeepSeek needs again on the tool-call turn.
 */

import assert from "node:assert/strict";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { accumulateAnthropicEvents } from "../../src/translate/anthropic/accumulate.ts";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";

const fixture = Deno.readTextFileSync(
  new URL("../fixtures/openai/reasoning_content_text_tool.sse", import.meta.url),
);

const tools = [{
  name: "Bash",
  description: "Run a command",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
}];

Deno.test("thinking display omitted: a DeepSeek answer's reasoning still streams as thinking text and goes back on the tool turn", async () => {
  const mock = startOpenAIMock({ sse: fixture });
  const ccp = startCcp(testConfig({
    providers: [provider("ds", {
      type: "openai",
      preset: "deepseek",
      baseUrl: mock.url,
      apiKeys: ["sk-ds-0000000000"],
      authHeader: "bearer",
    })],
    routes: { default: "ds/deepseek-chat" },
  }));
  const post = async (messages: unknown[]) => {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 32000,
        stream: true,
        thinking: { type: "adaptive", display: "omitted" },
        tools,
        messages,
      }),
    });
    assert.equal(res.status, 200);
    return parseSse(await res.text()).map((e) => e.data as unknown as AnthropicStreamEvent);
  };
  try {
    const ask = { role: "user", content: "list the files" };
    const answer = accumulateAnthropicEvents(await post([ask]));
    const thinking = answer.content.find((b) => b.type === "thinking");
    assert.equal(thinking?.type === "thinking" && thinking.thinking, "User wants a listing.");
    const call = answer.content.find((b) => b.type === "tool_use")!;
    assert.ok(call.type === "tool_use");
    await post([
      ask,
      { role: "assistant", content: answer.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "a b" }] },
    ]);
    const sent = mock.requests[1]!.body.messages as Array<Record<string, unknown>>;
    const turn = sent.find((m) => m.role === "assistant")!;
    assert.equal(turn.reasoning_content, "User wants a listing.");
  } finally {
    await ccp.close();
    await mock.close();
  }
});
