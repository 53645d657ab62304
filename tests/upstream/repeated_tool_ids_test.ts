/**
 * Tool-call ids an Anthropic-compatible server repeats (it numbers its calls per answer): ccp's
 * relay replaces a call's id that one in the request's history (or an earlier call of the same
 * answer) already has, streamed and whole, the same way for the same answer to the same request;
 * fresh ids, and every id of the real Anthropic API, go through as they came.
 */

import assert from "node:assert/strict";
import { parseSse } from "../helpers/ccp.ts";
import { withLocalRelay } from "../helpers/local_relay.ts";
import { type Dialect, DIALECTS, type Script, startLocalServer } from "../mocks/local_servers.ts";
import { RepeatedToolIds } from "../../src/upstream/anthropic/repeated_tool_ids.ts";

type Json = Record<string, unknown>;

const TWO_READS: Script = {
  kind: "turn",
  turn: {
    text: ["Reading both."],
    tools: [
      { name: "Read", args: ['{"file_pa', 'th": "/tmp/a.txt"}'] },
      { name: "Read", args: ['{"file_path": "/tmp/b.txt"}'] },
    ],
    inputTokens: 900,
    outputTokens: 30,
  },
};

/** A request whose history holds one call, `toolu_0001`, and its result. */
function body(stream: boolean): Json {
  return {
    model: "claude-opus-5-5",
    max_tokens: 4096,
    stream,
    tools: [{
      name: "Read",
      description: "Reads a file",
      input_schema: { type: "object", properties: { file_path: { type: "string" } } },
    }],
    messages: [
      { role: "user", content: "Read /tmp/x.txt" },
      {
        role: "assistant",
        content: [{
          type: "tool_use",
          id: "toolu_0001",
          name: "Read",
          input: { file_path: "/tmp/x.txt" },
        }],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_0001", content: "x" },
          { type: "text", text: "now a.txt and b.txt" },
        ],
      },
    ],
  };
}

/** The ids of the tool calls in an answer, streamed or whole. */
async function callIds(response: Response, stream: boolean): Promise<string[]> {
  assert.equal(response.status, 200);
  if (!stream) {
    const message = await response.json() as { content: Json[] };
    return message.content.filter((b) => b.type === "tool_use").map((b) => String(b.id));
  }
  return parseSse(await response.text())
    .filter((e) => e.event === "content_block_start")
    .map((e) => e.data.content_block as Json)
    .filter((b) => b.type === "tool_use")
    .map((b) => String(b.id));
}

function withServer(
  dialect: Dialect,
  idOf: (n: number) => string,
  preset: string,
  use: (ask: (stream: boolean) => Promise<string[]>) => Promise<void>,
): Promise<void> {
  const server = startLocalServer(dialect, [TWO_READS], { idsPerAnswer: idOf });
  return withLocalRelay(
    server,
    preset,
    (post) => use(async (stream) => await callIds(await post(body(stream)), stream)),
  );
}

Deno.test("a call repeating an id of the history gets a new one, the same on a retry; a fresh one stays", async (t) => {
  for (const dialect of DIALECTS) {
    await t.step(
      dialect.id,
      () =>
        withServer(dialect, (n) => `toolu_000${n}`, dialect.id, async (ask) => {
          for (const stream of [true, false]) {
            const [first, second] = await ask(stream);
            assert.notEqual(first, "toolu_0001", `stream ${stream}`);
            assert.match(first!, /^toolu_[0-9a-f]{16}$/);
            assert.equal(second, "toolu_0002", "not in the history: the server's own");
            // The same request answered the same way again: the same ids, streamed or whole.
            assert.deepEqual(await ask(stream), [first, second]);
            assert.deepEqual(await ask(!stream), [first, second]);
          }
        }),
    );
  }
});

Deno.test("calls that share one id within an answer each get their own", async () => {
  const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
  await withServer(llamacpp, () => "call_0", "llamacpp", async (ask) => {
    for (const stream of [true, false]) {
      const [first, second] = await ask(stream);
      assert.equal(first, "call_0");
      assert.notEqual(second, "call_0");
      assert.match(second!, /^toolu_/);
    }
  });
});

Deno.test("the real Anthropic API's ids go through as they came", async () => {
  const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
  await withServer(llamacpp, (n) => `toolu_000${n}`, "anthropic", async (ask) => {
    assert.deepEqual(await ask(true), ["toolu_0001", "toolu_0002"]);
    assert.deepEqual(await ask(false), ["toolu_0001", "toolu_0002"]);
  });
});

Deno.test("a new id never takes one the history or the answer already has", () => {
  const first = { type: "tool_use", id: "toolu_0001" };
  assert.ok(new RepeatedToolIds(new Set(["toolu_0001", "toolu_other"])).block(first, 1));
  // A history of the same size that holds that very id: the next choice is made.
  const again = { type: "tool_use", id: "toolu_0001" };
  assert.ok(new RepeatedToolIds(new Set(["toolu_0001", first.id])).block(again, 1));
  assert.match(again.id, /^toolu_[0-9a-f]{16}$/);
  assert.notEqual(again.id, first.id);
  // A call without an id gets one; other blocks are left alone.
  const nameless: Json = { type: "tool_use", name: "Read" };
  assert.ok(new RepeatedToolIds(new Set()).block(nameless, 0));
  assert.match(String(nameless.id), /^toolu_[0-9a-f]{16}$/);
  const text = { type: "text", text: "toolu_0001", id: "toolu_0001" };
  assert.ok(!new RepeatedToolIds(new Set(["toolu_0001"])).block(text, 0));
});
