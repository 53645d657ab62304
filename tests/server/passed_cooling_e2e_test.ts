/**
 * A team's quota fallback through the real server: Anthropic answers 429 with a `retry-after`,
 * the fallback serves, and the requests after it go straight to the fallback while the key cools.
 * Each of those says which target it was not sent to and why (`x-ccp-passed`, the log line, the
 * status page), not only the one that met the 429.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { UI_PAGE } from "../../src/observe/ui/page.ts";

function upstream(name: string, seen: string[], limited: () => boolean) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    seen.push(name);
    if (limited()) {
      return Response.json({
        type: "error",
        error: { type: "rate_limit_error", message: "This request would exceed the rate limit" },
      }, { status: 429, headers: { "retry-after": "30" } });
    }
    return Response.json(textMessage("m", { input_tokens: 1, output_tokens: 1 }, name));
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("requests a fallback serves while Anthropic's key cools say so", async () => {
  const seen: string[] = [];
  const claude = upstream("claude", seen, () => true);
  const other = upstream("other", seen, () => false);
  const config = configFromYaml({
    text: `
providers:
  claude: { type: anthropic, base_url: ${claude.url}, api_key: sk-ant-test-0000, fallback_on: [429] }
  other: { type: anthropic, base_url: ${other.url}, api_key: sk-other-0000 }
routes:
  default: [claude/claude-opus-5-5, other/m]
`,
    file: "config.yaml",
    path: "/abs/config.yaml",
    env: {},
  });
  const ccp = startCcp(config);
  const send = async () => {
    const res = await postMessages(ccp.url, {
      model: "claude-opus-5-5",
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    });
    await res.body?.cancel();
    return res;
  };
  try {
    const first = await send();
    assert.equal(first.headers.get("x-ccp-provider"), "other");
    assert.equal(first.headers.get("x-ccp-passed"), null, "it was sent, and failed");
    const second = await send();
    assert.deepEqual(seen, ["claude", "other", "other"], "the cooling key is not asked");
    assert.equal(second.headers.get("x-ccp-provider"), "other");
    assert.match(
      second.headers.get("x-ccp-passed") ?? "",
      /^claude\/claude-opus-5-5 \(not sent: key cooling down after 429, usable again in (29|30)s\)$/,
    );
    const lines = ccp.logs.filter((l) => l.includes("POST /v1/messages"));
    assert.match(lines[0]!, /attempts=2 \(failed: claude\/claude-opus-5-5 429\)/);
    assert.match(lines[1]!, /→ other\/m .*passed: claude\/claude-opus-5-5 \(not sent: key cooling/);
    // The status page's latest requests: newest first.
    const state = await (await fetch(`${ccp.url}/ui/state`)).json();
    assert.match(state.latest[0].passed, /^claude\/claude-opus-5-5 \(not sent: key cooling/);
    assert.equal(state.latest[1].passed, undefined);
    assert.equal(state.latest[1].failed, "claude/claude-opus-5-5 429");
    // The page shows them beside the target that served, in the warning colour.
    const line = UI_PAGE.split("\n").find((l) => l.includes("r.passed ?")) ?? "";
    assert.match(line, /" · passed: " \+ r\.passed/);
    assert.match(line, /r\.failed \|\| r\.passed \? "warn"/);
  } finally {
    await ccp.close();
    await claude.close();
    await other.close();
  }
});
