/**
 * A request body a little longer than the last (a growing Claude Code session) reuses the memory
 * the last one freed, instead of memory newly mapped whose every page faults on first touch.
 */

import assert from "node:assert/strict";

const PROBE = new URL("./_large_buffers_probe.ts", import.meta.url).pathname;

/** Page faults of a 910 KB block allocated and filled after a 900 KB one was freed. */
async function faultsOfNextBody(mode: "reuse" | "default"): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    // Reading /proc/self needs every permission in Deno.
    args: ["run", "--allow-all", PROBE, mode],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout).trim());
}

// The behaviour is the GNU C library's, which Deno uses on Linux.
Deno.test({
  name: "a body a little longer than the last reuses its memory instead of faulting on every page",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    // Without it, the block comes freshly mapped: each of its ~220 pages faults.
    const fresh = await faultsOfNextBody("default");
    assert.ok(fresh > 150, `${fresh} page faults without the reuse (the probe measures faults)`);
    const reused = await faultsOfNextBody("reuse");
    assert.ok(reused < 40, `${reused} page faults filling the next body`);
  },
});
