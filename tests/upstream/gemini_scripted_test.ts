/**
 * The Claude Code agent loop against the strict scripted Gemini model, without the CLI: a
 * Claude Code-shaped request through ccp, answered as one `generateContent` JSON per turn.
 */

import assert from "node:assert/strict";
import { startScriptedModel } from "../mocks/scripted_model.ts";
import { SCRIPTED_SIGNATURE } from "../mocks/gemini_wire.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { claudeCodeRequest } from "../translate/_claude_code_request.ts";

type Block = Record<string, unknown>;

/** The scripted Gemini model and a ccp whose default route is its `upstreamModel`. */
function scriptedGemini(upstreamModel: string) {
  const model = startScriptedModel("/tmp/scripted.txt");
  const ccp = startCcp(testConfig({
    providers: [
      provider("up", {
        type: "gemini",
        baseUrl: model.url,
        authHeader: "x-goog-api-key",
        apiKeys: ["k"],
      }),
    ],
    routes: { default: `up/${upstreamModel}` },
  }));
  return { model, ccp };
}

Deno.test("the non-streaming Claude Code loop through ccp to the scripted Gemini model", async () => {
  const { model, ccp } = scriptedGemini("gemini-3-flash-preview");
  try {
    const first = claudeCodeRequest("foreign");
    // Only the opening user turn (and Claude Code's system message) of the fixture.
    const opening = first.messages.filter((m, i) => i === 0 || m.role === "system");
    // Without ToolSearch the script goes straight to writing.
    const tools = first.tools!.filter((t) => t.name !== "ToolSearch");
    const post = async (messages: unknown[]) => {
      const res = await postMessages(ccp.url, { ...first, tools, messages, stream: false }, {
        "anthropic-version": "2023-06-01",
      });
      const text = await res.text();
      assert.equal(res.status, 200, `${text}\n${ccp.logs.join("")}`);
      return JSON.parse(text) as { content: Block[]; stop_reason: string };
    };
    const call = await post(opening);
    assert.equal(call.stop_reason, "tool_use");
    const uses = call.content.filter((b) => b.type === "tool_use");
    assert.deepEqual(uses.map((b) => b.name), ["Write", "Write"], JSON.stringify(call));
    // Answered in reverse, as Claude Code may when the second tool finishes first.
    const results = uses.reverse().map((b) => ({
      type: "tool_result",
      tool_use_id: b.id,
      content: `created ${(b.input as { file_path: string }).file_path}`,
    }));
    const done = await post([
      ...opening,
      { role: "assistant", content: call.content },
      { role: "user", content: results },
    ]);
    assert.equal(done.stop_reason, "end_turn");
    assert.deepEqual(done.content, [{ type: "text", text: "Done: wrote the file." }]);
    assert.equal(model.bodies.length, 2);
    const replayed = (model.bodies[1]!.contents as Array<{ role: string; parts: unknown[] }>)
      .filter((c) => c.role === "model").flatMap((c) => c.parts) as Array<Record<string, unknown>>;
    const signatures = replayed.filter((p) => p.functionCall).map((p) => p.thoughtSignature);
    assert.deepEqual(signatures, [SCRIPTED_SIGNATURE, undefined], JSON.stringify(replayed));
    // Gemini pairs responses with calls by position: back in call order.
    const answers = (model.bodies[1]!.contents as Array<{ parts: Array<Record<string, Block>> }>)
      .at(-1)!.parts.map((p) => p.functionResponse?.response);
    assert.deepEqual(answers, [
      { result: "created /tmp/scripted.txt" },
      { result: "created /tmp/scripted.txt.copy" },
    ]);
  } finally {
    await ccp.close();
    await model.close();
  }
});

Deno.test("an assistant prefill reaches a Gemini 3.6 model as a request it accepts", async () => {
  const { model, ccp } = scriptedGemini("gemini-3.6-flash");
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-opus-5-5",
      max_tokens: 1000,
      messages: [
        { role: "user", content: "Count to five" },
        { role: "assistant", content: "One, two," },
      ],
    }, { "anthropic-version": "2023-06-01" });
    const text = await res.text();
    assert.equal(res.status, 200, `${text}\n${ccp.logs.join("")}`);
    const roles = (model.bodies[0]!.contents as Array<{ role: string }>).map((c) => c.role);
    assert.deepEqual(roles, ["user", "model", "user"]);
  } finally {
    await ccp.close();
    await model.close();
  }
});
