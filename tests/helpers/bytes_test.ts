import assert from "node:assert/strict";
import { everyPointSpaced } from "./bytes.ts";

const encoder = new TextEncoder();

/** `count` events of about `size` bytes each, ended as `end` ends them. */
function stream(count: number, size: number, end = "\n\n"): Uint8Array {
  const event = `data: {"x":"${"y".repeat(Math.max(0, size - 14))}"}`;
  return encoder.encode(Array.from({ length: count }, () => event).join(end) + end);
}

Deno.test("everyPointSpaced: every point of a long stream is cut once, the cuts of a pass far apart", () => {
  for (const end of ["\n\n", "\r\n\r\n", "\r\r"]) {
    const bytes = stream(40, 200, end);
    const sets = everyPointSpaced(bytes, 512);
    assert.equal(sets.length, 512);
    const seen = sets.flat().sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1));
    for (const cuts of sets) {
      for (let i = 1; i < cuts.length; i++) assert.equal(cuts[i]! - cuts[i - 1]!, 512);
    }
  }
});

Deno.test("everyPointSpaced: a stream shorter than the spacing gets a two-way cut at every point", () => {
  const bytes = stream(3, 100);
  assert.deepEqual(
    everyPointSpaced(bytes, 1024),
    Array.from({ length: bytes.length - 1 }, (_, i) => [i + 1]),
  );
});

Deno.test("everyPointSpaced: an event as long as the spacing is refused, the cuts could meet in it", () => {
  assert.throws(() => everyPointSpaced(stream(10, 600), 512), /an event of \d+ bytes at \d+/);
  // A single line as long, with no end at all, the same.
  assert.throws(() => everyPointSpaced(encoder.encode("x".repeat(2000)), 512), /2000 bytes at 0/);
  // Short events pass at any length of stream.
  assert.equal(everyPointSpaced(stream(100, 500), 512).length, 512);
});
