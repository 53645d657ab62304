/**
 * Where the usage ledger lives, seen from outside: `--data-dir` over `CCP_DATA_DIR` over
 * `server.data_dir`, else `$XDG_DATA_HOME/ccp`, else `~/.local/share/ccp`; `ccp usage` reads the
 * same place, and local answers are recorded too.
 */

import assert from "node:assert/strict";
import { childEnv, denoCacheDir, NOWHERE_YAML, runCcp, spawnCcp } from "../cli/helpers.ts";
import { postMessages } from "../helpers/ccp.ts";
import { fileSink } from "../../src/cli/log_file.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Serves once with `args` and `env`, answers one Warmup locally, then stops with SIGTERM. */
async function serveOnce(dir: string, args: string[], env: Record<string, string>) {
  const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0", ...args], {
    cwd: dir,
    env,
  });
  try {
    const [, url] = await ccp.waitForStderr(/listening on (http:\/\/[\d.:]+)/);
    const res = await postMessages(url!, {
      model: "claude-haiku-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "Warmup" }],
    }, { "x-claude-code-session-id": "s-dir" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-route"), "local");
    await res.body?.cancel();
    ccp.process.kill("SIGTERM");
    const status = await ccp.exit();
    assert.equal(status.code, 0, ccp.stderr());
  } finally {
    await ccp.kill();
  }
}

/** `ccp usage --json --by route` with `args` and `env`: the rows as [key, requests]. */
async function routes(dir: string, args: string[], env: Record<string, string>) {
  const usage = await runCcp(["usage", "--config", "c.yaml", "--json", "--by", "route", ...args], {
    cwd: dir,
    env,
  });
  assert.equal(usage.code, 0, usage.stderr);
  const report = JSON.parse(usage.stdout);
  return report.rows.map((r: { key: string; requests: number }) => [r.key, r.requests]);
}

Deno.test("data dir: $XDG_DATA_HOME/ccp by default, else ~/.local/share/ccp", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_datadir_" });
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const xdg = childEnv(dir, { XDG_DATA_HOME: `${dir}/xd` });
    await serveOnce(dir, [], xdg);
    assert.ok(await exists(`${dir}/xd/ccp`), "the ledger is under $XDG_DATA_HOME/ccp");
    assert.deepEqual(await routes(dir, [], xdg), [["local", 1]]);
    assert.deepEqual(await routes(dir, ["--data-dir", `${dir}/xd/ccp`], xdg), [["local", 1]]);

    // Another HOME must not move deno's own cache.
    const denoDir = await denoCacheDir();
    const home = childEnv(dir, { HOME: `${dir}/home`, DENO_DIR: denoDir });
    delete home.XDG_DATA_HOME;
    await serveOnce(dir, [], home);
    assert.ok(
      await exists(`${dir}/home/.local/share/ccp`),
      "without XDG_DATA_HOME: ~/.local/share",
    );
    assert.deepEqual(await routes(dir, [], home), [["local", 1]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data dir: --data-dir over CCP_DATA_DIR over server.data_dir", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_datadir_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server:\n  data_dir: ${dir}/from-yaml\n${NOWHERE_YAML}`,
    );
    const all = childEnv(dir, { CCP_DATA_DIR: `${dir}/from-env` });
    await serveOnce(dir, ["--data-dir", `${dir}/from-flag`], all);
    assert.ok(await exists(`${dir}/from-flag`));
    assert.ok(!(await exists(`${dir}/from-env`)), "CCP_DATA_DIR is below the flag");
    assert.ok(!(await exists(`${dir}/from-yaml`)), "server.data_dir is below the flag");
    assert.ok(!(await exists(`${dir}/xdg-data/ccp`)), "the default is below all three");
    assert.deepEqual(await routes(dir, ["--data-dir", `${dir}/from-flag`], all), [["local", 1]]);

    await serveOnce(dir, [], all);
    assert.ok(!(await exists(`${dir}/from-yaml`)), "server.data_dir is below CCP_DATA_DIR");
    assert.deepEqual(await routes(dir, [], all), [["local", 1]], "ccp usage reads CCP_DATA_DIR");

    const fileOnly = childEnv(dir);
    await serveOnce(dir, [], fileOnly);
    assert.deepEqual(await routes(dir, [], fileOnly), [["local", 1]]);
    assert.ok(await exists(`${dir}/from-yaml`));
    assert.ok(!(await exists(`${dir}/xdg-data/ccp`)), "server.data_dir is over the default");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("data dir: the dir, its stores and the log file are readable by their user alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_datadir_" });
  const data = `${dir}/new/ccp`;
  const modes: Record<string, string> = {};
  const modeOf = async (path: string) => {
    modes[path.slice(dir.length)] = ((await Deno.stat(path)).mode! & 0o777).toString(8);
  };
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const env = childEnv(dir);
    const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0", "--data-dir", data], {
      cwd: dir,
      env,
    });
    try {
      const [, url] = await ccp.waitForStderr(/listening on (http:\/\/[\d.:]+)/);
      const res = await postMessages(url!, {
        model: "claude-haiku-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "Warmup" }],
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      // While it runs, each store has its -wal and -shm files beside it.
      await modeOf(data);
      for await (const entry of Deno.readDir(data)) await modeOf(`${data}/${entry.name}`);
      ccp.process.kill("SIGTERM");
      assert.equal((await ccp.exit()).code, 0, ccp.stderr());
    } finally {
      await ccp.kill();
    }
    await fileSink(`${dir}/logs/ccp.log`).then((write) => write("a line"));
    await modeOf(`${dir}/logs/ccp.log`);
    // Made under the usual umask (022): without modes of their own, these were 755 and 644.
    assert.deepEqual(modes, {
      "/new/ccp": "700",
      "/new/ccp/usage.kv": "600",
      "/new/ccp/usage.kv-wal": "600",
      "/new/ccp/usage.kv-shm": "600",
      "/new/ccp/guards.kv": "600",
      "/new/ccp/guards.kv-wal": "600",
      "/new/ccp/guards.kv-shm": "600",
      "/logs/ccp.log": "600",
    });
    // The empty file made first is a new store: the ledger recorded the request and reads back.
    assert.deepEqual(await routes(dir, ["--data-dir", data], env), [["local", 1]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
