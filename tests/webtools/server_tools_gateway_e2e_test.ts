/**
 * `server_tools: true`: a gateway that relays to Anthropic gets the web server tools untouched
 * and its answer (server_tool_use, web_search_tool_result) reaches the client as it came; when
 * it does not answer, the rest of the route gets ccp's own handling of the tools.
 */

import assert from "node:assert/strict";
import type { Config, WebToolsConfig } from "../../src/config/types.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startScriptedOpenAI, startWebMock, trailingToolResults } from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL, webTools } from "./_loop_env.ts";
import {
  blockEvents,
  SEARCHED,
  searchedAnswer,
  searchedEvents,
  USAGE,
} from "./_searched_answer.ts";

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
    return searchedAnswer(body.stream === true);
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
