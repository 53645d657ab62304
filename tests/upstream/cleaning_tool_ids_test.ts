import assert from "node:assert/strict";
import { cleaningFor } from "../../src/upstream/cleaning/resolve.ts";
import { anthropicToolId, rewriteToolIds } from "../../src/upstream/cleaning/tool_ids.ts";
import { findPreset } from "../../src/providers/catalog.ts";

function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) frozen(child);
    Object.freeze(value);
  }
  return value;
}

type Msg = { role: string; content: Array<Record<string, unknown>> };

/** A history where GLM (call_…), Kimi (functions.Bash:0) and Anthropic (toolu_, srvtoolu_) served turns. */
function mixedHistory(): Record<string, unknown> {
  return frozen({
    model: "claude-opus-5-5",
    max_tokens: 1000,
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "two calls" },
          { type: "tool_use", id: "call_abc", name: "Bash", input: {} },
          { type: "tool_use", id: "functions.Bash:0", name: "Bash", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_abc", content: "ok" },
          { type: "tool_result", tool_use_id: "functions.Bash:0", content: "ok" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "server_tool_use", id: "srvtoolu_9", name: "web_search", input: {} },
          { type: "web_search_tool_result", tool_use_id: "srvtoolu_9", content: [] },
          { type: "tool_use", id: "toolu_01ABC", name: "Read", input: {} },
        ],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_01ABC", content: "x" }],
      },
    ],
  });
}

Deno.test("tool ids: call_abc becomes the same toolu_ id in tool_use and tool_result", () => {
  const body = mixedHistory();
  const out = rewriteToolIds(body);
  const [, first, results] = out.messages as Msg[];
  assert.equal(first!.content[1]!.id, "toolu_call_abc");
  assert.equal(results!.content[0]!.tool_use_id, "toolu_call_abc");
  assert.equal(first!.content[2]!.id, results!.content[1]!.tool_use_id, "pair stays a pair");
  assert.match(String(first!.content[2]!.id), /^toolu_functions_Bash_0_[0-9a-f]{8}$/);
  assert.deepEqual(body, mixedHistory(), "input unchanged");
});

Deno.test("tool ids: valid toolu_ and srvtoolu_ ids and their turns are untouched", () => {
  const body = mixedHistory();
  const out = rewriteToolIds(body);
  const messages = out.messages as Msg[];
  const before = body.messages as Msg[];
  assert.equal(messages[3], before[3], "server tool and toolu_ turn shared as is");
  assert.equal(messages[4], before[4]);
  assert.equal(messages[0], before[0]);
  const clean = frozen({ model: "m", messages: [before[3], before[4]] });
  assert.equal(rewriteToolIds(clean), clean, "identity when every id is Anthropic's");
});

Deno.test("tool ids: the mapping is a pure function (stable across turns, no collisions)", () => {
  assert.equal(anthropicToolId("call_abc"), anthropicToolId("call_abc"));
  assert.notEqual(anthropicToolId("a.b"), anthropicToolId("a:b"));
  assert.notEqual(anthropicToolId("a.b"), anthropicToolId("a_b"));
  assert.equal(anthropicToolId("toolu_01XYZ"), "toolu_01XYZ");
  assert.equal(anthropicToolId("srvtoolu_01XYZ"), "srvtoolu_01XYZ");
  assert.match(anthropicToolId(""), /^toolu__[0-9a-f]{8}$/);
  assert.match(anthropicToolId("toolu_has space"), /^toolu_toolu_has_space_[0-9a-f]{8}$/);
});

Deno.test("the Anthropic preset's cleaning rewrites ids and keeps genuine history", () => {
  const anthropic = cleaningFor({ preset: findPreset("anthropic"), baseUrl: "https://x" });
  const out = anthropic.body(mixedHistory(), "claude-sonnet-4-5");
  const [, first] = out.messages as Msg[];
  assert.equal(first!.content[1]!.id, "toolu_call_abc");
});
