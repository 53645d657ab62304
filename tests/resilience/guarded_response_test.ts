/**
 * A guarded upstream answer as a Response: the guard's stream is made only when something asks for
 * it, and everything read through it behaves as the Response over that stream did.
 */

import assert from "node:assert/strict";
import { primedGuard } from "../../src/resilience/body_guard.ts";
import { bodyChunks, guardedResponse } from "../../src/resilience/guarded_response.ts";
import { readJsonCapped } from "../../src/upstream/http/read_capped.ts";

const encoder = new TextEncoder();

/** A byte stream (what fetch gives) that hands out `parts` one per read, then `end`. */
function byteParts(parts: readonly string[], end?: Error): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const part = parts[next++];
      if (part !== undefined) return controller.enqueue(encoder.encode(part));
      if (end) return controller.error(end);
      controller.close();
      controller.byobRequest?.respond(0);
    },
  });
}

function upstream(status = 200): Response {
  return new Response(null, {
    status,
    statusText: "Fine",
    headers: { "content-type": "application/json", "request-id": "req_up" },
  });
}

/** Counts the ReadableStreams made while `run` runs. */
async function streamsMadeBy(run: () => Promise<void>): Promise<number> {
  const Original = globalThis.ReadableStream;
  let made = 0;
  globalThis.ReadableStream = class extends Original<unknown> {
    constructor(...args: ConstructorParameters<typeof ReadableStream>) {
      super(...args);
      made++;
    }
  } as typeof ReadableStream;
  try {
    await run();
  } finally {
    globalThis.ReadableStream = Original;
  }
  return made;
}

Deno.test("guarded answer: read whole, its stream is never made", async () => {
  const source = byteParts(['{"type":"mes', 'sage","content":[]}']);
  let read: unknown;
  const made = await streamsMadeBy(async () => {
    const guarded = primedGuard(source, { provider: "p", idleMs: 0 });
    await guarded.firstChunk;
    read = await readJsonCapped(guardedResponse(upstream(), guarded), 1 << 20, "Provider p");
  });
  assert.deepEqual(read, { type: "message", content: [] });
  assert.equal(made, 0);
});

Deno.test("guarded answer: status, the upstream's headers, and reads through its stream", async () => {
  const guarded = primedGuard(byteParts(["he", "llo"]), { provider: "p", idleMs: 0 });
  const response = guardedResponse(upstream(), guarded);
  assert.equal(response.status, 200);
  assert.equal(response.statusText, "Fine");
  assert.ok(response.ok);
  assert.equal(response.headers.get("request-id"), "req_up");
  assert.equal(response.bodyUsed, false);
  assert.equal(response.body, response.body, "one stream, made once");
  assert.equal(await response.text(), "hello");
  assert.equal(response.bodyUsed, true);
  assert.ok(response instanceof Response);
});

Deno.test("guarded answer: read directly first, the stream's reader goes on from there", async () => {
  const guarded = primedGuard(byteParts(["a", "b", "c"]), { provider: "p", idleMs: 0 });
  const response = guardedResponse(upstream(), guarded);
  const direct = bodyChunks(response)!;
  assert.equal(new TextDecoder().decode((await direct.read()).value), "a");
  // The direct reader is given once: the next reader is the stream's own.
  const rest = await new Response(response.body).text();
  assert.equal(rest, "bc");
  assert.equal(response.body!.locked, true);
});

Deno.test("guarded answer: failed before its stream was made, the stream fails the same way", async () => {
  const broken = new Error("upstream reset");
  const guarded = primedGuard(byteParts([], broken), { provider: "p", idleMs: 0 });
  await assert.rejects(guarded.firstChunk, (error) => error === broken);
  const response = guardedResponse(upstream(), guarded);
  await assert.rejects(response.text(), (error) => error === broken);
});
