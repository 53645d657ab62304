import assert from "node:assert/strict";
import { deadline, deadlineCounts, every } from "../../src/core/deadlines.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `done` holds (at most 5 s): a loaded machine runs timers late, and a deadline
 * re-armed after a late one fires later still, past any fixed sleep.
 */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5000; waited += 5) await sleep(5);
}

/** Collects what a throwing callback reports (as an uncaught error would be) until stopped. */
function catchReported(reported: unknown[]): () => void {
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    reported.push(event.error);
  };
  globalThis.addEventListener("error", onError);
  return () => globalThis.removeEventListener("error", onError);
}

Deno.test("deadlines fire once each, in time order, same-time ones in arming order", async () => {
  const fired: string[] = [];
  const started = performance.now();
  const at: Record<string, number> = {};
  const mark = (name: string) => () => {
    fired.push(name);
    at[name] = performance.now() - started;
  };
  // Each deadline is due its delay after its own arming: on a loaded machine the arming itself
  // can take longer than the gaps between the delays, so the order expected is that of the times
  // they were due, same-time ones in arming order.
  const due: [string, number][] = [];
  const arm = (ms: number, name: string) => {
    due.push([name, performance.now() + ms]);
    return deadline(ms, mark(name));
  };
  arm(30, "c");
  arm(10, "a");
  arm(20, "b1");
  arm(20, "b2");
  const cancel = deadline(15, mark("never"));
  cancel();
  cancel(); // twice is harmless
  assert.equal(deadlineCounts().armed, 4);
  await until(() => fired.length >= 4);
  assert.deepEqual(fired, due.toSorted((x, y) => x[1] - y[1]).map(([name]) => name));
  assert.ok(at.a! >= 9 && at.c! >= 29, JSON.stringify(at));
  assert.deepEqual(deadlineCounts(), { armed: 0, held: 0 });
});

Deno.test("an earlier deadline armed later still fires first; cancelling the earliest moves on", async () => {
  const fired: string[] = [];
  deadline(40, () => fired.push("late"));
  const early = deadline(5, () => fired.push("cancelled"));
  deadline(15, () => fired.push("early"));
  early();
  // The order is the heap's, whatever the machine's load does to when the timer runs.
  while (fired.length < 2) await sleep(10);
  await sleep(10);
  assert.deepEqual(fired, ["early", "late"]);
});

Deno.test("a callback may arm and cancel deadlines; a throwing one is reported and the rest fire", async () => {
  const fired: string[] = [];
  const reported: unknown[] = [];
  const stopCatching = catchReported(reported);
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
    await until(() => fired.length >= 3);
    await sleep(20); // past the cancelled one's time
    // "armed by first" is due when first runs; "third" a few microseconds after its own arming,
    // so which of the two is due earlier depends on how late the timer woke.
    assert.equal(fired[0], "first");
    assert.deepEqual([...fired].sort(), ["armed by first", "first", "third"]);
    assert.equal((reported[0] as Error).message, "boom");
  } finally {
    stopCatching();
  }
});

Deno.test("many armed and cancelled while others stay armed: the heap is compacted, none lost", async () => {
  const fired: number[] = [];
  const keep = [deadline(20, () => fired.push(1)), deadline(25, () => fired.push(2))];
  for (let i = 0; i < 10_000; i++) deadline(60_000 + i, () => fired.push(-1))();
  assert.equal(deadlineCounts().armed, 2);
  assert.ok(deadlineCounts().held < 200, `held ${deadlineCounts().held}`);
  await until(() => fired.length >= 2);
  assert.deepEqual(fired, [1, 2]);
  assert.equal(keep.length, 2);
  assert.deepEqual(deadlineCounts(), { armed: 0, held: 0 });
});

Deno.test("every repeats until cancelled, and goes on after a throwing call", async () => {
  const reported: unknown[] = [];
  const stopCatching = catchReported(reported);
  try {
    let calls = 0;
    const stop = every(5, () => {
      calls++;
      if (calls === 2) throw new Error("tick");
    });
    // Three calls, however late a loaded machine runs them.
    while (calls < 3) await sleep(5);
    stop();
    const seen = calls;
    assert.equal((reported[0] as Error).message, "tick");
    await sleep(20);
    assert.equal(calls, seen);
    assert.deepEqual(deadlineCounts(), { armed: 0, held: 0 });
  } finally {
    stopCatching();
  }
});

Deno.test("a wake-up made useless by cancelling waits harmlessly; the next deadline still fires", async () => {
  const fired: string[] = [];
  const started = performance.now();
  deadline(5, () => fired.push("gone"))(); // its wake-up stays pending, then finds nothing due
  await sleep(1);
  let firedAt = 0;
  deadline(30, () => {
    fired.push("on time");
    firedAt = performance.now() - started;
  });
  await until(() => fired.length >= 1);
  await sleep(10);
  assert.deepEqual(fired, ["on time"]);
  assert.ok(firedAt >= 30, `fired at ${firedAt.toFixed(1)} ms`);
});

Deno.test("a deadline of NaN ms is due at once (as setTimeout treats it) and the others still fire", async () => {
  const fired: string[] = [];
  deadline(Number.NaN, () => fired.push("nan"));
  deadline(5, () => fired.push("later"));
  await until(() => fired.length >= 2);
  assert.deepEqual(fired, ["nan", "later"]);
  assert.equal(deadlineCounts().armed, 0);
});

/** Runs a script in a process of its own, bounded at 20 s. */
function runScript(file: string): Promise<Deno.CommandOutput> {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", file],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
}

Deno.test("a far deadline, cancelled, does not hold a script that ends by itself", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  const module = new URL("../../src/core/deadlines.ts", import.meta.url).href;
  await Deno.writeTextFile(
    file,
    `import { deadline } from "${module}";\ndeadline(600_000, () => {})();\nconsole.log("ended");\n`,
  );
  try {
    // Held until the deadline would be 10 minutes; a second at most is the design.
    const out = await runScript(file);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "ended");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a process that ends by exit wakes once for a far deadline; one past the timer limit waits", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  const module = new URL("../../src/core/deadlines.ts", import.meta.url).href;
  // Counts the runtime timers that fire (each a wake-up of the process) while a 2.5 s deadline is
  // waited for and for 300 ms after it, beside a deadline 30 days ahead (past 2^31 - 1 ms, a
  // runtime timer fires at once: waking for it would spin).
  await Deno.writeTextFile(
    file,
    [
      `import { deadline, endsByExit } from "${module}";`,
      "const timeout = AbortSignal.timeout.bind(AbortSignal);",
      "let wakes = 0;",
      "AbortSignal.timeout = (ms) => {",
      "  const signal = timeout(ms);",
      "  signal.addEventListener('abort', () => wakes++);",
      "  return signal;",
      "};",
      "const realSetTimeout = globalThis.setTimeout;",
      "globalThis.setTimeout = (fn, ms, ...rest) => realSetTimeout(() => (wakes++, fn(...rest)), ms);",
      "endsByExit();",
      "let farFired = false;",
      "deadline(30 * 86_400_000, () => (farFired = true));",
      "const started = performance.now();",
      "await new Promise((done) => deadline(2500, () => done(undefined)));",
      "const waited = performance.now() - started;",
      "const atDeadline = wakes;",
      "await new Promise((done) => (timeout(300).onabort = done));",
      "console.log(JSON.stringify({ atDeadline, after: wakes, waited, farFired }));",
      "Deno.exit(0);",
      "",
    ].join("\n"),
  );
  try {
    const out = await runScript(file);
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const seen = JSON.parse(new TextDecoder().decode(out.stdout));
    const shown = JSON.stringify(seen);
    // Waking each second would be three by the deadline (at 1 s, 2 s and 2.5 s).
    assert.equal(seen.atDeadline, 1, shown);
    assert.equal(seen.after, 1, shown);
    assert.ok(seen.waited >= 2500, shown);
    assert.equal(seen.farFired, false, shown);
  } finally {
    await Deno.remove(file);
  }
});
