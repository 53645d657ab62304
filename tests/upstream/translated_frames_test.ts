import assert from "node:assert/strict";
import type { EventSourceMessage } from "eventsource-parser";
import type { AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";
import type { SseTranslation } from "../../src/translate/sse_translation.ts";
import type { RelayOutcome } from "../../src/upstream/relay_stream.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import { parseSse } from "../helpers/ccp.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

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
          message: openingMessage("msg_1", "claude-x", { input_tokens: 40, output_tokens: 1 }),
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
      case "long":
        return [{
          type: "content_block_delta",
          index: 0,
          delta: { type: "text_delta", text: "x".repeat(400) },
        }];
      case "stop-then-more":
        done = true;
        return [{ type: "message_stop" }, { type: "content_block_stop", index: 9 }];
      case "boom":
        throw new Error("boom");
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

interface RelayRun {
  frames: ReturnType<typeof parseSse>;
  outcome?: RelayOutcome;
  cancelled: boolean;
  /** Chunks the upstream was asked for. */
  reads: number;
}

/**
 * Relays `chunks` (a number is a pause of that many ms before the next chunk); with `open`, the
 * upstream never ends after its last chunk, so only the relay can end the stream.
 */
async function relay(
  chunks: (string | Uint8Array | number)[],
  translation: SseTranslation = scripted(),
  options: { pingIntervalMs?: number; shutdown?: AbortSignal; open?: boolean } = {},
): Promise<RelayRun> {
  let outcome: RelayOutcome | undefined;
  let cancelled = false;
  let i = 0;
  let reads = 0;
  const upstream = new ReadableStream<Uint8Array>({
    async pull(c) {
      reads++;
      let next = chunks[i++];
      while (typeof next === "number") {
        await new Promise((resolve) => setTimeout(resolve, next as number));
        next = chunks[i++];
      }
      if (next === undefined) {
        if (options.open) await new Promise<void>(() => {});
        c.close();
      } else c.enqueue(typeof next === "string" ? enc.encode(next) : next);
    },
    cancel() {
      cancelled = true;
    },
  });
  const out = relayTranslatedStream(upstream, translation, {
    describeUpstream: "Provider p",
    keys: [KEY],
    pingIntervalMs: options.pingIntervalMs ?? 0,
    shutdown: options.shutdown,
    onEnd: (o) => (outcome = o),
  });
  const frames = parseSse(await new Response(out).text());
  return { frames, outcome, cancelled, reads };
}

const errorOf = (run: RelayRun) =>
  run.frames.at(-1)!.data.error as { type: string; message: string };

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
  // The stop reason is read off the translated message_delta, as the usage is.
  assert.deepEqual(outcome, {
    usage: { inputTokens: 40, outputTokens: 7 },
    stopReason: "end_turn",
  });
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

Deno.test("translated relay: a stream cut short records the output it streamed, not 1 token", async () => {
  const cut = await relay(["data: start text\n\n", "data: long long\n\n"]);
  assert.equal(cut.frames.at(-1)!.event, "error");
  // 802 characters streamed at ~4 characters per token; message_start had said 1.
  assert.deepEqual(cut.outcome?.usage, { inputTokens: 40, outputTokens: 201 });
  // A stream that reached its end keeps the upstream's own count.
  const whole = await relay(["data: start text long delta stop\n\n"]);
  assert.deepEqual(whole.outcome?.usage, { inputTokens: 40, outputTokens: 7 });
});

Deno.test("translated relay: once the translation is done nothing more is fed, read or sent", async () => {
  // The second message in the same chunk is not translated; the open upstream is let go.
  const run = await relay(
    ["data: start text quit\n\ndata: text\n\n", "data: text\n\n"],
    scripted(),
    {
      open: true,
    },
  );
  assert.deepEqual(run.frames.map((f) => f.event), [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "error",
  ]);
  assert.equal(errorOf(run).message, "Provider p closed the stream before message_stop");
  assert.equal(run.cancelled, true);
  assert.equal(run.reads, 1);
});

Deno.test("translated relay: events after message_stop are not sent", async () => {
  const run = await relay(["data: start\n\n", "data: stop-then-more\n\n"], scripted(), {
    open: true,
  });
  assert.deepEqual(run.frames.map((f) => f.event), ["message_start", "message_stop"]);
  assert.equal(run.cancelled, true);
});

Deno.test("translated relay: a translation that throws ends the stream with one error, upstream let go", async () => {
  const run = await relay(["data: start text\n\n", "data: boom\n\n"], scripted(), {
    open: true,
    pingIntervalMs: 20,
  });
  assert.deepEqual(run.frames.map((f) => f.event).slice(-2), ["content_block_stop", "error"]);
  assert.equal(errorOf(run).message, "ccp could not relay the stream of Provider p: boom");
  assert.equal(run.outcome?.error, errorOf(run).message);
  assert.equal(run.cancelled, true);
  // The ping timer was stopped with the stream: nothing fires into the closed stream.
  await new Promise((resolve) => setTimeout(resolve, 60));
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

Deno.test("translated relay: an event begun in the chunk that ended another counts toward 16 MiB", async () => {
  const fifteen = new Uint8Array(15 * 1024 * 1024).fill(0x61);
  const head = enc.encode("data: start\n\ndata: ");
  const begun = new Uint8Array(head.byteLength + fifteen.byteLength);
  begun.set(head);
  begun.set(fifteen, head.byteLength);
  const run = await relay([begun, fifteen, "\n\ndata: stop\n\n"]);
  assert.deepEqual(run.frames.map((f) => f.event), ["message_start", "error"]);
  assert.match(errorOf(run).message, /larger than 16 MiB/);
});

Deno.test("translated relay: upstream keep-alives that translate to nothing do not stop the pings", async () => {
  const keepAlives = Array.from({ length: 8 }, () => [40, ": keep-alive\n\n"]).flat();
  const run = await relay(["data: start\n\n", ...keepAlives, "data: stop\n\n"], scripted(), {
    pingIntervalMs: 100,
  });
  const pings = run.frames.filter((f) => f.event === "ping").length;
  assert.ok(pings >= 2, `${pings} pings over ~320 ms of keep-alives at a 100 ms interval`);
  assert.equal(run.frames.at(-1)!.event, "message_stop");
});

Deno.test("translated relay: shutdown ends a stream at once, and a finished stream lets go of the signal", async () => {
  const gone = new AbortController();
  gone.abort();
  const run = await relay(["data: start\n\n", "data: stop\n\n"], scripted(), {
    shutdown: gone.signal,
    open: true,
  });
  assert.deepEqual(run.frames.map((f) => f.event), ["error"]);
  assert.deepEqual(errorOf(run), { type: "overloaded_error", message: "ccp is shutting down" });

  // A stand-in signal that counts its listeners: one per open stream, none once it is over.
  let listeners = 0;
  const signal = {
    aborted: false,
    addEventListener: () => listeners++,
    removeEventListener: () => listeners--,
  } as unknown as AbortSignal;
  const done = await relay(["data: start\n\n", "data: stop\n\n"], scripted(), { shutdown: signal });
  assert.equal(done.frames.at(-1)!.event, "message_stop");
  assert.equal(listeners, 0);
});
