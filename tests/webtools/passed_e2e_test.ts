/**
 * An answer ccp's web tools served from a fallback says which targets its rounds passed, and why,
 * as a plain answer does: each round goes through the route's chain, and a key still cooling
 * after a 429 is passed in every round of the loop.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { startCcp } from "../helpers/ccp.ts";
import { startScriptedOpenAI, startWebMock, trailingToolResults } from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL } from "./_loop_env.ts";

/** Anthropic with a spent rate limit: every request gets 429 and a wait of 30 seconds. */
function limitedAnthropic(seen: string[]) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    seen.push("claude");
    return Response.json(
      { type: "error", error: { type: "rate_limit_error", message: "Rate limited" } },
      { status: 429, headers: { "retry-after": "30" } },
    );
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

const PASSED =
  /^claude\/claude-sonnet-4-6 \(not sent: key cooling down after 429, usable again in (29|30)s\)$/;

Deno.test("a web tools answer a fallback served names the target its rounds passed, once", async () => {
  const seen: string[] = [];
  const claude = limitedAnthropic(seen);
  const web = startWebMock();
  // Searches once, then answers: two rounds a request.
  const model = startScriptedOpenAI((messages) => {
    seen.push("up");
    return trailingToolResults(messages).length === 0
      ? { calls: [{ name: "web_search", args: { query: "moon distance" } }] }
      : { text: "Found it" };
  });
  const ccp = startCcp(configFromYaml({
    text: `
providers:
  claude: { type: anthropic, base_url: ${claude.url}, api_key: sk-ant-test-0000 }
  up: { type: openai, base_url: ${model.url}, api_key: sk-up-0000 }
routes:
  default: [claude/claude-sonnet-4-6, up/mock-model]
web_tools:
  search: { provider: searxng, base_url: ${web.url} }
`,
    file: "config.yaml",
    path: "/abs/config.yaml",
    env: {},
  }));
  try {
    // The first round meets the 429 and fails over; the second passes the cooling key.
    const first = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
    assert.equal(first.status, 200, await first.clone().text());
    await first.body?.cancel();
    assert.deepEqual(seen, ["claude", "up", "up"]);
    assert.match(first.headers.get("x-ccp-passed") ?? "", PASSED);
    // Both rounds pass the key: it is named once.
    const second = await post(ccp.url, { messages: QUESTION, tools: [SEARCH_TOOL] });
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.deepEqual(seen, ["claude", "up", "up", "up", "up"], "the limited key is not asked");
    assert.match(second.headers.get("x-ccp-passed") ?? "", PASSED);
    const line = ccp.logs.findLast((l) => l.includes("passed: "));
    assert.ok(line, ccp.logs.join("\n"));
    assert.equal(line.match(/not sent: key cooling/g)?.length, 1, line);
    // A streamed answer's header goes out as its first round answers: that round passed it.
    const streamed = await post(ccp.url, {
      messages: QUESTION,
      tools: [SEARCH_TOOL],
      stream: true,
    });
    assert.equal(streamed.status, 200);
    assert.match(streamed.headers.get("x-ccp-passed") ?? "", PASSED);
    assert.match(await streamed.text(), /event: message_stop/);
  } finally {
    await ccp.close();
    await model.close();
    await web.close();
    await claude.close();
  }
});
