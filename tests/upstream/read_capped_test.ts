/**
 * A non-streaming answer's JSON read with its size limit: from a guarded upstream body it is read
 * directly (the guard's own reads, no stream around them), chunk by chunk, under the same limit.
 */

import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
import { primedGuard } from "../../src/resilience/body_guard.ts";
import { readJsonCapped } from "../../src/upstream/http/read_capped.ts";

/** A byte stream (what fetch gives) that hands out `parts` one per read. */
function byteParts(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const part = parts[next++];
      if (part !== undefined) return controller.enqueue(part.slice());
      controller.close();
      // A BYOB read waiting for bytes is told there are none.
      controller.byobRequest?.respond(0);
    },
  });
}

/** A JSON answer whose body is `parts`, behind the body guard as the transports get it. */
function guarded(parts: readonly Uint8Array[]): Response {
  const { body } = primedGuard(byteParts(parts), { provider: "p", idleMs: 0 });
  return new Response(body, { headers: { "content-type": "application/json" } });
}

const encoder = new TextEncoder();
const answer = { type: "message", content: [{ type: "text", text: "é ".repeat(3000) }] };
const bytes = encoder.encode(JSON.stringify(answer));

Deno.test("readJsonCapped reads a guarded body directly: the whole answer, its stream never locked", async () => {
  const cuts = [0, 1, 2, 4096, 4097, 6001, bytes.length];
  const parts = cuts.slice(1).map((end, i) => bytes.subarray(cuts[i]!, end));
  const response = guarded(parts);
  assert.deepEqual(await readJsonCapped(response, 1 << 20, "Provider p"), answer);
  // Read through the stream, the body would be locked to its reader.
  assert.equal(response.body!.locked, false);
});

Deno.test("readJsonCapped from a guarded body still stops at the size limit", async () => {
  const response = guarded([bytes.subarray(0, 5000), bytes.subarray(5000)]);
  await assert.rejects(
    () => readJsonCapped(response, 6000, "Provider p"),
    (error: unknown) => error instanceof UpstreamError && error.message.includes("larger than"),
  );
});

Deno.test("readJsonCapped reads a plain body (not guarded) as before", async () => {
  const response = new Response(JSON.stringify(answer));
  assert.deepEqual(await readJsonCapped(response, 1 << 20, "Provider p"), answer);
});

Deno.test("readJsonCapped names the upstream only in a failure: asked for the name then", async () => {
  let asked = 0;
  const where = () => (asked++, "Provider p (model m)");
  assert.deepEqual(await readJsonCapped(guarded([bytes]), 1 << 20, where), answer);
  assert.equal(asked, 0, "an answer read whole needs no name");
  await assert.rejects(
    () => readJsonCapped(guarded([bytes]), 6000, where),
    (error: unknown) =>
      error instanceof UpstreamError &&
      error.message.startsWith("Provider p (model m) sent an answer larger than"),
  );
  await assert.rejects(
    () => readJsonCapped(guarded([bytes.subarray(0, 100)]), 1 << 20, where),
    (error: unknown) =>
      error instanceof UpstreamError &&
      error.message.startsWith("Provider p (model m) sent an unreadable JSON"),
  );
  assert.equal(asked, 2);
});
