import assert from "node:assert/strict";
import { primedGuard } from "../../src/resilience/body_guard.ts";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import { openAIChatTranslation } from "../../src/translate/openai_chat/stream.ts";
import { concatBytes } from "../helpers/bytes.ts";

// The relays as they run in ccp: behind the body guard, over a byte stream read through the
// guard's reused buffer. The translating relay borrows each chunk from that buffer (uncopied);
// the passthrough relay forwards chunks as they came, so it must get copies of its own.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A guarded byte stream serving `pieces`, one a read, each into the view the read offers. */
function guardedBytes(pieces: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  const queue = [...pieces];
  const body = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      const piece = queue.shift();
      if (!piece) {
        controller.close();
        request.respond(0);
        return;
      }
      new Uint8Array(request.view!.buffer, request.view!.byteOffset).set(piece);
      request.respond(piece.byteLength);
    },
  });
  return primedGuard(body, { provider: "p", idleMs: 0 }).body;
}

/** `text` as UTF-8, cut every `size` bytes (inside characters too). */
function cut(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.byteLength; at += size) pieces.push(bytes.slice(at, at + size));
  return pieces;
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return decoder.decode(concatBytes(await Array.fromAsync(stream)));
}

Deno.test("behind the body guard, the passthrough relay forwards every chunk whole", async () => {
  const events = [
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",' +
    '"role":"assistant","model":"up","content":[],"stop_reason":null,"stop_sequence":null,' +
    '"usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,' +
    '"content_block":{"type":"text","text":""}}\n\n',
    ...["héllo ", "wörld ", "✓ ", "done"].map((word) =>
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,' +
      `"delta":{"type":"text_delta","text":"${word}"}}\n\n`
    ),
    'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",' +
    '"stop_sequence":null},"usage":{"output_tokens":4}}\n\n',
    'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  ];
  const options = { clientModel: "up", describeUpstream: "p", pingIntervalMs: 0 };
  // One event a read (each forwarded as the bytes that came in), and reads cut anywhere.
  const whole = await text(
    relayAnthropicStream(guardedBytes(events.map((e) => encoder.encode(e))), options),
  );
  assert.equal(whole, events.join(""));
  const pieces = await text(relayAnthropicStream(guardedBytes(cut(events.join(""), 7)), options));
  assert.equal(pieces, events.join(""));
});

Deno.test("behind the body guard, the translating relay reads borrowed chunks cut inside characters", async () => {
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  const words = ["héllo ", "wörld ", "✓ ", "naïve ", "done"];
  const stream = chunk({ role: "assistant", content: "" }) +
    words.map((content) => chunk({ content })).join("") + chunk({}, "stop") + "data: [DONE]\n\n";
  const options = { clientModel: "claude", inputTokens: 9, provider: "p", upstreamModel: "m" };
  for (const size of [1, 5, 64, 4096]) {
    const out = await text(
      relayTranslatedStream(guardedBytes(cut(stream, size)), openAIChatTranslation(options), {
        describeUpstream: "p",
        pingIntervalMs: 0,
      }),
    );
    const said = [...out.matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]).join("");
    assert.equal(said, words.join(""), `reads of ${size} bytes`);
    assert.match(out, /event: message_stop/);
  }
});
