/**
 * endSession and tempDir, on a shell that behaves like Claude Code at exit: tmux's hang-up does
 * not stop it at once, and it writes into its directory after `kill-session` has returned.
 * Skipped without `tmux`.
 */

import assert from "node:assert/strict";
import { endSession, startSession, tempDir, until } from "./tmux.ts";

const hasTmux = await new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

/** Whether process `pid` is still running (a zombie is not). */
async function running(pid: number): Promise<boolean> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output();
  const stat = new TextDecoder().decode(out.stdout).trim();
  return stat !== "" && !stat.startsWith("Z");
}

/** Starts `sh -c script dir` in tmux and waits until it has written its pid to `dir/ready`. */
async function startShell(session: string, dir: string, script: string): Promise<number> {
  const env = { PATH: Deno.env.get("PATH") ?? "" };
  await startSession(session, dir, env, ["sh", "-c", script, dir]);
  let pid = "";
  await until(
    () => {
      try {
        pid = Deno.readTextFileSync(`${dir}/ready`).trim();
      } catch {
        return false;
      }
      return pid !== "";
    },
    5_000,
    "the shell in tmux",
  );
  return Number(pid);
}

/** The loop the shells wait in, and the line that says they are ready. */
const LOOP = `echo $$ > "$0/ready.tmp" && mv "$0/ready.tmp" "$0/ready"; ` +
  `while :; do sleep 0.05; done`;

Deno.test({
  name: "endSession: a directory removed after it stays removed, though the pane's program " +
    "writes into it while it exits",
  ignore: !hasTmux,
  fn: async () => {
    await using dir = await tempDir("ccp-tmux-end-");
    const late = `trap 'sleep 0.3; mkdir -p "$0/home"; echo bye > "$0/home/late"; exit 0' HUP; `;
    const session = `ccp-tmux-end-${Date.now()}`;
    try {
      const pid = await startShell(session, dir.path, late + LOOP);
      await endSession(session);
      await Deno.remove(dir.path, { recursive: true });
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(await Deno.stat(dir.path).then(() => true, () => false), false, "it came back");
      assert.equal(await running(pid), false);
    } finally {
      await endSession(session);
    }
  },
});

Deno.test({
  name: "endSession: a pane program that ignores the hang-up is killed after the bound",
  ignore: !hasTmux,
  fn: async () => {
    await using dir = await tempDir("ccp-tmux-deaf-");
    const session = `ccp-tmux-deaf-${Date.now()}`;
    try {
      const pid = await startShell(session, dir.path, `trap '' HUP; ` + LOOP);
      const start = Date.now();
      await endSession(session, 300);
      assert.ok(Date.now() - start < 3_000, `${Date.now() - start} ms`);
      assert.equal(await running(pid), false);
    } finally {
      await endSession(session);
    }
  },
});

Deno.test("tempDir: `await using` removes the directory on a throw too", async () => {
  let path = "";
  await assert.rejects(async () => {
    await using dir = await tempDir("ccp-tmux-temp-");
    path = dir.path;
    await Deno.writeTextFile(`${path}/f`, "x");
    throw new Error("the test failed");
  }, /the test failed/);
  assert.equal(await Deno.stat(path).then(() => true, () => false), false);
});
