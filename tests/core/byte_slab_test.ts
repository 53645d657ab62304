import assert from "node:assert/strict";
import { copyOfBytes, encodedText } from "../../src/core/byte_slab.ts";

const encoder = new TextEncoder();

Deno.test("small copies come from one shared buffer, each whole and apart from the others", () => {
  const source = encoder.encode("event: ping\ndata: {}\n\n");
  const first = copyOfBytes(source);
  const second = copyOfBytes(source.subarray(0, 5));
  // Carved from one slab: no ArrayBuffer of its own per chunk.
  assert.equal(first.buffer, second.buffer);
  assert.ok(first.buffer.byteLength > first.byteLength);
  assert.deepEqual([...first], [...source]);
  source.fill(0);
  assert.equal(new TextDecoder().decode(first), "event: ping\ndata: {}\n\n");
  assert.equal(new TextDecoder().decode(second), "event");
  second.fill(1);
  assert.equal(new TextDecoder().decode(first), "event: ping\ndata: {}\n\n");
});

Deno.test("copies past the slab's share, empty ones and a slab's end: each whole", () => {
  const big = new Uint8Array(5000).map((_, i) => i % 251);
  const copy = copyOfBytes(big);
  assert.equal(copy.buffer.byteLength, 5000);
  assert.deepEqual(copy, big);
  assert.equal(copyOfBytes(new Uint8Array()).byteLength, 0);
  // Many chunks of every small size run through several slabs: each keeps its own bytes.
  const kept: [Uint8Array, number][] = [];
  for (let i = 0; i < 3000; i++) {
    const size = 1 + (i * 37) % 1024;
    kept.push([copyOfBytes(new Uint8Array(size).fill(i % 256)), size]);
  }
  kept.forEach(([bytes, size], i) => {
    assert.equal(bytes.byteLength, size);
    assert.ok(bytes.every((b) => b === i % 256), `chunk ${i} changed`);
  });
});

Deno.test("encodedText gives TextEncoder's bytes, small texts from one shared buffer", () => {
  const texts = [
    "",
    "a",
    'event: content_block_delta\ndata: {"type":"text_delta","text":"héllo ✓ 😀"}\n\n',
    "\ud800 lone high, lone low \udc00, pair \ud83d\ude00",
    "€".repeat(341),
    "€".repeat(342),
    "x".repeat(2000),
    "ü".repeat(5000),
  ];
  const kept = texts.map((text) => [text, encodedText(text)] as const);
  for (const [text, bytes] of kept) {
    assert.deepEqual(bytes, encoder.encode(text), text.slice(0, 20));
  }
  const a = encodedText("event: ping\n\n");
  const b = encodedText("event: ping\n\n");
  assert.equal(a.buffer, b.buffer);
  assert.notEqual(a.byteOffset, b.byteOffset);
});
