/** Scratch buffers: lent for one synchronous step, reused across calls, bounded in number and size. */

import assert from "node:assert/strict";
import {
  idleScratch,
  MAX_IDLE,
  MAX_POOLED,
  MIN_POOLED,
  withScratch,
} from "../../src/core/scratch_bytes.ts";

Deno.test("a large buffer is lent again to the next call that fits it", () => {
  const first = withScratch(300_000, (buffer) => buffer.buffer);
  // Sized to the next power of two, so a body that grows a little still fits.
  assert.equal(first.byteLength, 512 * 1024);
  assert.equal(withScratch(310_000, (buffer) => buffer.buffer), first);
  assert.equal(withScratch(200_000, (buffer) => buffer.buffer), first);
  assert.ok(idleScratch().includes(512 * 1024));
  // A Claude Code body's size is pooled too.
  withScratch(600_000, (big) => {
    const body = withScratch(47_000, (buffer) => buffer.buffer);
    assert.equal(withScratch(47_500, (buffer) => buffer.buffer), body);
    assert.notEqual(body, big.buffer);
  });
});

Deno.test("a small buffer is fresh each time and never kept", () => {
  const before = idleScratch();
  const a = withScratch(MIN_POOLED - 1, (buffer) => buffer);
  const b = withScratch(MIN_POOLED - 1, (buffer) => buffer);
  assert.equal(a.byteLength, MIN_POOLED - 1);
  assert.notEqual(a.buffer, b.buffer);
  assert.deepEqual(idleScratch(), before);
});

Deno.test("calls inside a call get their own buffers; a throw still gives the buffer back", () => {
  withScratch(100_000, (outer) => {
    outer.fill(1);
    withScratch(100_000, (inner) => {
      assert.notEqual(inner.buffer, outer.buffer);
      inner.fill(2);
    });
    assert.ok(outer.every((byte) => byte === 1));
  });
  const lent = withScratch(100_000, (buffer) => buffer.buffer);
  assert.throws(() =>
    withScratch(100_000, (buffer) => {
      assert.equal(buffer.buffer, lent);
      throw new Error("boom");
    }), /boom/);
  assert.equal(withScratch(100_000, (buffer) => buffer.buffer), lent);
});

Deno.test("idle buffers are bounded: the smallest goes first, a giant one is not kept", () => {
  // Lent all at once (nested), then all given back: more than MAX_IDLE come back.
  const sizes = [70_000, 140_000, 280_000, 560_000, 1_100_000, 2_200_000];
  const lendAll = (rest: number[]): void => {
    if (rest.length > 0) withScratch(rest[0]!, () => lendAll(rest.slice(1)));
  };
  lendAll(sizes);
  const idle = idleScratch();
  assert.equal(idle.length, MAX_IDLE);
  assert.deepEqual(idle, [...idle].sort((a, b) => a - b));
  assert.ok(idle.includes(4 * 1024 * 1024), `the largest is kept: ${idle}`);
  const giant = withScratch(MAX_POOLED + 1, (buffer) => buffer);
  assert.equal(giant.byteLength, MAX_POOLED + 1);
  assert.ok(idleScratch().every((size) => size <= MAX_POOLED));
});

Deno.test("fetch copies a byte body as it is called, so the bytes can be reused at once", async () => {
  // The upstream encoder gives its scratch buffer back as soon as fetch() returns: this is the
  // runtime behaviour that relies on (the Fetch standard copies a BufferSource body).
  const received: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    received.push(await req.text());
    return new Response("ok");
  });
  try {
    const sent = withScratch(200_000, (buffer) => {
      buffer.fill(0x61, 0, 150_000);
      const pending = fetch(`http://127.0.0.1:${server.addr.port}/`, {
        method: "POST",
        body: buffer.subarray(0, 150_000),
      });
      buffer.fill(0x62);
      return pending;
    });
    assert.equal(await (await sent).text(), "ok");
    assert.equal(received[0], "a".repeat(150_000));
  } finally {
    await server.shutdown();
  }
});
