// deno-lint-ignore-file no-console -- the probe reports its measurement on stdout
/**
 * Run by read_ahead_memory_test.ts under `--v8-flags=--expose-gc`: reads chunks ahead of a guarded
 * body, lets the body's reader take them while the body stays open, and prints how many of them
 * are still held once garbage is collected.
 */

import { chunksOf, primedGuard } from "../../src/resilience/body_guard.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const encoder = new TextEncoder();
const events = ["event: ping\n\n", "data: {}\n\n", "data: [1]\n\n", "data: [2]\n\n"];
const queue = events.map((event) => encoder.encode(event));
// A byte stream that gives its events one a read, then stays open (as a stream still answering).
const upstream = new ReadableStream({
  type: "bytes",
  pull(controller) {
    const piece = queue.shift();
    if (!piece) return new Promise(() => {});
    const request = controller.byobRequest!;
    new Uint8Array(request.view!.buffer, request.view!.byteOffset).set(piece);
    request.respond(piece.byteLength);
  },
});
const guarded = primedGuard(upstream, { provider: "p", idleMs: 0 });
const refs: WeakRef<Uint8Array>[] = [];
const first = await guarded.firstChunk;
refs.push(new WeakRef(first!));
for (let i = 0; i < 2; i++) refs.push(new WeakRef((await guarded.readAhead())!));
const reader = chunksOf(guarded.body);
for (let i = 0; i < 4; i++) await reader.read();
gc();
await new Promise((resolve) => setTimeout(resolve, 10));
gc();
const held = refs.slice(1).filter((ref) => ref.deref() !== undefined).length;
console.log(JSON.stringify({ readAhead: refs.length - 1, held }));
await reader.cancel();
