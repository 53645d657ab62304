/**
 * Message ids an Anthropic-compatible server repeats (every answer the same id): Claude Code
 * takes answers that share an id for parts of one message and merges them, in the history it
 * sends on and in the one /compact summarizes. ccp's relay gives an answer whose id it relayed
 * before (or that has none) a fresh one, streamed and whole; ids that do not repeat, and every id
 * of the real Anthropic API, go through as they came.
 */

import assert from "node:assert/strict";
import { parseSse } from "../helpers/ccp.ts";
import { withLocalRelay } from "../helpers/local_relay.ts";
import { type Dialect, DIALECTS, type Script, startLocalServer } from "../mocks/local_servers.ts";
import { RelayedMessageIds } from "../../src/upstream/anthropic/relayed_message_ids.ts";

const TEXT: Script = {
  kind: "turn",
  turn: { text: ["Hello", " there."], inputTokens: 50, outputTokens: 3 },
};

/** The id of an answer, streamed or whole. */
async function messageId(response: Response, stream: boolean): Promise<string> {
  assert.equal(response.status, 200);
  if (!stream) return String((await response.json() as { id: unknown }).id);
  const start = parseSse(await response.text()).find((e) => e.event === "message_start");
  return String((start?.data.message as { id?: unknown } | undefined)?.id);
}

function withServer(
  dialect: Dialect,
  preset: string,
  use: (ask: (stream: boolean) => Promise<string>) => Promise<void>,
): Promise<void> {
  return withLocalRelay(
    startLocalServer(dialect, [TEXT]),
    preset,
    (post) =>
      use(async (stream) =>
        await messageId(
          await post({
            model: "claude-opus-5-5",
            max_tokens: 1024,
            stream,
            messages: [{ role: "user", content: "Hi" }],
          }),
          stream,
        )
      ),
  );
}

Deno.test("answers of a server that repeats its message id each get their own, streamed and whole", async (t) => {
  for (const dialect of DIALECTS) {
    await t.step(dialect.id, () =>
      withServer(dialect, dialect.id, async (ask) => {
        const ids = [
          await ask(true),
          await ask(false),
          await ask(true),
          await ask(false),
        ];
        assert.equal(new Set(ids).size, ids.length, ids.join(" "));
        // At most the first is the server's own (another test may have relayed it already).
        const made = ids.filter((id) => id !== dialect.messageId);
        assert.ok(made.length >= ids.length - 1, ids.join(" "));
        for (const id of made) assert.match(id, /^msg_[0-9A-Za-z]{24}$/);
      }));
  }
});

Deno.test("the real Anthropic API's message ids go through as they came", async () => {
  const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
  await withServer(llamacpp, "anthropic", async (ask) => {
    for (const stream of [true, false, true, false]) {
      assert.equal(await ask(stream), llamacpp.messageId);
    }
  });
});

Deno.test("RelayedMessageIds: an id goes out once as it came, then fresh; a missing one is made", () => {
  const ids = new RelayedMessageIds(3);
  assert.equal(ids.relayed("msg_a"), "msg_a");
  const again = ids.relayed("msg_a");
  assert.match(again, /^msg_[0-9A-Za-z]{24}$/);
  assert.notEqual(again, "msg_a");
  for (const missing of [undefined, "", 42]) {
    assert.match(ids.relayed(missing), /^msg_[0-9A-Za-z]{24}$/);
  }
  // Bounded: past three others, the oldest is forgotten.
  assert.equal(ids.relayed("msg_b"), "msg_b");
  for (const other of ["msg_c", "msg_d", "msg_e"]) assert.equal(ids.relayed(other), other);
  assert.equal(ids.relayed("msg_b"), "msg_b");
});
