/**
 * benchMain, the frame of `deno task bench` and `bench:soak`: on every way out its scratch
 * directory is gone, though a child process writes into it while it is being stopped. Each case
 * runs a small benchmark in its own process with its own TMPDIR, which must end up empty.
 */

import assert from "node:assert/strict";

const frame = new URL("../../bench/frame.ts", import.meta.url).href;
const child = new URL("../../bench/child.ts", import.meta.url).href;

/**
 * A child that, stopped by SIGTERM, writes into the scratch dir, or where it was if it is gone (a
 * file of its name is left). Only the shell's own commands write: a loaded machine may take the
 * frame past its wait for SIGTERM to SIGKILL, which ends the shell, and a `mkdir` it had started
 * would go on without it and make the dir again after the frame removed it.
 */
const LATE_WRITER =
  `trap 'sleep 0.2; { echo late > "$0/late"; } 2>/dev/null || echo late > "$0"; exit 0' TERM; ` +
  "echo ready; while :; do sleep 0.05; done";

/** No run but the one over its time comes near this, however loaded the machine. */
const NEVER_MS = 120_000;

/**
 * A benchmark whose child writes into the scratch dir when stopped; then it does `ending`, with
 * its watchdog at `limitMs`.
 */
const probe = (ending: string, limitMs: number) => `
  import { benchMain } from "${frame}";
  import { Child } from "${child}";
  await benchMain("probe", ${limitMs}, async (tmp) => {
    const script = ${JSON.stringify(LATE_WRITER)};
    const sh = new Child("sh", new Deno.Command("sh", {
      args: ["-c", script, tmp],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }));
    await sh.expect("ready", 5_000);
    console.log("tmp " + tmp);
    ${ending}
  });
`;

/**
 * Runs `probe(ending)`; its exit code and what it left in its temp dir. `signal`: SIGTERM once
 * the child is ready. `limitMs`: the watchdog, which may end the run before its child is ready.
 */
async function run(
  ending: string,
  { signal = false, limitMs = NEVER_MS } = {},
): Promise<{ code: number; left: string[] }> {
  const tmpdir = await Deno.makeTempDir({ prefix: "ccp-frame-test-" });
  try {
    const process = new Deno.Command(Deno.execPath(), {
      args: ["eval", probe(ending, limitMs)],
      env: { TMPDIR: tmpdir },
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const lines = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      out += value;
    }
    if (limitMs === NEVER_MS) assert.match(out, /^tmp /, out);
    if (signal) process.kill("SIGTERM");
    while (!(await lines.read()).done);
    const { code } = await process.status;
    const left = [];
    for await (const entry of Deno.readDir(tmpdir)) left.push(entry.name);
    return { code, left };
  } finally {
    await Deno.remove(tmpdir, { recursive: true });
  }
}

Deno.test("benchMain: a run that ends removes its scratch dir", async () => {
  assert.deepEqual(await run("return 0;"), { code: 0, left: [] });
});

Deno.test("benchMain: a run that fails removes its scratch dir", async () => {
  assert.deepEqual(await run(`throw new Error("broken");`), { code: 1, left: [] });
});

Deno.test("benchMain: a run over its time removes its scratch dir", async () => {
  const over = await run("await new Promise(() => {});", { limitMs: 3_000 });
  assert.deepEqual(over, { code: 2, left: [] });
});

Deno.test("benchMain: a run stopped by SIGTERM removes its scratch dir", async () => {
  const stopped = await run("await new Promise(() => {});", { signal: true });
  assert.deepEqual(stopped, { code: 130, left: [] });
});
