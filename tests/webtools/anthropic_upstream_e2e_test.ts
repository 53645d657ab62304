/**
 * Web search tools on an Anthropic upstream: an Anthropic-compatible one gets them as functions
 * and ccp runs the loop; Anthropic's own endpoint gets them untouched and runs it itself.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startWebMock } from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL, webTools } from "./_loop_env.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

Deno.test("an Anthropic-compatible upstream gets the functions and the loop", async () => {
  const bodies: Array<Record<string, unknown>> = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const body = await req.json();
      bodies.push(body);
      const messages = body.messages as Array<{ content: unknown }>;
      const last = JSON.stringify(messages.at(-1)?.content ?? "");
      const content = last.includes("tool_result")
        ? [{ type: "text", text: last.includes("384,400") ? "It is 384,400 km." : "unknown" }]
        : [{ type: "tool_use", id: "toolu_01", name: "web_search", input: { query: "moon" } }];
      return Response.json({
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "glm",
        content,
        stop_reason: content[0]!.type === "text" ? "end_turn" : "tool_use",
        stop_sequence: null,
        usage: { input_tokens: 50, output_tokens: 5 },
      });
    },
  );
  const web = startWebMock();
  const ccp = startCcp({
    ...testConfig({
      providers: [provider("zai", { baseUrl: `http://127.0.0.1:${upstream.addr.port}` })],
      routes: { default: "zai/glm" },
    }),
    webTools: webTools(web.url),
  });
  try {
    const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
    const msg = await res.json();
    assert.deepEqual(msg.content.map((b: { type: string }) => b.type), [
      "server_tool_use",
      "web_search_tool_result",
      "text",
    ]);
    assert.equal(msg.content[2].text, "It is 384,400 km.");
    assert.equal(msg.usage.input_tokens, 100);
    const offered = bodies[0]!.tools as Array<Record<string, unknown>>;
    assert.deepEqual(offered.map((x) => [x.name, x.type]), [["web_search", undefined]]);
    assert.equal(bodies.length, 2);
  } finally {
    await ccp.close();
    await web.close();
    await upstream.shutdown();
  }
});

Deno.test("web search tools reach a real Anthropic endpoint untouched", async () => {
  const bodies: Array<Record<string, unknown>> = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      bodies.push(await req.json());
      return Response.json(
        textMessage("claude-sonnet-4-6", { input_tokens: 1, output_tokens: 1 }, "ok"),
      );
    },
  );
  const web = startWebMock();
  const ccp = startCcp({
    ...testConfig({
      providers: [
        provider("anthropic", {
          preset: "anthropic",
          baseUrl: `http://127.0.0.1:${upstream.addr.port}`,
        }),
      ],
      routes: { default: "anthropic/claude-sonnet-4-6" },
    }),
    webTools: webTools(web.url),
  });
  try {
    const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.deepEqual(bodies[0]!.tools, [SEARCH_TOOL]);
    assert.deepEqual(web.paths, []);
  } finally {
    await ccp.close();
    await web.close();
    await upstream.shutdown();
  }
});
