/** The shared-engine monitor notices an engine that stops answering, not only one that refuses. */

import assert from "node:assert/strict";
import { type SharedEngine, SharedMonitor } from "../../src/shared/monitor.ts";
import { silentLogger } from "../../src/core/log.ts";

Deno.test({
  name: "an engine whose ping never answers is unreachable within 5 s (closed mode refuses)",
  sanitizeOps: false,
  fn: async () => {
    // Up at start; then a database that hangs (a paused host, a dropped route): pings never end.
    let hang = false;
    const engine: SharedEngine = {
      name: "postgres",
      description: "PostgreSQL at test",
      ping: () => hang ? new Promise<boolean>(() => {}) : Promise.resolve(true),
    };
    const monitor = new SharedMonitor([engine], "closed", silentLogger);
    await monitor.start();
    try {
      assert.deepEqual(monitor.state(), { postgres: { reachable: true } });
      hang = true;
      const lost = Date.now();
      while (monitor.state().postgres!.reachable && Date.now() - lost < 6000) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(monitor.state().postgres!.reachable, false, "still reachable after 6 s");
      assert.ok(Date.now() - lost <= 5000, `noticed after ${Date.now() - lost} ms`);
      assert.equal(monitor.refusal()?.status, 503);
    } finally {
      monitor.stop();
    }
  },
});
