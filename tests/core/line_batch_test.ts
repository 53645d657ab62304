import assert from "node:assert/strict";
import { lineBatch } from "../../src/core/line_batch.ts";

// A `later` the test runs when it chooses: the end of the turn, on demand.
function manualTurns() {
  const due: (() => void)[] = [];
  return {
    later: (fn: () => void) => void due.push(fn),
    endTurn: () => due.splice(0).forEach((fn) => fn()),
    scheduled: () => due.length,
  };
}

Deno.test("lines are held until the turn ends, then written in order as one text", () => {
  const written: string[] = [];
  const turns = manualTurns();
  const batch = lineBatch((text) => void written.push(text), turns.later);
  batch.write("a\n");
  batch.write("b\n");
  batch.write("c\n");
  assert.deepEqual(written, []);
  // One wake-up per turn, however many lines it held.
  assert.equal(turns.scheduled(), 1);
  turns.endTurn();
  assert.deepEqual(written, ["a\nb\nc\n"]);
  turns.endTurn();
  assert.deepEqual(written, ["a\nb\nc\n"]);
  batch.write("d\n");
  assert.equal(turns.scheduled(), 1);
  turns.endTurn();
  assert.deepEqual(written, ["a\nb\nc\n", "d\n"]);
});

Deno.test("flush writes what is held at once, and nothing when nothing is", () => {
  const written: string[] = [];
  const turns = manualTurns();
  const batch = lineBatch((text) => void written.push(text), turns.later);
  batch.flush();
  assert.deepEqual(written, []);
  batch.write("a\n");
  batch.flush();
  assert.deepEqual(written, ["a\n"]);
  // The turn's own wake-up finds nothing left.
  turns.endTurn();
  assert.deepEqual(written, ["a\n"]);
});

Deno.test("a turn holds at most 256 lines: the 256th writes them all at once", () => {
  const written: string[] = [];
  const turns = manualTurns();
  const batch = lineBatch((text) => void written.push(text), turns.later);
  for (let i = 0; i < 255; i++) batch.write(`${i}\n`);
  assert.equal(written.length, 0);
  batch.write("255\n");
  assert.equal(written.length, 1);
  assert.equal(written[0]!.split("\n").length - 1, 256);
  batch.write("next\n");
  turns.endTurn();
  assert.deepEqual(written.slice(1), ["next\n"]);
});

Deno.test("lines a failed write took are not written again with the next ones", () => {
  const written: string[] = [];
  let fail = true;
  const turns = manualTurns();
  const batch = lineBatch((text) => {
    if (fail) throw new Error("closed");
    written.push(text);
  }, turns.later);
  batch.write("lost\n");
  assert.throws(() => batch.flush(), /closed/);
  fail = false;
  batch.write("kept\n");
  turns.endTurn();
  assert.deepEqual(written, ["kept\n"]);
});

Deno.test("by default the lines go out once the event loop's turn is over", async () => {
  const written: string[] = [];
  const batch = lineBatch((text) => void written.push(text));
  batch.write("a\n");
  batch.write("b\n");
  await Promise.resolve();
  assert.deepEqual(written, []);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(written, ["a\nb\n"]);
});
