import assert from "node:assert/strict";
import { openPrivateKv } from "../../src/usage/private_kv.ts";

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
