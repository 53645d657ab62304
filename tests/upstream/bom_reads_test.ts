import assert from "node:assert/strict";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import { openAIChatTranslation } from "../../src/translate/openai_chat/stream.ts";
import { concatBytes } from "../helpers/bytes.ts";

// A model may write U+FEFF (a zero-width no-break space) in its text. A stream may also begin
// with a byte-order mark, which SSE readers drop. Only that first one is a BOM: one that begins
// a later read is text, and reaches the client, whatever came in the reads before it.

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const BOM = "\uFEFF";

/** A byte stream serving `pieces`, one a read. */
function bytesOf(pieces: readonly string[]): ReadableStream<Uint8Array> {
  const queue = pieces.map((piece) => encoder.encode(piece));
  return new ReadableStream({
    pull(controller) {
      const piece = queue.shift();
      if (piece) controller.enqueue(piece);
      else controller.close();
    },
  });
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return decoder.decode(concatBytes(await Array.fromAsync(stream)));
}

const anthropicEvents = (said: string) => [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",' +
  '"role":"assistant","model":"up","content":[],"stop_reason":null,"stop_sequence":null,' +
  '"usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
  'event: content_block_start\ndata: {"type":"content_block_start","index":0,' +
  '"content_block":{"type":"text","text":""}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,' +
  `"delta":{"type":"text_delta","text":"`,
  `${said}"}}\n\n`,
  'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
  'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn",' +
  '"stop_sequence":null},"usage":{"output_tokens":4}}\n\n',
  'event: message_stop\ndata: {"type":"message_stop"}\n\n',
];

const passthrough = { clientModel: "up", describeUpstream: "p", pingIntervalMs: 0 };

Deno.test("passthrough: a U+FEFF that begins a read after ASCII reads stays in the text", async () => {
  const events = anthropicEvents(`${BOM}x${BOM}`);
  const out = await text(relayAnthropicStream(bytesOf(events), passthrough));
  assert.equal(out, events.join(""));
});

Deno.test("passthrough: a stream's leading BOM is still not read as part of its first line", async () => {
  // Without its `event:` line, the first event's `data:` line is the stream's first line.
  const events = anthropicEvents("hi");
  events[0] = events[0]!.replace("event: message_start\n", "");
  // Split inside the BOM's bytes too: the first read is its first byte alone.
  const body = encoder.encode(BOM + events.join(""));
  const pieces = [body.slice(0, 1), body.slice(1, 40), body.slice(40)];
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const piece = pieces.shift();
      if (piece) controller.enqueue(piece);
      else controller.close();
    },
  });
  const out = await text(relayAnthropicStream(stream, { ...passthrough, clientModel: "claude" }));
  // The message_start was read: the model in it is the one the client asked for.
  assert.match(out, /"model":"claude"/);
  assert.doesNotMatch(out, /"model":"up"|error/);
});

const chatChunk = (delta: string, finish = "null") =>
  `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",` +
  `"choices":[{"index":0,"delta":${delta},"finish_reason":${finish}}]}\n\n`;

/** The text a translated Chat stream of `pieces` (one a read) gives the client. */
async function translatedText(pieces: readonly string[]): Promise<string> {
  const options = { clientModel: "claude", inputTokens: 9, provider: "p", upstreamModel: "m" };
  const out = await text(
    relayTranslatedStream(bytesOf(pieces), openAIChatTranslation(options), {
      describeUpstream: "p",
      pingIntervalMs: 0,
    }),
  );
  assert.match(out, /event: message_stop/);
  return [...out.matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]).join("");
}

Deno.test("translated: a U+FEFF that begins a read after ASCII reads stays in the text", async () => {
  const [before, after] = chatChunk('{"content":"#"}').split("#") as [string, string];
  const said = await translatedText([
    chatChunk('{"role":"assistant","content":""}'),
    chatChunk('{"content":"a"}'),
    // This read ends just before the delta's text; the next begins with U+FEFF.
    before,
    `${BOM}b${after}`,
    chatChunk("{}", '"stop"') + "data: [DONE]\n\n",
  ]);
  assert.equal(said, `a${BOM}b`);
});

Deno.test("translated: a stream's leading BOM is not text", async () => {
  const said = await translatedText([
    BOM + chatChunk('{"role":"assistant","content":""}'),
    chatChunk('{"content":"a"}'),
    chatChunk("{}", '"stop"') + "data: [DONE]\n\n",
  ]);
  assert.equal(said, "a");
});
