/** How ccp counts stop signals: the same stop sent twice drains once; a later one exits. */

import assert from "node:assert/strict";
import { SAME_STOP_MS, stopHandler } from "../../src/cli/signals.ts";

/** A handler on a clock moved by hand; `stopTakes` is how long the stop's first steps run. */
function counted(stopTakes: number) {
  let clock = 1000;
  const calls: string[] = [];
  const handle = stopHandler(
    () => {
      calls.push("stop");
      clock += stopTakes;
    },
    () => calls.push("exit"),
    () => clock,
  );
  return { calls, handle, wait: (ms: number) => (clock += ms) };
}

Deno.test("a stop signal's copy handled right after the stop took effect is the same stop", () => {
  // On a loaded machine the stop's first steps held the process 300 ms; the copy `timeout` sent
  // to ccp's process group at the same moment is handled 50 ms after them.
  const { calls, handle, wait } = counted(300);
  handle();
  wait(50);
  handle();
  assert.deepEqual(calls, ["stop"]);
});

Deno.test("a stop signal handled later than the window after the first stop exits at once", () => {
  const { calls, handle, wait } = counted(300);
  handle();
  wait(SAME_STOP_MS + 1);
  handle();
  assert.deepEqual(calls, ["stop", "exit"]);
  // A third one exits again (the exit is what ends the process; being told twice is harmless).
  handle();
  assert.deepEqual(calls, ["stop", "exit", "exit"]);
});

Deno.test("with a quick stop, a copy within the window is the same stop, one past it a second", () => {
  const { calls, handle, wait } = counted(0);
  handle();
  wait(SAME_STOP_MS - 1);
  handle();
  assert.deepEqual(calls, ["stop"]);
  wait(2);
  handle();
  assert.deepEqual(calls, ["stop", "exit"]);
});
