import assert from "node:assert/strict";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import {
  textTurn,
  thinkingTextToolMessage,
  thinkingTextToolTurn,
} from "../mocks/anthropic_fixtures.ts";
import { ForeignSignatures } from "../../src/upstream/anthropic/foreign_signatures.ts";

Deno.test("ForeignSignatures: notes signature deltas and message blocks, bounded", () => {
  const seen = new ForeignSignatures(2);
  seen.noteEvent({
    type: "content_block_delta",
    index: 0,
    delta: { type: "signature_delta", signature: "a" },
  });
  seen.noteEvent({
    type: "content_block_delta",
    index: 0,
    delta: { type: "text_delta", text: "b" },
  });
  seen.noteMessage({ content: [{ type: "thinking", thinking: "t", signature: "c" }] });
  assert.equal(seen.has("a"), true);
  assert.equal(seen.has("b"), false);
  assert.equal(seen.has("c"), true);
  seen.note("d");
  assert.equal(seen.has("a"), false, "the oldest is forgotten");
});

/** A thinking block an Anthropic-compatible server signed, then a turn sent to real Anthropic. */
async function roundTrip(stream: boolean): Promise<unknown[]> {
  const signature = `zz-server-signature-${stream}`;
  const other = startAnthropicMock([
    stream
      ? {
        kind: "stream",
        events: thinkingTextToolTurn("glm").map((e) =>
          e.data.type === "content_block_delta" &&
            (e.data.delta as { type: string }).type === "signature_delta"
            ? { ...e, data: { ...e.data, delta: { type: "signature_delta", signature } } }
            : e
        ),
      }
      : {
        kind: "json",
        body: {
          ...thinkingTextToolMessage("glm"),
          content: (thinkingTextToolMessage("glm").content as Array<Record<string, unknown>>)
            .map((b) => b.type === "thinking" ? { ...b, signature } : b),
        },
      },
  ]);
  const anthropic = startAnthropicMock([{ kind: "stream", events: textTurn("claude", 1) }]);
  const ccp = startCcp(testConfig({
    providers: [
      provider("glm", { baseUrl: other.url }),
      provider("claude", { baseUrl: anthropic.url, preset: "anthropic" }),
    ],
    routes: { default: "glm/glm-5" },
  }));
  try {
    const first = await postMessages(ccp.url, {
      model: "glm/glm-5",
      max_tokens: 1000,
      stream,
      thinking: { type: "enabled", budget_tokens: 500 },
      messages: [{ role: "user", content: "hi" }],
    });
    const content = stream
      ? parseSse(await first.text()).filter((e) => e.event === "content_block_delta")
        .map((e) => e.data.delta as { type: string; signature?: string })
        .filter((d) => d.type === "signature_delta")
        .map((d) => ({ type: "thinking", thinking: "t", signature: d.signature }))
      : (await first.json()).content.filter((b: { type: string }) => b.type === "thinking");
    assert.equal(content[0].signature, signature, "relayed untouched to the client");
    const second = await postMessages(ccp.url, {
      model: "claude/claude-sonnet-4-5",
      max_tokens: 1000,
      stream: true,
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [...content, { type: "text", text: "ok" }] },
        { role: "user", content: "again" },
      ],
    });
    await second.body?.cancel();
    const sent = anthropic.requests[0]!.body!.messages as Array<{ content: unknown }>;
    return sent[1]!.content as unknown[];
  } finally {
    await ccp.close();
    await other.close();
    await anthropic.close();
  }
}

Deno.test("a thinking block another Anthropic-compatible server signed never reaches Anthropic", async (t) => {
  for (const stream of [true, false]) {
    await t.step(stream ? "streamed" : "JSON", async () => {
      assert.deepEqual(await roundTrip(stream), [{ type: "text", text: "ok" }]);
    });
  }
});

Deno.test("the server that signed a thinking block gets it back: only Anthropic-bound turns drop it", async () => {
  const signature = "zz-own-signature";
  const glm = startAnthropicMock([
    {
      kind: "json",
      body: {
        ...thinkingTextToolMessage("glm"),
        content: (thinkingTextToolMessage("glm").content as Array<Record<string, unknown>>)
          .map((b) => b.type === "thinking" ? { ...b, signature } : b),
      },
    },
    { kind: "stream", events: textTurn("glm", 1) },
  ]);
  const ccp = startCcp(testConfig({
    providers: [provider("glm", { baseUrl: glm.url })],
    routes: { default: "glm/glm-5" },
  }));
  try {
    const ask = (messages: unknown[], stream: boolean) =>
      postMessages(ccp.url, { model: "glm/glm-5", max_tokens: 1000, stream, messages });
    const first = await (await ask([{ role: "user", content: "hi" }], false)).json();
    const thinking = first.content.filter((b: { type: string }) => b.type === "thinking");
    assert.equal(thinking[0].signature, signature);
    await (await ask([
      { role: "user", content: "hi" },
      { role: "assistant", content: [...thinking, { type: "text", text: "ok" }] },
      { role: "user", content: "again" },
    ], true)).text();
    const sent = glm.requests[1]!.body!.messages as Array<{ content: unknown[] }>;
    assert.deepEqual(sent[1]!.content[0], thinking[0]);
  } finally {
    await ccp.close();
    await glm.close();
  }
});

Deno.test("a signature Anthropic refuses that ccp never saw costs one round trip per session, not the session", async () => {
  const refused = {
    kind: "json" as const,
    status: 400,
    body: {
      type: "error",
      error: {
        type: "invalid_request_error",
        message: "messages.1.content.0: Invalid `signature` in `thinking` block",
      },
    },
  };
  // Each turn of the mock answers in order: refused, then the turn sent again, then the next turn.
  const anthropic = startAnthropicMock([
    refused,
    { kind: "stream", events: textTurn("claude", 1) },
    { kind: "stream", events: textTurn("claude", 1) },
  ]);
  const ccp = startCcp(testConfig({
    providers: [provider("claude", { baseUrl: anthropic.url, preset: "anthropic" })],
    routes: { default: "claude/claude-sonnet-4-5" },
  }));
  // A signature this ccp process never relayed: a session resumed after a restart.
  const unknown = { type: "thinking", thinking: "t", signature: "EqQBCkgIBhABGAIiQLunknown" };
  const history = [
    { role: "user", content: "hi" },
    { role: "assistant", content: [unknown, { type: "text", text: "ok" }] },
    { role: "user", content: "again" },
  ];
  const ask = (messages: unknown[]) =>
    postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 1000,
      stream: true,
      thinking: { type: "enabled", budget_tokens: 500 },
      messages,
    });
  try {
    const first = await ask(history);
    assert.equal(first.status, 200);
    assert.equal(parseSse(await first.text()).at(-1)!.event, "message_stop");
    const contents = () =>
      anthropic.requests.map((r) => (r.body!.messages as Array<{ content: unknown }>)[1]!.content);
    assert.deepEqual(contents(), [
      [unknown, { type: "text", text: "ok" }],
      [{ type: "text", text: "ok" }],
    ]);
    // The next turn of the session leaves the block out at once.
    const next = await ask([
      ...history,
      { role: "assistant", content: [{ type: "text", text: "fine" }] },
      { role: "user", content: "more" },
    ]);
    await next.text();
    assert.equal(anthropic.requests.length, 3);
    assert.deepEqual(contents()[2], [{ type: "text", text: "ok" }]);
  } finally {
    await ccp.close();
    await anthropic.close();
  }
});
