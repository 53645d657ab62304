/**
 * The body guard's reads: a byte stream (what fetch gives) is read through one small reused
 * buffer that grows while reads fill it, and every byte comes out once, in order.
 */

import assert from "node:assert/strict";
import { chunksOf, primedGuard } from "../../src/resilience/body_guard.ts";
import { FakeClock } from "./fake_clock.ts";
import { concatBytes } from "../helpers/bytes.ts";

/** A byte stream serving `payload` into whatever view each read offers; records the view sizes. */
function byteSource(payload: Uint8Array, views: number[]): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view!;
      views.push(view.byteLength);
      if (at >= payload.length) {
        controller.close();
        request.respond(0);
        return;
      }
      const n = Math.min(view.byteLength, payload.length - at);
      new Uint8Array(view.buffer, view.byteOffset, n).set(payload.subarray(at, at + n));
      at += n;
      request.respond(n);
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return concatBytes(await Array.fromAsync(stream));
}

Deno.test("a large body passes whole, read through a buffer that starts at 4 KiB and grows to 64 KiB", async () => {
  const payload = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) & 0xff);
  const views: number[] = [];
  const out = await readAll(
    primedGuard(byteSource(payload, views), { provider: "p", idleMs: 0 }).body,
  );
  assert.deepEqual(out, payload);
  assert.equal(views[0], 4096);
  assert.equal(Math.max(...views), 65536);
  assert.ok(views.every((v, i) => i === 0 || v >= views[i - 1]!), `views never shrink: ${views}`);
  // Once grown, the buffer is reused: 300 KB takes a handful of 64 KiB reads.
  assert.ok(views.length < 12, `${views.length} reads`);
});

Deno.test("SSE-sized reads keep the small buffer; a plain stream's chunks pass as they are", async () => {
  const event = new TextEncoder().encode(
    `event: content_block_delta\ndata: ${"x".repeat(200)}\n\n`,
  );
  const views: number[] = [];
  let sent = 0;
  const source = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      views.push(request.view!.byteLength);
      if (sent++ === 20) {
        controller.close();
        request.respond(0);
        return;
      }
      new Uint8Array(request.view!.buffer, request.view!.byteOffset).set(event);
      request.respond(event.length);
    },
  });
  const out = await readAll(primedGuard(source, { provider: "p", idleMs: 0 }).body);
  assert.equal(out.length, 20 * event.length);
  assert.ok(views.every((v) => v === 4096), `views: ${views}`);
  const plain = ReadableStream.from([Uint8Array.of(1, 2), Uint8Array.of(3)]);
  const passed = await readAll(primedGuard(plain, { provider: "p", idleMs: 0 }).body);
  assert.deepEqual(passed, Uint8Array.of(1, 2, 3));
});

Deno.test("after a burst fills the buffer, small reads bring it back to 4 KiB", async () => {
  const views: number[] = [];
  const sizes = [4096, 16384, 100, 100]; // a burst, then SSE-sized chunks
  let i = 0;
  const source = new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      views.push(request.view!.byteLength);
      const n = sizes[i++];
      if (n === undefined) {
        controller.close();
        request.respond(0);
        return;
      }
      const size = Math.min(n, request.view!.byteLength);
      new Uint8Array(request.view!.buffer, request.view!.byteOffset, size).fill(120);
      request.respond(size);
    },
  });
  const out = await readAll(primedGuard(source, { provider: "p", idleMs: 0 }).body);
  assert.equal(out.length, 4096 + 16384 + 200);
  assert.deepEqual(views, [4096, 16384, 65536, 4096, 4096]);
});

/** A plain stream whose chunks and failure the test sends by hand. */
function manualSource() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  return {
    body,
    push: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    fail: (error: Error) => controller.error(error),
    close: () => controller.close(),
  };
}

const decoded = (chunk: ReadableStreamReadResult<Uint8Array>) =>
  chunk.done ? "(done)" : new TextDecoder().decode(chunk.value);

Deno.test("held chunks come out at once, while a read ahead still waits for the upstream", async () => {
  const upstream = manualSource();
  const guarded = primedGuard(upstream.body, { provider: "p", idleMs: 0 });
  upstream.push(": keep-alive\n\n");
  await guarded.firstChunk;
  const ahead = guarded.readAhead(); // the upstream sends nothing more for now
  const reader = guarded.body.getReader();
  const first = await Promise.race([
    reader.read().then(decoded),
    new Promise<string>((resolve) => setTimeout(() => resolve("(still waiting)"), 50)),
  ]);
  assert.equal(first, ": keep-alive\n\n");
  upstream.push("data: {}\n\n");
  assert.equal(new TextDecoder().decode(await ahead), "data: {}\n\n");
  assert.equal(decoded(await reader.read()), "data: {}\n\n");
  await reader.cancel();
});

Deno.test("a read ahead that fails still lets the chunks held before it out, then the error", async () => {
  const upstream = manualSource();
  const guarded = primedGuard(upstream.body, { provider: "p", idleMs: 0 });
  upstream.push(": keep-alive\n\n");
  await guarded.firstChunk;
  const ahead = guarded.readAhead();
  upstream.fail(new Error("connection reset"));
  await assert.rejects(ahead, /connection reset/);
  const reader = guarded.body.getReader();
  assert.equal(decoded(await reader.read()), ": keep-alive\n\n");
  await assert.rejects(reader.read(), /connection reset/);
});

Deno.test("a guarded body's chunks read directly: the same chunks, then its end, no stream locked", async () => {
  const upstream = manualSource();
  const guarded = primedGuard(upstream.body, { provider: "p", idleMs: 0 });
  upstream.push("event: ping\n\n");
  await guarded.firstChunk;
  const direct = chunksOf(guarded.body);
  // The relay reads the body this way: no reader of the stream, one stream hop less per chunk.
  assert.equal(guarded.body.locked, false);
  assert.equal(decoded(await direct.read()), "event: ping\n\n");
  upstream.push("data: {}\n\n");
  assert.equal(decoded(await direct.read()), "data: {}\n\n");
  upstream.close();
  assert.equal(decoded(await direct.read()), "(done)");
  assert.equal(decoded(await direct.read()), "(done)");
  // Handed out once: a second reader of the same body is the stream's own.
  const again = chunksOf(guarded.body);
  assert.equal(guarded.body.locked, true);
  await again.cancel();
  // Any other stream is read through its own reader.
  const plain = ReadableStream.from([Uint8Array.of(1)]);
  const reader = chunksOf(plain);
  assert.equal(plain.locked, true);
  assert.deepEqual(await reader.read(), { done: false, value: Uint8Array.of(1) });
});

/** A byte stream serving `chunks`, one a read, each into the view the read offers. */
function chunkedByteSource(chunks: readonly string[]): ReadableStream<Uint8Array> {
  const encoded = chunks.map((chunk) => new TextEncoder().encode(chunk));
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      const chunk = encoded.shift();
      if (!chunk) {
        controller.close();
        request.respond(0);
        return;
      }
      new Uint8Array(request.view!.buffer, request.view!.byteOffset).set(chunk);
      request.respond(chunk.byteLength);
    },
  });
}

Deno.test("lent chunks read directly come in the reused buffer, uncopied, each emptied by the next read", async () => {
  const events = ["event: ping\n\n", "data: {}\n\n", "data: [DONE]\n\n"];
  for (const lend of [true, false]) {
    const guarded = primedGuard(chunkedByteSource(events), { provider: "p", idleMs: 0 });
    await guarded.firstChunk;
    const reader = chunksOf(guarded.body, lend);
    // The first chunk was read ahead and is held: a copy of its own, whoever reads it.
    const first = await reader.read();
    assert.equal(decoded(first), events[0]);
    const second = await reader.read();
    assert.equal(decoded(second), events[1]);
    const third = await reader.read();
    assert.equal(decoded(third), events[2]);
    assert.equal(decoded(first), events[0], "a held chunk stays whole");
    // A lent chunk is the reader's buffer: the next read took it back. A copy stays whole.
    assert.equal(decoded(second), lend ? "" : events[1]);
    assert.equal(decoded(await reader.read()), "(done)");
  }
  // The body's stream, read by someone else, gets copies whatever a direct reader would have.
  const guarded = primedGuard(chunkedByteSource(events), { provider: "p", idleMs: 0 });
  const chunks = await Array.fromAsync(guarded.body);
  assert.deepEqual(chunks.map((chunk) => new TextDecoder().decode(chunk)), events);
});

Deno.test("copied chunks read as the answer streams share slabs; a chunk read ahead has its own", async () => {
  const events = ["event: ping\n\n", "data: {}\n\n", "data: [1]\n\n", "data: [DONE]\n\n"];
  const guarded = primedGuard(chunkedByteSource(events), { provider: "p", idleMs: 0 });
  await guarded.firstChunk;
  const reader = chunksOf(guarded.body);
  const chunks = [];
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    chunks.push(read.value);
  }
  assert.deepEqual(chunks.map((chunk) => new TextDecoder().decode(chunk)), events);
  // Held for as long as the stream lasts, the chunk read ahead keeps no slab alive.
  assert.equal(chunks[0]!.buffer.byteLength, chunks[0]!.byteLength);
  // The others, passed on at once: carved one after another, no buffer of their own each.
  assert.equal(chunks[1]!.buffer, chunks[2]!.buffer);
  assert.equal(chunks[2]!.buffer, chunks[3]!.buffer);
});

Deno.test("read directly, an idle timeout and a failed read ahead end the body as the stream does", async () => {
  const clock = new FakeClock();
  const upstream = manualSource();
  const guarded = primedGuard(upstream.body, { provider: "p", idleMs: 1000, clock });
  upstream.push("event: ping\n\n");
  await guarded.firstChunk;
  const direct = chunksOf(guarded.body);
  assert.equal(decoded(await direct.read()), "event: ping\n\n");
  const waiting = direct.read();
  waiting.catch(() => {});
  await clock.advance(1000);
  await assert.rejects(waiting, /idle/);
  await assert.rejects(direct.read(), /idle/);

  const failing = manualSource();
  const second = primedGuard(failing.body, { provider: "p", idleMs: 0 });
  failing.push(": keep-alive\n\n");
  await second.firstChunk;
  const ahead = second.readAhead();
  failing.fail(new Error("connection reset"));
  await assert.rejects(ahead, /connection reset/);
  const reader = chunksOf(second.body);
  assert.equal(decoded(await reader.read()), ": keep-alive\n\n");
  await assert.rejects(reader.read(), /connection reset/);
  await assert.rejects(reader.read(), /connection reset/);
});

Deno.test("a body cancelled through its direct reader lets the upstream go", async () => {
  let cancelled: unknown;
  const upstream = new ReadableStream<Uint8Array>({
    start: (c) => c.enqueue(new TextEncoder().encode("event: ping\n\n")),
    cancel: (reason) => void (cancelled = reason),
  });
  let settled = 0;
  const guarded = primedGuard(upstream, { provider: "p", idleMs: 0, onSettle: () => settled++ });
  await guarded.firstChunk;
  const direct = chunksOf(guarded.body);
  await direct.cancel("client gone");
  assert.equal(cancelled, "client gone");
  assert.equal(settled, 1);
  assert.equal(decoded(await direct.read()), "(done)");
});
