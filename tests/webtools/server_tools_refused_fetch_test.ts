/**
 * A `server_tools: true` gateway that runs Anthropic's web search but refuses the web fetch beta:
 * the request goes again without the beta and its `web_fetch_20250910` tool, the search still runs
 * there and its blocks reach the client unchanged, streamed and not, Claude Code's own WebFetch
 * tool is left alone, and later requests go without the beta at once.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startWebMock } from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL, webTools } from "./_loop_env.ts";
import {
  blockEvents,
  SEARCHED,
  searchedAnswer,
  searchedEvents,
  USAGE,
} from "./_searched_answer.ts";

const FETCH_BETA = "web-fetch-2025-09-10";
const FETCH_TOOL = { type: "web_fetch_20250910", name: "web_fetch", max_uses: 2 };
// Claude Code's WebFetch runs on the client: an ordinary tool.
const CLIENT_FETCH = {
  name: "WebFetch",
  description: "Fetches a URL",
  input_schema: {
    type: "object",
    properties: { url: { type: "string" }, prompt: { type: "string" } },
    required: ["url", "prompt"],
  },
};

/** A gateway in front of Anthropic whose endpoint does not take the web fetch beta. */
function startGateway() {
  const seen: Array<{ beta: string | null; tools: unknown }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const beta = req.headers.get("anthropic-beta");
    seen.push({ beta, tools: body.tools });
    const refuse = (message: string) =>
      Response.json({ type: "error", error: { type: "invalid_request_error", message } }, {
        status: 400,
      });
    if (beta?.includes(FETCH_BETA)) {
      return refuse(`Unexpected value(s) \`${FETCH_BETA}\` for the \`anthropic-beta\` header.`);
    }
    if (JSON.stringify(body.tools).includes("web_fetch_20250910")) {
      return refuse("tools.1: unknown variant `web_fetch_20250910`");
    }
    return searchedAnswer(body.stream === true);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}

function postWithBeta(url: string, stream: boolean): Promise<Response> {
  return fetch(`${url}/v1/messages?beta=true`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "anthropic-beta": `claude-code-20250219,${FETCH_BETA}`,
    },
    body: JSON.stringify({
      model: "claude-sonnet-4-6",
      max_tokens: 1000,
      stream,
      messages: QUESTION,
      tools: [SEARCH_TOOL, FETCH_TOOL, CLIENT_FETCH],
    }),
  });
}

Deno.test("a server_tools gateway refusing the web fetch beta still runs the search", async (t) => {
  const gateway = startGateway();
  const web = startWebMock();
  const ccp = startCcp({
    ...testConfig({
      providers: [provider("gateway", { baseUrl: gateway.url, serverTools: true, maxRetries: 0 })],
      routes: { default: "gateway/claude-sonnet-4-6" },
    }),
    webTools: webTools(web.url),
  });
  const without = { beta: "claude-code-20250219", tools: [SEARCH_TOOL, CLIENT_FETCH] };
  try {
    await t.step("JSON: refused once, then served without the fetch tool", async () => {
      const res = await postWithBeta(ccp.url, false);
      assert.equal(res.status, 200);
      const msg = await res.json();
      assert.deepEqual(msg.content, SEARCHED);
      assert.deepEqual(msg.usage.server_tool_use, USAGE.server_tool_use);
      assert.equal(gateway.seen.length, 2);
      assert.deepEqual(gateway.seen[1], without);
    });
    await t.step("streamed: without the beta at once", async () => {
      const res = await postWithBeta(ccp.url, true);
      assert.equal(res.status, 200);
      const got = parseSse(await res.text());
      assert.deepEqual(blockEvents(got), blockEvents(searchedEvents()));
      assert.equal(got.at(-1)!.event, "message_stop");
      assert.equal(gateway.seen.length, 3);
      assert.deepEqual(gateway.seen[2], without);
    });
    await t.step("a search without the beta is relayed untouched", async () => {
      const res = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
      assert.equal(res.status, 200);
      assert.deepEqual((await res.json()).content, SEARCHED);
      assert.deepEqual(gateway.seen.at(-1), { beta: null, tools: [SEARCH_TOOL] });
    });
    // ccp ran no search or fetch itself: the gateway did.
    assert.deepEqual(web.paths, []);
  } finally {
    await ccp.close();
    await web.close();
    await gateway.close();
  }
});
