/**
 * A large passthrough body goes upstream with its unchanged parts copied from the client's text:
 * what the upstream parses must be exactly what ccp means to send, on every cleaning.
 */

import assert from "node:assert/strict";
import { type AnthropicMock, startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { postMessages, type RunningCcp, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

/** A Claude Code turn well past 16 KiB, with quotes, escapes and non-ASCII text throughout. */
function longTurn(): Record<string, unknown> {
  const messages: Record<string, unknown>[] = Array.from({ length: 200 }, (_, i) => ({
    role: i % 2 === 0 ? "user" : "assistant",
    content: i % 2 === 0
      ? [{ type: "tool_result", tool_use_id: `toolu_${i - 1}`, content: `ok "é" 🚀 \\ ${i}` }]
      : [{ type: "tool_use", id: `toolu_${i}`, name: "Bash", input: { command: `echo "}${i}"` } }],
  }));
  messages[0] = {
    role: "user",
    content: [{ type: "text", text: "日本語のテキスト ".repeat(400) }],
  };
  return {
    model: "claude-sonnet-4-5",
    messages,
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.330; cc_entrypoint=cli;" },
      { type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } },
    ],
    tools: [{ name: "Bash", description: 'Run a "command"', input_schema: { type: "object" } }],
    max_tokens: 32000,
    stream: false,
  };
}

/** `test` with ccp in front of an Anthropic mock that answers each request with a short text. */
async function behindAnthropic(
  test: (ccp: RunningCcp, mock: AnthropicMock) => Promise<void>,
): Promise<void> {
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("up", { input_tokens: 9, output_tokens: 1 }),
  }]);
  const ccp = startCcp(testConfig({
    providers: [provider("anthropic", { preset: "anthropic", baseUrl: mock.url, apiKeys: ["k"] })],
    routes: { default: "anthropic/upstream-model" },
  }));
  try {
    await test(ccp, mock);
  } finally {
    await ccp.close();
    await mock.close();
  }
}

Deno.test("passthrough of a large body: the upstream reads exactly the cleaned body", async () => {
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("up", { input_tokens: 9, output_tokens: 1 }),
  }]);
  const config = testConfig({
    providers: [
      // The real Anthropic preset changes nothing but the model name.
      provider("anthropic", { preset: "anthropic", baseUrl: mock.url, apiKeys: ["k1"] }),
      // Any other Anthropic-compatible server: the attribution block is dropped.
      provider("compat", { baseUrl: mock.url, apiKeys: ["k2"] }),
    ],
    routes: { default: "anthropic/upstream-model" },
  });
  const ccp = startCcp(config);
  try {
    const body = longTurn();
    // Spaced as some SDKs send it: the copied parts keep the client's spacing.
    const text = JSON.stringify(body, null, 1);
    assert.ok(text.length > 24 * 1024);
    for (const model of ["claude-sonnet-4-5", "compat/other-model"]) {
      const res = await fetch(`${ccp.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "client" },
        body: text.replace('"claude-sonnet-4-5"', JSON.stringify(model)),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    }
    const [toAnthropic, toCompat] = mock.requests;
    assert.deepEqual(toAnthropic!.body, { ...body, model: "upstream-model" });
    assert.deepEqual(toCompat!.body, {
      ...body,
      model: "other-model",
      system: (body.system as unknown[]).slice(1),
    });
    for (const sent of [toAnthropic!, toCompat!]) {
      assert.ok(
        sent.text.includes(JSON.stringify(body.messages, null, 1).replaceAll("\n", "\n ")),
        "messages went upstream as the client wrote them",
      );
    }
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("large bodies sent at once each reach the upstream exactly as sent", () =>
  behindAnthropic(async (ccp, mock) => {
    // Each body is read from the client in several chunks and encoded for the upstream in a
    // reused scratch buffer: requests arriving together must never see each other's bytes.
    // ASCII bodies fit the first buffer; the non-ASCII ones need the wider second one.
    const bodies = Array.from({ length: 8 }, (_, i) => ({
      ...longTurn(),
      messages: Array.from({ length: 40 + 20 * i }, (_, j) => ({
        role: j % 2 === 0 ? "user" : "assistant",
        content: `${i % 2 === 0 ? "plain" : "ünïcödé ✓"} request ${i} message ${j} `.repeat(200),
      })).concat([{ role: "user", content: `last of ${i}` }]),
    }));
    const responses = await Promise.all(
      bodies.map((body) => postMessages(ccp.url, body, { "x-api-key": "client" })),
    );
    for (const res of responses) {
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    }
    assert.equal(mock.requests.length, bodies.length);
    for (const sent of mock.requests) {
      const last = (sent.body!.messages as Array<{ content: string }>).at(-1)!.content;
      const i = Number(last.slice("last of ".length));
      assert.ok(JSON.stringify(bodies[i]).length > 128 * 1024);
      assert.deepEqual(sent.body, { ...bodies[i], model: "upstream-model" });
    }
  }));

Deno.test("a large passthrough body's messages reach the upstream as the client's own bytes", () =>
  behindAnthropic(async (ccp, mock) => {
    const encoder = new TextEncoder();
    const join = (...parts: Uint8Array[]) => {
      const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
      parts.reduce((at, part) => (out.set(part, at), at + part.length), 0);
      return out;
    };
    const { messages, system, tools } = longTurn() as
      & { messages: unknown[] }
      & Record<string, unknown>;
    // Past 128 Ki characters, where ccp keeps the bytes it read.
    messages[0] = {
      role: "user",
      content: "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8 ".repeat(20_000),
    };
    // Spaced, with em dashes, escapes and a lone surrogate, as the client wrote it.
    const said = JSON.stringify(messages, null, 1).replace("\u306e", "\\u2014 \\ud800 \u2014");
    const rest = `,"system":${JSON.stringify(system)},"tools":${JSON.stringify(tools)}` +
      ',"max_tokens":32000,"stream":false}';
    const cut = said.indexOf("\u672c");
    const head = (model: string) => `{"model":${JSON.stringify(model)},"messages":`;
    const sent = [
      encoder.encode(head("claude-sonnet-4-5") + said + rest),
      // A byte order mark, which ccp reads past and does not send on.
      join(
        new Uint8Array([0xef, 0xbb, 0xbf]),
        encoder.encode(head("claude-sonnet-4-5") + said + rest),
      ),
      // Not valid UTF-8: ccp reads the byte as U+FFFD, and sends that character's UTF-8.
      join(
        encoder.encode(head("claude-sonnet-4-5") + said.slice(0, cut)),
        new Uint8Array([0xff]),
        encoder.encode(said.slice(cut) + rest),
      ),
    ];
    for (const bytes of sent) {
      const res = await fetch(`${ccp.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "client" },
        body: bytes,
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    }
    const expected = (messagesText: string) =>
      encoder.encode(head("upstream-model") + messagesText + rest);
    assert.deepEqual(mock.requests[0]!.bytes, expected(said));
    assert.deepEqual(mock.requests[1]!.bytes, expected(said));
    assert.deepEqual(
      mock.requests[2]!.bytes,
      expected(`${said.slice(0, cut)}\ufffd${said.slice(cut)}`),
    );
  }));

Deno.test("large bodies gzip'd, deflated or sent in odd pieces, at once, reach the upstream exactly", () =>
  behindAnthropic(async (ccp, mock) => {
    // The bytes copied upstream are the decoder's output or the reads as they came, kept until the
    // upstream answers while other requests are read and encoded.
    const encoder = new TextEncoder();
    const bodyOf = (tag: string) => ({
      model: "claude-sonnet-4-5",
      messages: Array.from({ length: 60 }, (_, i) => ({
        role: i % 2 === 0 ? "user" : "assistant",
        content:
          `${tag} \u2014 \u00fcn\u00efc\u00f6d\u00e9 \u65e5\u672c\u8a9e \u{1f680} "q" \\ ${i} `
            .repeat(150),
      })).concat([{ role: "user", content: tag }]),
      system: "You are Claude Code.",
      max_tokens: 1000,
      stream: false,
    });
    const compressed = async (tag: string, format: CompressionFormat) =>
      new Uint8Array(
        await new Response(
          new Blob([JSON.stringify(bodyOf(tag))]).stream().pipeThrough(
            new CompressionStream(format),
          ),
        ).arrayBuffer(),
      );
    // Pieces cut inside characters, of one byte, of 64 KiB and more, each sent on its own turn.
    const pieces = (tag: string, sizes: number[]) => {
      const bytes = encoder.encode(JSON.stringify(bodyOf(tag)));
      let at = 0;
      let n = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (at >= bytes.length) return controller.close();
          const size = sizes[n++ % sizes.length]!;
          controller.enqueue(bytes.slice(at, at += size));
          await new Promise((resolve) => setTimeout(resolve, 0));
        },
      });
    };
    const sends: Array<[string, Record<string, string>, BodyInit]> = [
      ["gzip", { "content-encoding": "gzip" }, await compressed("gzip", "gzip")],
      ["zlib", { "content-encoding": "deflate" }, await compressed("zlib", "deflate")],
      ["raw", { "content-encoding": "deflate" }, await compressed("raw", "deflate-raw")],
      ["small", {}, pieces("small", [1, 2, 3, 7, 4096, 5, 70_000])],
      ["large", {}, pieces("large", [65_536, 1, 65_535, 3])],
    ];
    const responses = await Promise.all(
      sends.map(([, headers, body]) =>
        fetch(`${ccp.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": "client", ...headers },
          body,
          duplex: "half",
        } as RequestInit)
      ),
    );
    for (const res of responses) {
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    }
    assert.equal(mock.requests.length, sends.length);
    for (const sent of mock.requests) {
      const tag = (sent.body!.messages as Array<{ content: string }>).at(-1)!.content;
      assert.ok(JSON.stringify(bodyOf(tag)).length > 128 * 1024);
      assert.deepEqual(
        sent.bytes,
        encoder.encode(JSON.stringify({ ...bodyOf(tag), model: "upstream-model" })),
        tag,
      );
    }
  }));
