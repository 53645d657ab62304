/**
 * Text Generation Inference 2.x behind ccp's Chat Completions path, answering a request that was
 * not streamed: when its model takes the tool grammar's `no_tool`, TGI answers a call of that name
 * with the answer in its `content`. Claude Code gets that answer as text, as it does streamed; a
 * request that offered a tool named `no_tool` itself gets the call.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { tgiCallAnswer } from "../mocks/tgi_answers.ts";

/** TGI 2.4's whole answer for a `no_tool` pick (the grammar's call, its arguments an object). */
const NO_TOOL = tgiCallAnswer("no_tool", { content: "The hosts file maps names to addresses." });

const tool = (name: string) => ({
  name,
  description: `The ${name} tool`,
  input_schema: { type: "object", properties: { content: { type: "string" } } },
});

Deno.test("TGI's no_tool in a whole answer reaches the client as its text", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json(NO_TOOL);
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("tgi", {
        type: "openai",
        baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
        maxRetries: 0,
      }),
    ],
    routes: { default: "tgi/tgi" },
  }));
  const ask = async (tools: string[]) => {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 512,
      tools: tools.map(tool),
      messages: [{ role: "user", content: "What is /etc/hosts for?" }],
    });
    assert.equal(res.status, 200);
    return await res.json();
  };
  try {
    const answer = await ask(["Read", "Bash"]);
    assert.deepEqual(answer.content, [
      { type: "text", text: "The hosts file maps names to addresses." },
    ]);
    assert.equal(answer.stop_reason, "end_turn");
    const called = await ask(["Read", "no_tool"]);
    assert.equal(called.stop_reason, "tool_use");
    assert.equal(called.content[0].name, "no_tool");
    assert.deepEqual(called.content[0].input, {
      content: "The hosts file maps names to addresses.",
    });
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});
