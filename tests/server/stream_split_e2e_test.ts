/**
 * Property, through the whole server (route, dispatcher, the held start of a stream, relay,
 * translation): however an upstream's answer is cut into reads, the client gets the same
 * Anthropic stream, on every wire protocol, and the same message when it asked for JSON.
 */

import assert from "node:assert/strict";
import { encodeEvents, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import { responsesSse } from "../mocks/responses_wire.ts";
import { assertWellFormed, parseFrames } from "../translate/_stream_helpers.ts";
import { seeded } from "../helpers/random.ts";
import { askMessages, everyProtocolApp } from "../helpers/every_protocol.ts";
import { splitAt } from "../helpers/bytes.ts";

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

function app(chunks: () => Uint8Array[]) {
  return everyProtocolApp(() =>
    Promise.resolve(
      new Response(ReadableStream.from(chunks()), {
        headers: { "content-type": "text/event-stream" },
      }),
    )
  );
}

/** Generated ids (messages, tool calls) replaced, so answers compare equal. */
function normalized(text: string): string {
  return text.replace(/(msg|toolu)_[A-Za-z0-9]{24}/g, "$1_GENERATED");
}

async function ask(server: ReturnType<typeof app>, model: string, stream: boolean) {
  const { status, text } = await askMessages(server, {
    model,
    max_tokens: 64,
    stream,
    tools: [{ name: "Bash", input_schema: { type: "object" } }],
    messages: [{ role: "user", content: "hi" }],
  });
  return { status, text: normalized(text) };
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
