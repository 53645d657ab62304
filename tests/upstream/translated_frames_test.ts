import assert from "node:assert/strict";
import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import type { SseTranslation } from "../../src/translate/sse_translation.ts";
import type { RelayOutcome } from "../../src/upstream/relay_stream.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import { parseSse } from "../helpers/ccp.ts";

const enc = new TextEncoder();
const KEY = "sk-test-0123456789abcdef";

/**
 * A translation driven by the upstream's data lines: each names the events to emit (`start`,
 * `text`, `delta`, `stop`, `error`, `quit`), so a test writes the stream it wants in SSE.
 */
function scripted(): SseTranslation & { ends: number } {
  let done = false;
  const state = { ends: 0 };
  const events = (word: string): AnthropicStreamEvent[] => {
    switch (word) {
      case "start":
        return [{
          type: "message_start",
          message: {
            id: "msg_1",
            type: "message",
            role: "assistant",
            model: "claude-x",
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 40, output_tokens: 1 },
          },
        } as unknown as AnthropicStreamEvent];
      case "text":
        return [
          { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
          { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
          { type: "content_block_stop", index: 0 },
        ];
      case "delta":
        return [{
          type: "message_delta",
          delta: { stop_reason: "end_turn", stop_sequence: null },
          usage: { output_tokens: 7 },
        } as unknown as AnthropicStreamEvent];
      case "stop":
        done = true;
        return [{ type: "message_stop" }];
      case "error":
        done = true;
        return [{
          type: "error",
          error: { type: "authentication_error", message: `bad key ${KEY}` },
        } as unknown as AnthropicStreamEvent];
      case "quit":
        done = true;
        return [];
      default:
        return [];
    }
  };
  return {
    get done() {
      return done;
    },
    get ends() {
      return state.ends;
    },
    message: (message: EventSourceMessage) => message.data.split(" ").flatMap(events),
    end: () => {
      state.ends++;
      return [];
    },
  };
}

async function relay(
  chunks: (string | Uint8Array)[],
  translation: SseTranslation = scripted(),
): Promise<{ frames: ReturnType<typeof parseSse>; outcome?: RelayOutcome; cancelled: boolean }> {
  let outcome: RelayOutcome | undefined;
  let cancelled = false;
  let i = 0;
  const upstream = new ReadableStream<Uint8Array>({
    pull(c) {
      const next = chunks[i++];
      if (next === undefined) c.close();
      else c.enqueue(typeof next === "string" ? enc.encode(next) : next);
    },
    cancel() {
      cancelled = true;
    },
  });
  const out = relayTranslatedStream(upstream, translation, {
    describeUpstream: "Provider p",
    keys: [KEY],
    pingIntervalMs: 0,
    onEnd: (o) => (outcome = o),
  });
  const frames = parseSse(await new Response(out).text());
  return { frames, outcome, cancelled };
}

Deno.test("translated relay: events out in order, usage read off the events, upstream let go", async () => {
  // The stop arrives while the upstream still has more to send: it is not read further.
  const { frames, outcome, cancelled } = await relay([
    "data: start\n\n",
    "data: te",
    "xt\n\ndata: delta\n\ndata: stop\n\n",
    "data: text\n\n",
  ]);
  assert.deepEqual(frames.map((f) => f.event), [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  assert.deepEqual(outcome, { usage: { inputTokens: 40, outputTokens: 7 } });
  assert.equal(cancelled, true);
});

Deno.test("translated relay: an error event ends the stream once, scrubbed, type as the client sees it", async () => {
  const { frames, outcome } = await relay(["data: start text\n\n", "data: error text\n\n"]);
  assert.deepEqual(frames.map((f) => f.event), [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "error",
  ]);
  const error = frames.at(-1)!.data.error as { type: string; message: string };
  // The upstream refusing ccp's key is not the client's authentication problem.
  assert.equal(error.type, "api_error");
  assert.ok(!error.message.includes(KEY), error.message);
  assert.equal(outcome?.error, error.message);
});

Deno.test("translated relay: a translation that ends without message_stop is cut off with an error", async () => {
  const { frames } = await relay(["data: start text quit\n\n", "data: text\n\n"]);
  assert.equal(frames.at(-1)!.event, "error");
  assert.match(
    (frames.at(-1)!.data.error as { message: string }).message,
    /^Provider p closed the stream before message_stop$/,
  );
  assert.equal(frames.filter((f) => f.event === "error").length, 1);
});

Deno.test("translated relay: the upstream's end runs the translation's end once", async () => {
  const translation = scripted();
  const { frames } = await relay(["data: start text\n\n", "data: delta"], translation);
  assert.equal(translation.ends, 1);
  // The last event lacked its blank line and still counted; no message_stop came, so: an error.
  assert.deepEqual(frames.map((f) => f.event).slice(-2), ["message_delta", "error"]);
});

Deno.test("translated relay: an upstream that never ends its event is cut off at 16 MiB", async () => {
  const mib = new Uint8Array(1024 * 1024).fill(0x61); // "aaaa…": one endless data line
  const { frames, cancelled } = await relay([
    "data: start\n\n",
    "data: ",
    ...Array.from({ length: 17 }, () => mib),
    "\n\ndata: stop\n\n",
  ]);
  assert.deepEqual(frames.map((f) => f.event), ["message_start", "error"]);
  assert.match(
    (frames[1]!.data.error as { message: string }).message,
    /Provider p sent a stream event larger than 16 MiB/,
  );
  assert.equal(cancelled, true);
});
