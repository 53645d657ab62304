/**
 * A session another provider served, moved (`/model`, `--continue --model`) to a `type: anthropic`
 * provider without a preset: a gateway that may hand the request to Anthropic, which refuses a
 * tool id it did not mint. The request is the one Claude Code 2.1.332 sent
 * (tests/fixtures/claude_code/switched_to_gateway_2.1.332.json): its history holds a call of
 * OpenAI's Responses API and one of a Chat Completions model under their own ids.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startStrictAnthropic } from "../mocks/anthropic_strict.ts";

type Obj = Record<string, unknown>;

const recorded = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/claude_code/switched_to_gateway_2.1.332.json", import.meta.url),
  ),
) as { body: Obj };

/** Each tool id of `body`'s history, calls and results alike, in order. */
function toolIds(body: Obj): string[] {
  return (body.messages as Array<{ content: unknown }>).flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as Obj[]).flatMap((b) =>
        b.type === "tool_use"
          ? [String(b.id)]
          : b.type === "tool_result"
          ? [String(b.tool_use_id)]
          : []
      )
      : []
  );
}

Deno.test("a preset-less type: anthropic provider gets other providers' call ids as toolu_ ids, each call still paired with its result", async () => {
  const gateway = startStrictAnthropic();
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: gateway.url, apiKeys: ["k"], maxRetries: 0 })],
    routes: { default: "gw/claude-sonnet-4-5" },
    aliases: { anthy: "gw/claude-sonnet-4-5" },
    authToken: "t",
  }));
  try {
    assert.deepEqual(toolIds(recorded.body), [
      "call_r56_0",
      "call_r56_0",
      "call_j17_58_0",
      "call_j17_58_0",
    ]);
    for (let turn = 0; turn < 2; turn++) {
      const res = await postMessages(ccp.url, recorded.body, { "x-api-key": "t" });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.match(text, /"name":"Bash"/);
    }
    assert.deepEqual(gateway.problems, []);
    const [first, second] = gateway.bodies.map(toolIds);
    assert.equal(first!.length, 4);
    for (const id of first!) assert.match(id, /^toolu_[A-Za-z0-9_-]+$/);
    assert.equal(first![0], first![1], "the Responses call keeps its result");
    assert.equal(first![2], first![3], "the Chat call keeps its result");
    assert.notEqual(first![0], first![2]);
    // The same history is sent as the same bytes again, so the gateway's prompt cache holds.
    assert.deepEqual(second, first);
  } finally {
    await ccp.close();
    await gateway.close();
  }
});
