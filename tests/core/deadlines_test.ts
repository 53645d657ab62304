import assert from "node:assert/strict";
import { deadline, deadlineCounts } from "../../src/core/deadlines.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("deadlines fire once each, in time order, same-time ones in arming order", async () => {
  const fired: string[] = [];
  const started = performance.now();
  const at: Record<string, number> = {};
  const mark = (name: string) => () => {
    fired.push(name);
    at[name] = performance.now() - started;
  };
  deadline(30, mark("c"));
  deadline(10, mark("a"));
  deadline(20, mark("b1"));
  deadline(20, mark("b2"));
  const cancel = deadline(15, mark("never"));
  cancel();
  cancel(); // twice is harmless
  assert.equal(deadlineCounts().armed, 4);
  await sleep(60);
  assert.deepEqual(fired, ["a", "b1", "b2", "c"]);
  assert.ok(at.a! >= 9 && at.c! >= 29, JSON.stringify(at));
  assert.deepEqual(deadlineCounts(), { armed: 0, held: 0 });
});

Deno.test("an earlier deadline armed later still fires first; cancelling the earliest moves on", async () => {
  const fired: string[] = [];
  deadline(40, () => fired.push("late"));
  const early = deadline(5, () => fired.push("cancelled"));
  deadline(15, () => fired.push("early"));
  early();
  await sleep(25);
  assert.deepEqual(fired, ["early"]);
  await sleep(30);
  assert.deepEqual(fired, ["early", "late"]);
});

Deno.test("a callback may arm and cancel deadlines; a throwing one is reported and the rest fire", async () => {
  const fired: string[] = [];
  const reported: unknown[] = [];
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    reported.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    let later: () => void = () => {};
    deadline(5, () => {
      fired.push("first");
      deadline(0, () => fired.push("armed by first"));
      later();
    });
    deadline(5, () => {
      throw new Error("boom");
    });
    deadline(5, () => fired.push("third"));
    later = deadline(10, () => fired.push("cancelled by first"));
    await sleep(30);
    assert.deepEqual(fired, ["first", "third", "armed by first"]);
    assert.equal((reported[0] as Error).message, "boom");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});

Deno.test("many armed and cancelled while others stay armed: the heap is compacted, none lost", async () => {
  const fired: number[] = [];
  const keep = [deadline(20, () => fired.push(1)), deadline(25, () => fired.push(2))];
  for (let i = 0; i < 10_000; i++) deadline(60_000 + i, () => fired.push(-1))();
  assert.equal(deadlineCounts().armed, 2);
  assert.ok(deadlineCounts().held < 200, `held ${deadlineCounts().held}`);
  await sleep(40);
  assert.deepEqual(fired, [1, 2]);
  assert.equal(keep.length, 2);
  assert.deepEqual(deadlineCounts(), { armed: 0, held: 0 });
});
