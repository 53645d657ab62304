import assert from "node:assert/strict";
import { cpuTimed } from "./cpu_time.ts";

Deno.test("cpuTimed counts the work of this thread and not time spent waiting", async () => {
  const busy = await cpuTimed(() => {
    const until = performance.now() + 300;
    let spins = 0;
    while (performance.now() < until) spins++;
    return spins;
  });
  assert.ok(busy.value > 0);
  // 300 ms of clock spent spinning is at most 300 ms of CPU, and at least some of it even when
  // other processes share the core.
  assert.ok(busy.ms > 0 && busy.ms <= 320, `${busy.ms} ms`);
  const idle = await cpuTimed(() => new Promise((done) => setTimeout(() => done("slept"), 300)));
  assert.equal(idle.value, "slept");
  assert.ok(idle.ms < 100, `${idle.ms} ms asleep`);
});
