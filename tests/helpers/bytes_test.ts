import assert from "node:assert/strict";
import { everyPointSpaced } from "./bytes.ts";

const encoder = new TextEncoder();

/** `count` events of `size` bytes each (the `data: ` line), each ended as `end` ends it. */
function stream(count: number, size: number, end = "\n\n"): Uint8Array {
  const event = `data: {"x":"${"y".repeat(size - 14)}"}`;
  return encoder.encode(Array.from({ length: count }, () => event).join(end) + end);
}

/** Whether `bytes` from `from` to `to` hold a whole blank line. */
function holdsBlankLine(bytes: Uint8Array, from: number, to: number): boolean {
  const text = new TextDecoder().decode(bytes.subarray(from, to));
  return /\n\n|\r\r|\r\n\r\n/.test(text);
}

Deno.test("everyPointSpaced: every point of a long stream is cut once, each piece holding an event's end", () => {
  for (const end of ["\n\n", "\r\n\r\n", "\r\r"]) {
    const bytes = stream(40, 200, end);
    const sets = everyPointSpaced(bytes);
    // The longest event runs from one blank line's start to the next: its blank line and 200 bytes.
    const spacing = 200 + end.length + 4;
    assert.equal(sets.length, spacing, end);
    const seen = sets.flat().sort((a, b) => a - b);
    assert.deepEqual(seen, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1));
    for (const cuts of sets) {
      for (let i = 1; i < cuts.length; i++) {
        assert.equal(cuts[i]! - cuts[i - 1]!, spacing);
        assert.ok(holdsBlankLine(bytes, cuts[i - 1]!, cuts[i]!), `${cuts[i - 1]}-${cuts[i]}`);
      }
    }
  }
});

Deno.test("everyPointSpaced: the spacing follows the longest event, wherever it is", () => {
  const short = stream(30, 50);
  const long = encoder.encode(`data: {"x":"${"z".repeat(300)}"}\n\n`);
  const bytes = new Uint8Array([...short, ...long, ...short]);
  const sets = everyPointSpaced(bytes);
  assert.equal(sets.length, long.length + 4);
  assert.deepEqual(
    sets.flat().sort((a, b) => a - b),
    Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
  );
});

Deno.test("everyPointSpaced: a stream of one event gets a two-way cut at every point", () => {
  const bytes = stream(1, 100);
  assert.deepEqual(
    everyPointSpaced(bytes),
    Array.from({ length: bytes.length - 1 }, (_, i) => [i + 1]),
  );
});
