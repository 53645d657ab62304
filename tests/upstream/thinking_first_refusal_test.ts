/**
 * Back on Anthropic in a tool loop another provider served last: adaptive thinking is kept (the
 * model answers a step without thinking itself). Should Anthropic want the step to lead with
 * thinking all the same, the request is sent once more without thinking, not failed.
 */

import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { encodeCcpSignature } from "../../src/translate/reasoning/provenance.ts";

const ccpSig = encodeCcpSignature({
  provider: "kimi",
  protocol: "openai_chat",
  model: "kimi-k2-thinking",
  fields: ["reasoning_content"],
});

Deno.test("a tool step Anthropic wants to lead with thinking is sent again without thinking", async () => {
  const refused = {
    kind: "json" as const,
    status: 400,
    body: {
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but " +
          "found `tool_use`. When `thinking` is enabled, a final `assistant` message must start " +
          "with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` " +
          "blocks). We recommend you include thinking blocks from previous turns.",
      },
    },
  };
  const anthropic = startAnthropicMock([refused, {
    kind: "stream",
    events: textTurn("claude", 1),
  }]);
  const ccp = startCcp(testConfig({
    providers: [provider("claude", { baseUrl: anthropic.url, preset: "anthropic" })],
    routes: { default: "claude/claude-opus-5-5" },
  }));
  try {
    const response = await postMessages(ccp.url, {
      model: "claude-opus-5-5",
      max_tokens: 1000,
      stream: true,
      thinking: { type: "adaptive" },
      context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
      messages: [
        { role: "user", content: "list the files" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "ls will do", signature: ccpSig },
            { type: "tool_use", id: "toolu_01", name: "Bash", input: { command: "ls" } },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01", content: "a" }] },
      ],
    });
    assert.equal(response.status, 200);
    assert.equal(parseSse(await response.text()).at(-1)!.event, "message_stop");
    const sent = anthropic.requests.map((r) => r.body!);
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[0]!.thinking, { type: "adaptive" }, "thinking kept at first");
    assert.equal(sent[1]!.thinking, undefined);
    assert.equal(sent[1]!.context_management, undefined);
    // The re-send is one line of the log, naming the target and what changed.
    const resent = ccp.logs.filter((l) => l.includes("sent again"));
    assert.equal(resent.length, 1, resent.join(""));
    assert.match(
      resent[0]!,
      /provider "claude" \(model claude-opus-5-5\) wants the tool loop's last answer to start with thinking: sent again without thinking\n$/,
    );
    for (const body of sent) {
      const turn = (body.messages as Array<{ content: Array<{ type: string }> }>)[1]!;
      assert.deepEqual(turn.content.map((b) => b.type), ["tool_use"]);
    }
  } finally {
    await ccp.close();
    await anthropic.close();
  }
});
