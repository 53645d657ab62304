/**
 * `server_tools: true`: a gateway that relays to Anthropic gets the web server tools untouched
 * and its answer (server_tool_use, web_search_tool_result) reaches the client as it came; when
 * it does not answer, the rest of the route gets ccp's own handling of the tools.
 */

import assert from "node:assert/strict";
import type { Config, WebToolsConfig } from "../../src/config/types.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents } from "../mocks/anthropic_fixtures.ts";
import { startScriptedOpenAI, startWebMock, trailingToolResults } from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL, webTools } from "./_loop_env.ts";

// What Anthropic answers a search with, as a gateway relays it.
const USE = {
  type: "server_tool_use",
  id: "srvtoolu_01A",
  name: "web_search",
  input: { query: "moon distance" },
};
const RESULT = {
  type: "web_search_tool_result",
  tool_use_id: "srvtoolu_01A",
  content: [{
    type: "web_search_result",
    url: "https://example.com/moon",
    title: "The Moon",
    encrypted_content: "EqgfCioIARgBIiQ3YTAwMjY1Mi1mZjM5",
    page_age: "April 30, 2025",
  }],
};
const TEXT = "About 384,400 km.";
const SEARCHED = [USE, RESULT, { type: "text", text: TEXT }];

const USAGE = {
  input_tokens: 900,
  output_tokens: 40,
  server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
};

/** The same answer as Anthropic streams it. */
function searchedEvents() {
  return [
    {
      event: "message_start",
      data: {
        type: "message_start",
        message: {
          id: "msg_01",
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-6",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 900, output_tokens: 1 },
        },
      },
    },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 0, content_block: { ...USE, input: {} } },
    },
    {
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(USE.input) },
      },
    },
    { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 1, content_block: RESULT },
    },
    { event: "content_block_stop", data: { type: "content_block_stop", index: 1 } },
    {
      event: "content_block_start",
      data: { type: "content_block_start", index: 2, content_block: { type: "text", text: "" } },
    },
    {
      event: "content_block_delta",
      data: {
        type: "content_block_delta",
        index: 2,
        delta: { type: "text_delta", text: TEXT },
      },
    },
    { event: "content_block_stop", data: { type: "content_block_stop", index: 2 } },
    {
      event: "message_delta",
      data: {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: USAGE,
      },
    },
    { event: "message_stop", data: { type: "message_stop" } },
  ];
}

/** A gateway in front of Anthropic: runs the search itself, or fails with `status`. */
function startGateway(status?: number) {
  const bodies: Array<Record<string, unknown>> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    if (status) {
      return Response.json({ type: "error", error: { type: "api_error", message: "down" } }, {
        status,
      });
    }
    if (body.stream) {
      return new Response(encodeEvents(searchedEvents()), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    return Response.json({
      id: "msg_01",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-6",
      content: SEARCHED,
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: USAGE,
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, bodies, close: () => server.shutdown() };
}

function gatewayConfig(
  gatewayUrl: string,
  web: WebToolsConfig | undefined,
  next?: string,
): Config {
  const providers = [
    provider("gateway", { baseUrl: gatewayUrl, serverTools: true, maxRetries: 0 }),
    ...(next ? [provider("up", { type: "openai", baseUrl: next, authHeader: "bearer" })] : []),
  ];
  const base = testConfig({
    providers,
    routes: { default: next ? ["gateway/claude-sonnet-4-6", "up/mock-model"] : "gateway/x" },
  });
  return web ? { ...base, webTools: web } : base;
}

Deno.test("a gateway with server_tools runs the web search: its answer reaches the client", async (t) => {
  const gateway = startGateway();
  const web = startWebMock();
  const ccp = startCcp(gatewayConfig(gateway.url, webTools(web.url)));
  try {
    await t.step("JSON", async () => {
      const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
      assert.equal(res.status, 200);
      const msg = await res.json();
      assert.deepEqual(msg.content, SEARCHED);
      assert.deepEqual(msg.usage.server_tool_use, USAGE.server_tool_use);
      assert.deepEqual(gateway.bodies.at(-1)!.tools, [SEARCH_TOOL]);
    });
    await t.step("streamed", async () => {
      const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL], stream: true });
      assert.equal(res.status, 200);
      const blockEvents = (events: ReadonlyArray<{ event: string; data: unknown }>) =>
        events.filter((e) => e.event.startsWith("content_block")).map((e) => e.data);
      const got = parseSse(await res.text());
      assert.deepEqual(blockEvents(got), blockEvents(searchedEvents()));
      assert.equal(got.at(-1)!.event, "message_stop");
      assert.deepEqual(gateway.bodies.at(-1)!.tools, [SEARCH_TOOL]);
    });
    // ccp ran nothing itself.
    assert.deepEqual(web.paths, []);
    assert.equal(gateway.bodies.length, 2);
  } finally {
    await ccp.close();
    await web.close();
    await gateway.close();
  }
});

Deno.test("gateway -> translated target: the fallback gets ccp's web tools", async (t) => {
  // Searches once, then answers with what the search found.
  const script = (messages: Parameters<Parameters<typeof startScriptedOpenAI>[0]>[0]) => {
    const results = trailingToolResults(messages);
    if (results.length === 0) {
      return { calls: [{ name: "web_search", args: { query: "moon distance" } }] };
    }
    return { text: `Found: ${results[0]!.includes("384,400 km") ? "384,400 km" : "nothing"}` };
  };
  await t.step("with web_tools: ccp runs the search for the model", async () => {
    const gateway = startGateway(503);
    const model = startScriptedOpenAI(script);
    const web = startWebMock();
    const ccp = startCcp(gatewayConfig(gateway.url, webTools(web.url), model.url));
    try {
      const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-provider"), "up");
      const msg = await res.json();
      assert.deepEqual(msg.content.map((b: { type: string }) => b.type), [
        "server_tool_use",
        "web_search_tool_result",
        "text",
      ]);
      assert.equal(msg.content[2].text, "Found: 384,400 km");
      // The gateway was asked first, with the tool as the client sent it.
      assert.equal(gateway.bodies.length, 1);
      assert.deepEqual(gateway.bodies[0]!.tools, [SEARCH_TOOL]);
      // The model got a function, and each round went to it alone.
      const offered = model.bodies[0]!.tools as Array<{ function: { name: string } }>;
      assert.deepEqual(offered.map((x) => x.function.name), ["web_search"]);
      assert.equal(model.bodies.length, 2);
      assert.equal(web.paths.length, 1);
    } finally {
      await ccp.close();
      await web.close();
      await model.close();
      await gateway.close();
    }
  });
  await t.step("without web_tools: removed, and the answer says so", async () => {
    const gateway = startGateway(503);
    const model = startScriptedOpenAI(() => ({ text: "No search here." }));
    const ccp = startCcp(gatewayConfig(gateway.url, undefined, model.url));
    try {
      const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL], stream: true });
      assert.equal(res.status, 200);
      const text = parseSse(await res.text())
        .flatMap((e) => {
          const d = e.data as { delta?: { text?: string }; content_block?: { text?: string } };
          return [d.content_block?.text ?? "", d.delta?.text ?? ""];
        })
        .join("");
      assert.match(text, /Web search is not configured in ccp/);
      assert.match(text, /No search here\./);
      assert.equal(model.bodies[0]!.tools, undefined);
      assert.equal(gateway.bodies.length, 1);
    } finally {
      await ccp.close();
      await model.close();
      await gateway.close();
    }
  });
});
