/**
 * Property, through the whole server (route, dispatcher, the held start of a stream, relay,
 * translation): however an upstream's answer is cut into reads, the client gets the same
 * Anthropic stream, on every wire protocol, and the same message when it asked for JSON.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { createApp } from "../../src/server/app.ts";
import { TRANSPORTS } from "../../src/server/compose.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { encodeEvents, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import { responsesSse } from "../mocks/responses_wire.ts";
import { assertWellFormed, parseFrames } from "../translate/_stream_helpers.ts";
import { seeded } from "../helpers/random.ts";

const fixture = (path: string) =>
  Deno.readFileSync(new URL(`../fixtures/${path}`, import.meta.url));
const encoder = new TextEncoder();

const UPSTREAMS: Record<string, Uint8Array> = {
  anthropic: encoder.encode(encodeEvents(thinkingTextToolTurn("up"))),
  openai: fixture("openai/reasoning_content_text_tool.sse"),
  openai_responses: encoder.encode(responsesSse({
    items: [
      { kind: "reasoning", summary: ["Plan — ✓."], encrypted: "enc" },
      { kind: "text", text: "Hello wörld 😀" },
      { kind: "call", name: "Bash", args: '{"command":"ls é"}', callId: "call_A" },
    ],
  }, "gpt-5")),
  gemini: fixture("gemini/thoughts_then_text.sse"),
};

function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut > from && cut < bytes.length) {
      out.push(bytes.slice(from, cut));
      from = cut;
    }
  }
  out.push(bytes.slice(from));
  return out;
}

function app(chunks: () => Uint8Array[]) {
  const providers = [
    provider("anthropic", { type: "anthropic", baseUrl: "http://up.test", apiKeys: ["k"] }),
    provider("openai", { type: "openai", baseUrl: "http://up.test/v1", apiKeys: ["k"] }),
    provider("openai_responses", {
      type: "openai_responses",
      baseUrl: "http://up.test/v1",
      apiKeys: ["k"],
    }),
    provider("gemini", { type: "gemini", baseUrl: "http://up.test/v1beta", apiKeys: ["k"] }),
  ];
  return createApp({
    config: () => testConfig({ providers, routes: { default: "anthropic/m" } }),
    fetch: () =>
      Promise.resolve(
        new Response(ReadableStream.from(chunks()), {
          headers: { "content-type": "text/event-stream" },
        }),
      ),
    log: createLogger({ level: "error", write: () => {}, colour: false }),
    transports: TRANSPORTS,
    registry: new ResilienceRegistry(),
    countTokens: () => Promise.resolve(7),
    now: () => performance.now(),
    startedAt: new Date("2026-11-21T00:00:00Z"),
    version: "test",
  });
}

/** Generated ids (messages, tool calls) replaced, so answers compare equal. */
function normalized(text: string): string {
  return text.replace(/(msg|toolu)_[A-Za-z0-9]{24}/g, "$1_GENERATED");
}

async function ask(server: ReturnType<typeof app>, model: string, stream: boolean) {
  const res = await server.fetch(
    new Request("http://ccp.test/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model,
        max_tokens: 64,
        stream,
        tools: [{ name: "Bash", input_schema: { type: "object" } }],
        messages: [{ role: "user", content: "hi" }],
      }),
    }),
  );
  return { status: res.status, text: normalized(await res.text()) };
}

Deno.test("property: any cut of an upstream's answer gives the client the same answer", async (t) => {
  for (const [kind, bytes] of Object.entries(UPSTREAMS)) {
    await t.step(kind, async () => {
      let chunks: Uint8Array[] = [bytes];
      const server = app(() => chunks);
      const model = `${kind}/m`;
      const stream = await ask(server, model, true);
      const json = await ask(server, model, false);
      assert.equal(stream.status, 200, stream.text);
      assert.equal(json.status, 200, json.text);
      const frames = parseFrames(stream.text);
      // An Anthropic upstream's own events pass as they are; a translation's are ccp's own.
      if (kind !== "anthropic") assertWellFormed(frames);
      assert.equal(frames.at(-1)!.event, "message_stop");
      const random = seeded(bytes.length);
      const splits = [Array.from(bytes, (_, i) => i)];
      for (let run = 0; run < 40; run++) {
        splits.push(
          Array.from(
            { length: 1 + Math.floor(random() * 16) },
            () => Math.floor(random() * bytes.length),
          ),
        );
      }
      for (const cuts of splits) {
        chunks = splitAt(bytes, cuts);
        assert.deepEqual(await ask(server, model, true), stream, `stream, cuts ${cuts}`);
        assert.deepEqual(await ask(server, model, false), json, `JSON, cuts ${cuts}`);
      }
    });
  }
});
