/**
 * ccp run as root (`sudo` keeping HOME) writes nothing in a home another user owns: that user may
 * put a link where ccp writes and have root write into any file. The settings file, the data dir
 * and the log file have their own tests (settings_test, usage/private_kv_test).
 */

import assert from "node:assert/strict";
import { runService } from "../../src/cli/service.ts";
import { runCli } from "../../src/cli/run.ts";
import { configTree } from "../../src/config/tree_cache.ts";
import { testContext } from "./helpers.ts";

const asRoot = { ignore: Deno.build.os === "windows" || Deno.uid() !== 0 };

/** A temp dir with `home` in it owned by another user (nobody), and a file of root's beside it. */
async function inOtherHome(run: (dir: string, home: string, victim: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ccp_root_home_" });
  try {
    await Deno.mkdir(`${dir}/home/xdg`, { recursive: true });
    await Deno.writeTextFile(`${dir}/victim`, "root's\n", { mode: 0o600 });
    await Deno.chown(`${dir}/home`, 65534, 65534);
    await run(dir, `${dir}/home`, `${dir}/victim`);
    assert.equal(await Deno.readTextFile(`${dir}/victim`), "root's\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "as root in another user's home: init, service install and the config cache write nothing",
  ...asRoot,
  fn: async (t) => {
    await t.step("ccp init", async () => {
      await inOtherHome(async (_dir, home, victim) => {
        // The .env init makes (mode 600, then chmod'ed by its name) is a link to root's file.
        await Deno.mkdir(`${home}/xdg/ccp`);
        await Deno.symlink(victim, `${home}/xdg/ccp/.env`);
        const ctx = testContext(home);
        assert.equal(await runCli(["init"], ctx), 1);
        assert.match(
          ctx.io.stderr.join("\n"),
          /home belongs to user 65534, and ccp runs as root .*without sudo; ccp wrote nothing/,
        );
        assert.equal(
          await Deno.lstat(`${home}/xdg/ccp/config.yaml`).catch(() => undefined),
          undefined,
        );
      });
    });
    await t.step("ccp service install", async () => {
      await inOtherHome(async (_dir, home, victim) => {
        await Deno.mkdir(`${home}/xdg/systemd/user`, { recursive: true });
        await Deno.symlink(victim, `${home}/xdg/systemd/user/ccp.service`);
        const exec = () => Promise.resolve({ code: 0, output: "" });
        await assert.rejects(
          () => runService(testContext(home, { os: "linux" }), "install", {}, exec),
          /belongs to user 65534, and ccp runs as root .*; ccp wrote nothing/,
        );
      });
    });
    await t.step("the parsed-config cache", async () => {
      await inOtherHome(async (_dir, home) => {
        const tree = await configTree("routes: { default: up/m }\n", "ccp.yaml", `${home}/cache`);
        assert.deepEqual(tree, { routes: { default: "up/m" } });
        assert.equal(await Deno.lstat(`${home}/cache`).catch(() => undefined), undefined);
      });
    });
  },
});
