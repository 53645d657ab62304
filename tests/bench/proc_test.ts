import assert from "node:assert/strict";
import { sampleCpu, sampleProc } from "../../bench/proc.ts";

Deno.test("sampleCpu: a process's CPU in µs, as precise as getrusage, with its page faults", async () => {
  const before = await sampleCpu(Deno.pid);
  const started = performance.now();
  // Busy for 30 ms of wall time: the process's CPU grows by about that (other threads add).
  let spin = 0;
  while (performance.now() - started < 30) spin++;
  const fresh = new Uint8Array(4 * 1024 * 1024).fill(1); // touches ~1000 new pages
  const after = await sampleCpu(Deno.pid);
  const grew = after.cpuUs - before.cpuUs;
  assert.ok(spin > 0 && fresh[0] === 1);
  assert.ok(grew >= 25_000 && grew < 2_000_000, `CPU grew ${grew} µs`);
  // Not a multiple of the 10 ms tick that /proc/PID/stat counts in.
  assert.notEqual(after.cpuUs % 10_000, 0);
  assert.ok(
    after.minorFaults - before.minorFaults >= 500,
    `${after.minorFaults - before.minorFaults}`,
  );
});

Deno.test("sampleCpu: a thread that ended keeps its CPU in the process's figure", async () => {
  // A Worker runs on a thread of its own, gone from /proc once the worker is terminated, as an
  // idle blocking-pool thread of Deno's is ~10 s after its last task.
  const source = "const end = performance.now() + 100; while (performance.now() < end);" +
    "postMessage(0);";
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const worker = new Worker(url, { type: "module" });
  try {
    await new Promise((resolve) => worker.onmessage = resolve);
    const busy = await sampleCpu(Deno.pid);
    worker.terminate();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await sampleCpu(Deno.pid);
    assert.ok(after.cpuUs >= busy.cpuUs, `CPU went from ${busy.cpuUs} to ${after.cpuUs} µs`);
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
});

Deno.test("sampleCpu and sampleProc: a process that is gone is said to be", async () => {
  const child = new Deno.Command("true").spawn();
  await child.status;
  await assert.rejects(sampleCpu(child.pid), /gone/);
  await assert.rejects(sampleProc(child.pid), /gone/);
});
