import assert from "node:assert/strict";
import { fileSink } from "../../src/cli/log_file.ts";
import { openUsageStore } from "../../src/usage/open.ts";
import { makePrivateDir, openPrivateKv } from "../../src/usage/private_kv.ts";
import { testConfig } from "../helpers/config.ts";

const modeOf = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test({
  name: "a store an earlier ccp left readable by every user is narrowed; a mode chosen is kept",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_private_kv_" });
    try {
      // As ccp 0.1.0 made them under the umasks 022 and 002, and one opened to a group by hand.
      const made: Record<string, number> = { "a.kv": 0o644, "b.kv": 0o664, "c.kv": 0o640 };
      for (const [name, mode] of Object.entries(made)) {
        const kv = await Deno.openKv(`${dir}/${name}`);
        await kv.set(["meta", "version"], name);
        kv.close();
        await Deno.chmod(`${dir}/${name}`, mode);
      }
      // -wal and -shm left beside a store keep the mode they were made with, as SQLite reuses them.
      for (const suffix of ["-wal", "-shm"]) {
        await Deno.writeFile(`${dir}/a.kv${suffix}`, new Uint8Array(), { mode: 0o644 });
        await Deno.chmod(`${dir}/a.kv${suffix}`, 0o644);
      }
      const seen: Record<string, string> = {};
      const modes: Record<string, string> = {};
      for (const name of Object.keys(made)) {
        const kv = await openPrivateKv(`${dir}/${name}`);
        seen[name] = String((await kv.get(["meta", "version"])).value);
        await kv.set(["meta", "seen"], true);
        // While it is open, SQLite has its -wal and -shm beside it.
        for (const file of [name, `${name}-wal`, `${name}-shm`]) {
          modes[file] = (await modeOf(`${dir}/${file}`)).toString(8);
        }
        kv.close();
      }
      assert.deepEqual(seen, { "a.kv": "a.kv", "b.kv": "b.kv", "c.kv": "c.kv" });
      assert.deepEqual(modes, {
        "a.kv": "600",
        "a.kv-wal": "600",
        "a.kv-shm": "600",
        "b.kv": "600",
        "b.kv-wal": "600",
        "b.kv-shm": "600",
        "c.kv": "640",
        "c.kv-wal": "640",
        "c.kv-shm": "640",
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// `sudo ccp serve` keeping HOME: the data dir and log file are in a home another user may
// change. SQLite makes -wal and -shm through any link found at their place, and the log file is
// appended to through one: root would write into whatever file that user points them at.
Deno.test({
  name: "as root, a data dir or log file in another user's directory is not written",
  ignore: Deno.build.os === "windows" || Deno.uid() !== 0,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_private_kv_" });
    try {
      const home = `${dir}/home`;
      await Deno.mkdir(`${home}/data`, { recursive: true });
      const victim = `${dir}/root-only`;
      await Deno.writeTextFile(victim, "root's\n", { mode: 0o600 });
      await Deno.symlink(victim, `${home}/data/usage.kv-wal`);
      await Deno.symlink(victim, `${home}/ccp.log`);
      for (const path of [home, `${home}/data`]) await Deno.chown(path, 65534, 65534);
      const config = testConfig({ providers: [] });
      const opened = await openUsageStore({
        ...config,
        server: { ...config.server, dataDir: `${home}/data` },
      });
      assert.equal(opened.ok, false);
      assert.match(
        opened.ok ? "" : opened.reason,
        /\/home\/data belongs to user 65534, and ccp runs as root .*Run the command as that user, without sudo$/,
      );
      // A data dir not made yet, in that user's home, is theirs too.
      await assert.rejects(() => makePrivateDir(`${home}/new/ccp`), /\/home belongs to user 65534/);
      await assert.rejects(
        () => fileSink(`${home}/ccp.log`),
        /Cannot write the log file .*\/home\/ccp\.log: .*\/home belongs to user 65534/,
      );
      assert.equal(await Deno.readTextFile(victim), "root's\n");
      assert.equal(await Deno.lstat(`${home}/data/usage.kv`).catch(() => undefined), undefined);
      assert.equal(await Deno.lstat(`${home}/new`).catch(() => undefined), undefined);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
