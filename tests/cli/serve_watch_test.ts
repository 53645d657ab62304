/** `startServer` reloads its config when the file is saved, as a SIGHUP reloads it. */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { inTempDir, testContext } from "./helpers.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function yaml(model: string, extra = ""): string {
  return `providers:\n  up:\n    type: openai\n    base_url: http://127.0.0.1:9/v1\n` +
    `    api_key: sk-test-1234567890abcdef\n${extra}routes:\n  default: up/${model}\n`;
}

/** Waits until `ok()` holds (up to 5 s), then a little more for anything that should not come. */
async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await sleep(25);
  }
}

type Server = Awaited<ReturnType<typeof startServer>>;

/** Runs `run` against ccp started with `options`, stopped after on every path. */
async function withServer(
  options: Parameters<typeof startServer>[0],
  run: (server: Server) => Promise<void>,
): Promise<void> {
  const server = await startServer(options);
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

/** The model the running config's default route goes to first. */
const modelOf = (server: Server) => server.config().routes.default?.[0]?.model;

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern, "g"))?.length ?? 0;

Deno.test("a saved config file is reloaded: one line says what changed", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m1"));
    const ctx = testContext(dir);
    await withServer({ ctx, flags: { config: "c.yaml", port: 0 } }, async (server) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m2"));
      await until(() => modelOf(server) === "m2", "reloaded");
      await sleep(500);
      const log = ctx.io.stderr.join("\n");
      assert.equal(count(log, /Config file saved, reloaded\. Changed: route default changed/), 1);
      // Quiet: no "Reloading" line and no route table, as a SIGHUP logs.
      assert.doesNotMatch(log, /Reloading the config|Config reloaded:/);
      assert.equal(count(log, /route default →/), 1, log);
    });
  });
});

Deno.test("a save with a mistake keeps the running config and says why", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m1"));
    const ctx = testContext(dir);
    const notices: string[] = [];
    // As `ccp code` starts it with a data dir: its log to a file, its notices on the terminal.
    await withServer({
      ctx,
      flags: { config: "c.yaml", port: 0 },
      logFile: `${dir}/ccp.log`,
      onSaveReload: (line) => notices.push(line),
    }, async (server) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m1").replace("up/m1", "nope/m1"));
      await until(() => notices.length === 1, "the failure noticed");
      assert.match(notices[0]!, /^Config reload failed; keeping the previous config\. .*nope/);
      assert.equal(server.config().routes.default?.[0]?.provider, "up");
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m3"));
      await until(() => notices.length === 2, "the fix noticed");
      assert.equal(notices[1], "Config file saved, reloaded. Changed: route default changed");
      assert.equal(modelOf(server), "m3");
      // A setting read at start is named in the same line, with what to do.
      await Deno.writeTextFile(`${dir}/c.yaml`, "server:\n  max_connections: 5\n" + yaml("m3"));
      await until(() => notices.length === 3, "the restart noticed");
      assert.equal(
        notices[2],
        "Config file saved, reloaded. Changed: server.max_connections changed. " +
          "server.max_connections: changed; " +
          "restart ccp to apply (until then the values it started with hold)",
      );
      // A warning the save brings is said too, once: a later save that keeps it does not repeat it.
      const noDefault = yaml("m3").replace("default: up/m3", "sonnet: up/m4");
      await Deno.writeTextFile(`${dir}/c.yaml`, noDefault);
      await until(() => notices.length === 5, "the warning noticed");
      assert.match(
        notices[3]!,
        /^Config file saved, reloaded\. Changed: route default changed; route sonnet added/,
      );
      assert.equal(
        notices[4],
        "warning: c.yaml: routes.default is missing; using routes.sonnet as the default",
      );
      await Deno.writeTextFile(`${dir}/c.yaml`, `# no default yet\n${noDefault}`);
      await until(() => notices.length === 6, "the comment's save noticed");
      assert.equal(notices[5], "Config file saved, reloaded. Nothing changed");
      await sleep(400);
      assert.equal(notices.length, 6, notices.join("\n"));
    });
    const log = await Deno.readTextFile(`${dir}/ccp.log`);
    assert.match(log, /ERROR Config reload failed/);
    assert.match(log, /INFO +Config file saved, reloaded/);
    assert.match(
      log,
      /WARN +Config file saved, reloaded\. Changed: server\.max_connections changed\. server\.max/,
    );
    assert.equal(count(log, /restart ccp to apply/), 1, log);
  });
});

Deno.test("quiet on the terminal, a failed reload is the log's line and not said twice", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m1"));
    const ctx = testContext(dir);
    const notices: string[] = [];
    // As `ccp code` starts it without a data dir: warnings and errors only, on the terminal.
    await withServer({
      ctx,
      flags: { config: "c.yaml", port: 0 },
      quiet: true,
      onSaveReload: (line) => notices.push(line),
    }, async () => {
      await Deno.writeTextFile(`${dir}/c.yaml`, "routes: [\n");
      await until(() => ctx.io.stderr.join("\n").includes("Config reload failed"), "failed");
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m2"));
      await until(() => notices.length === 1, "the reload noticed");
      assert.match(notices[0]!, /Changed: route default changed/);
      assert.doesNotMatch(ctx.io.stderr.join("\n"), /Config file saved/);
    });
  });
});

Deno.test("a saved .env is reloaded; a save of the same bytes is not", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml("${MODEL_NAME:-m1}"));
    await Deno.writeTextFile(`${dir}/.env`, "MODEL_NAME=m1\n");
    const ctx = testContext(dir);
    await withServer({ ctx, flags: { config: "c.yaml", port: 0 } }, async (server) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("${MODEL_NAME:-m1}"));
      await sleep(700);
      assert.doesNotMatch(ctx.io.stderr.join("\n"), /Config file saved/);
      await Deno.writeTextFile(`${dir}/.env`, "MODEL_NAME=m2\n");
      await until(() => modelOf(server) === "m2", "reloaded");
    });
  });
});

Deno.test("server.watch_config: false leaves saves to SIGHUP, and says a change needs a restart", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    const off = "server:\n  watch_config: false\n";
    await Deno.writeTextFile(`${dir}/c.yaml`, off + yaml("m1"));
    const ctx = testContext(dir);
    await withServer({ ctx, flags: { config: "c.yaml", port: 0 } }, async (server) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m2"));
      await sleep(700);
      assert.equal(modelOf(server), "m1");
      assert.equal(await server.reload(), true);
      assert.equal(modelOf(server), "m2");
      assert.match(ctx.io.stderr.join("\n"), /server\.watch_config: changed; restart ccp to apply/);
    });
  });
});

Deno.test("a SIGHUP's reload of a saved file is not followed by a second one", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m1"));
    const ctx = testContext(dir);
    await withServer({ ctx, flags: { config: "c.yaml", port: 0 } }, async (server) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml("m2"));
      assert.equal(await server.reload(), true);
      await sleep(700);
      const log = ctx.io.stderr.join("\n");
      assert.equal(count(log, /Changed: route default changed/), 1, log);
      assert.doesNotMatch(log, /Config file saved/);
    });
  });
});

Deno.test("a config file named by CCP_CONFIG is watched in its own directory", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.mkdir(`${dir}/etc`);
    await Deno.writeTextFile(`${dir}/etc/ccp.yaml`, yaml("m1"));
    const ctx = testContext(dir, { env: { CCP_CONFIG: `${dir}/etc/ccp.yaml`, CCP_PORT: "0" } });
    await withServer({ ctx, flags: {} }, async (server) => {
      await Deno.writeTextFile(`${dir}/etc/ccp.yaml.tmp`, yaml("m2"));
      await Deno.rename(`${dir}/etc/ccp.yaml.tmp`, `${dir}/etc/ccp.yaml`);
      await until(() => modelOf(server) === "m2", "reloaded");
    });
  });
});

Deno.test("a config file deleted (or moved away) keeps the running config: its token is not dropped", async () => {
  // Found by the search, a file gone would reload as the built-in config from variables: no
  // auth token, no clients, other providers. A file being edited is back within the settle time.
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.mkdir(`${dir}/xdg/ccp`, { recursive: true });
    const path = `${dir}/xdg/ccp/config.yaml`;
    const token = "tok-0123456789abcdef";
    await Deno.writeTextFile(path, yaml("m1", `server:\n  auth_token: ${token}\n`));
    const ctx = testContext(dir);
    await withServer({ ctx, flags: { port: 0 } }, async (server) => {
      assert.equal(server.config().server.authToken, token);
      await Deno.rename(path, `${path}.bak`);
      await sleep(800);
      assert.equal(server.config().server.authToken, token);
      assert.equal(modelOf(server), "m1");
      assert.match(ctx.io.stderr.join("\n"), /config\.yaml is gone/);
      // Back (edited): reloaded as any save.
      await Deno.writeTextFile(path, yaml("m2", `server:\n  auth_token: ${token}\n`));
      await until(() => modelOf(server) === "m2", "reloaded");
    });
  });
});

Deno.test("a deleted .env keeps the running config: the variables it set, the token among them, stay", async () => {
  await inTempDir("ccp_serve_watch_", async (dir) => {
    const token = "tok-0123456789abcdef";
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      yaml("${MODEL_NAME:-m0}", "server:\n  auth_token: ${CCP_TOKEN:-}\n"),
    );
    await Deno.writeTextFile(`${dir}/.env`, `CCP_TOKEN=${token}\nMODEL_NAME=m1\n`);
    const ctx = testContext(dir);
    await withServer({ ctx, flags: { config: "c.yaml", port: 0 } }, async (server) => {
      assert.equal(server.config().server.authToken, token);
      await Deno.remove(`${dir}/.env`);
      await sleep(800);
      assert.equal(server.config().server.authToken, token);
      assert.equal(modelOf(server), "m1");
      // A save of the config meanwhile waits for the .env too: it would read no variables from it.
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `# edited\n${yaml("${MODEL_NAME:-m0}", "server:\n  auth_token: ${CCP_TOKEN:-}\n")}`,
      );
      await sleep(800);
      assert.equal(server.config().server.authToken, token);
      const log = ctx.io.stderr.join("\n");
      assert.equal(count(log, /\.env is gone: the config loaded stays/), 1, log);
      assert.doesNotMatch(log, /Config file saved/);
      // Back (edited): reloaded as any save.
      await Deno.writeTextFile(`${dir}/.env`, `CCP_TOKEN=${token}\nMODEL_NAME=m2\n`);
      await until(() => modelOf(server) === "m2", "reloaded");
      assert.equal(server.config().server.authToken, token);
    });
  });
});

Deno.test("a config file that is a symbolic link reloads when the file it leads to is saved", async () => {
  // As stow links it: the config dir holds the link, a dotfiles repository the file.
  await inTempDir("ccp_serve_watch_", async (dir) => {
    await Deno.mkdir(`${dir}/xdg/ccp`, { recursive: true });
    await Deno.mkdir(`${dir}/dotfiles`);
    await Deno.writeTextFile(`${dir}/dotfiles/ccp.yaml`, yaml("m1"));
    await Deno.symlink("../../dotfiles/ccp.yaml", `${dir}/xdg/ccp/config.yaml`);
    const ctx = testContext(dir);
    await withServer({ ctx, flags: { port: 0 } }, async (server) => {
      assert.equal(modelOf(server), "m1");
      await Deno.writeTextFile(`${dir}/dotfiles/ccp.yaml`, yaml("m2"));
      await until(() => modelOf(server) === "m2", "reloaded");
    });
  });
});
