/**
 * A chunk read ahead of a streamed answer (the early-error check reads the opening events before
 * the answer is handed on) is the stream's to pass on, not the guard's to keep: once the stream
 * took it, an open stream holds none of them.
 */

import assert from "node:assert/strict";

const PROBE = new URL("./_read_ahead_probe.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

Deno.test("chunks read ahead are not kept once the stream passed them on", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      CONFIG,
      "--lock=dev.lock",
      "--frozen",
      "--v8-flags=--expose-gc",
      PROBE,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.deepEqual(JSON.parse(text), { readAhead: 2, held: 0 });
});
