/**
 * `thinking.display: "omitted"` on a Gemini or a Responses provider: ccp does not ask for
 * thoughts, but a server may send them anyway (a Responses server streaming an open model's
 * reasoning or a summary, a Gemini endpoint sending `thought` parts). The client asked not to see
 * them: its thinking blocks come empty and signed, as Anthropic sends them and as the Chat
 * providers already answered, streamed or not. With `display: "summarized"` the text still shows.
 */

import assert from "node:assert/strict";
import { startGeminiMock } from "../mocks/gemini_mock.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startResponsesCcp } from "../helpers/responses_ccp.ts";
import type { RunningCcp } from "../helpers/ccp.ts";

const SECRET = "the hidden plan is to list files";

type Display = "omitted" | "summarized";

/** The thinking text and signatures the client gets, streamed or not. */
async function ask(ccp: RunningCcp, display: Display, stream: boolean) {
  const res = await fetch(`${ccp.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model: "claude-opus-5-5",
      max_tokens: 4096,
      stream,
      thinking: { type: "adaptive", display },
      messages: [{ role: "user", content: "list the files" }],
    }),
  });
  assert.equal(res.status, 200);
  if (!stream) {
    const body = await res.json() as { content: Record<string, string>[] };
    const blocks = body.content.filter((b) => b.type === "thinking");
    return {
      text: blocks.map((b) => b.thinking).join(""),
      signed: blocks.every((b) => b.signature),
    };
  }
  const events = parseSse(await res.text()).map((f) => f.data);
  const deltas = events.flatMap((e) => {
    const delta = e.delta as Record<string, string> | undefined;
    return e.type === "content_block_delta" && delta?.type === "thinking_delta"
      ? [delta.thinking]
      : [];
  });
  const signatures = events.filter((e) =>
    e.type === "content_block_delta" &&
    (e.delta as Record<string, string>).type === "signature_delta"
  );
  return { text: deltas.join(""), signed: signatures.length > 0 };
}

Deno.test("display omitted on Gemini: thoughts sent anyway come as empty, signed thinking blocks", async () => {
  const chunk = {
    candidates: [{
      content: {
        role: "model",
        parts: [
          { text: SECRET, thought: true, thoughtSignature: "c2lnLWdlbWluaQ==" },
          { text: "Here they are." },
        ],
      },
      finishReason: "STOP",
    }],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 },
  };
  const mock = startGeminiMock({ sse: `data: ${JSON.stringify(chunk)}\r\n\r\n`, json: chunk });
  const ccp = startCcp(testConfig({
    providers: [provider("gem", {
      type: "gemini",
      preset: "gemini",
      baseUrl: mock.url,
      apiKeys: ["AIzaSyTEST-0000000000000000000000000000"],
      authHeader: "x-goog-api-key",
    })],
    routes: { default: "gem/gemini-2.5-pro" },
  }));
  try {
    for (const stream of [true, false]) {
      const hidden = await ask(ccp, "omitted", stream);
      assert.equal(hidden.text, "", `thought text shown (stream ${stream})`);
      assert.ok(hidden.signed, `stream ${stream}`);
      assert.equal((await ask(ccp, "summarized", stream)).text, SECRET);
    }
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("display omitted on Responses: reasoning text sent anyway comes as empty, signed thinking blocks", async () => {
  await using up = startResponsesCcp(() => ({
    items: [
      { kind: "reasoning", summary: [SECRET], encrypted: "gAAAAABencrypted-reasoning" },
      { kind: "text", text: "Here they are." },
    ],
  }));
  for (const stream of [true, false]) {
    const hidden = await ask(up.ccp, "omitted", stream);
    assert.equal(hidden.text, "", `reasoning text shown (stream ${stream})`);
    assert.ok(hidden.signed, `stream ${stream}`);
    assert.equal((await ask(up.ccp, "summarized", stream)).text, SECRET);
  }
});
