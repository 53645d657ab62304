/** The real program, spawned with exactly the permission flags of `deno task start`. */

import assert from "node:assert/strict";
import { VERSION } from "../../src/version.ts";
import { childEnv, inTempDir, NOWHERE_YAML, ROOT, runCcp, spawnCcp } from "./helpers.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { postMessages } from "../helpers/ccp.ts";

const POSIX = Deno.build.os !== "windows";

Deno.test("serve: start-up lines, GET /health, SIGHUP reload, SIGTERM drains and exits 0", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
      cwd: dir,
      env: childEnv(dir),
    });
    try {
      const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+) /);
      await ccp.waitForStderr(/\(or run: deno task start code --config \S+c\.yaml --port \d+\)\n/);
      const log = ccp.stderr();
      assert.match(
        log,
        /INFO {2}ccp \d+\.\d+\.\d+\S* listening on .* \(ready \d+ ms after process start\)/,
      );
      assert.match(log, /Config: config file \S*c\.yaml/);
      assert.match(log, /route default → up\/model-a/);
      assert.ok(log.includes(`ANTHROPIC_BASE_URL=${url} ANTHROPIC_AUTH_TOKEN=ccp claude`), log);

      const health = await fetch(`${url}/health`);
      assert.equal(health.status, 200);
      assert.equal((await health.json()).name, "ccp");

      if (POSIX) {
        await Deno.writeTextFile(`${dir}/c.yaml`, `${NOWHERE_YAML}  haiku: up/model-c\n`);
        ccp.process.kill("SIGHUP");
        await ccp.waitForStderr(/route haiku → up\/model-c/);
        await Deno.writeTextFile(`${dir}/c.yaml`, "routes: [");
        ccp.process.kill("SIGHUP");
        await ccp.waitForStderr(/Config reload failed; keeping the previous config/);
        assert.equal((await fetch(`${url}/health`)).status, 200);

        const started = Date.now();
        ccp.process.kill("SIGTERM");
        const status = await ccp.exit(15_000);
        assert.equal(status.code, 0, ccp.stderr());
        assert.ok(Date.now() - started < 10_000);
        assert.match(ccp.stderr(), /Stopping: no new connections/);
        assert.match(ccp.stderr(), /Stopped\n/);
      }
    } finally {
      await ccp.kill();
    }
  });
});

Deno.test({
  name: "serve: a SIGTERM the moment ccp says it listens drains and exits 0",
  ignore: !POSIX,
  fn: async () => {
    // A service manager, a test or a script may stop ccp as soon as it reads "listening on": the
    // stop listeners must be in place by then, not after the config watch starts (exit 143).
    await inTempDir("ccp_smoke_", async (dir) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
      const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
        cwd: dir,
        env: childEnv(dir),
      });
      try {
        // Not waitForStderr: its 25 ms polls would leave ccp the time to finish starting.
        const limit = Date.now() + 20_000;
        while (!ccp.stderr().includes("listening on http") && Date.now() < limit) {
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        ccp.process.kill("SIGTERM");
        const status = await ccp.exit(15_000);
        assert.equal(status.code, 0, ccp.stderr());
        assert.match(ccp.stderr(), /Stopped\n/);
      } finally {
        await ccp.kill();
      }
    });
  },
});

Deno.test({
  name: "serve: two stop signals at once (timeout's, to ccp and its group) drain once and exit 0",
  ignore: !POSIX,
  fn: async () => {
    // An upstream that holds the request in flight until told: the drain waits for it.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived = () => {};
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    const upstream = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async () => {
        arrived();
        await held;
        return Response.json(textMessage("m", { input_tokens: 1, output_tokens: 1 }, "ok"));
      },
    );
    await inTempDir("ccp_smoke_", async (dir) => {
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `providers:\n  up: { type: anthropic, base_url: "http://127.0.0.1:${upstream.addr.port}", ` +
          `api_key: k }\nroutes: { default: up/m }\n`,
      );
      const ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
        cwd: dir,
        env: childEnv(dir),
      });
      try {
        const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+) /);
        const answer = postMessages(url!, {
          model: "m",
          max_tokens: 5,
          messages: [{ role: "user", content: "hi" }],
        }, { "anthropic-version": "2023-06-01" });
        await inFlight;
        // `timeout` signals ccp, then its process group: two stops at once. The same signal sent
        // twice at once may reach ccp as one, and one sent once the first is seen may come late
        // on a loaded machine: SIGTERM and SIGINT, which ccp treats alike, arrive as two.
        ccp.process.kill("SIGTERM");
        ccp.process.kill("SIGINT");
        await ccp.waitForStderr(/Stopping/);
        release();
        assert.equal((await answer).status, 200);
        const status = await ccp.exit(15_000);
        assert.equal(status.code, 0, ccp.stderr());
        assert.match(ccp.stderr(), /Stopped\n/);
        assert.doesNotMatch(ccp.stderr(), /Second signal/);
      } finally {
        release();
        await ccp.kill();
        await upstream.shutdown();
      }
    });
  },
});

Deno.test("serve loads a translated route's translator and the tokenizer before the first request", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const ccp = await spawnCcp(
      ["serve", "--config", "c.yaml", "--port", "0", "--log-level", "debug"],
      { cwd: dir, env: childEnv(dir) },
    );
    try {
      const [line] = await ccp.waitForStderr(
        /Loaded ahead of the first request: the openai translator, the o200k tokenizer \(\d+ ms\)/,
      );
      assert.ok(line, ccp.stderr());
    } finally {
      await ccp.kill();
    }
  });
});

Deno.test("--version prints VERSION; -h prints the help", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    const version = await runCcp(["--version"], { cwd: dir, env: childEnv(dir) });
    assert.equal(version.code, 0);
    assert.equal(version.stdout, `${VERSION}\n`);
    const help = await runCcp(["-h"], { cwd: dir, env: childEnv(dir) });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^ccp .*Usage: ccp \[command\]/s);
  });
});

Deno.test("an unknown flag exits 2 with the usage on stderr", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    const result = await runCcp(["serve", "--verbose"], { cwd: dir, env: childEnv(dir) });
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^ccp: unknown option --verbose\n\nUsage: ccp \[serve\]/);
  });
});

Deno.test("a non-loopback host without a token exits 1 and says how to set one", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const result = await runCcp(["--config", "c.yaml", "--host", "0.0.0.0", "--port", "0"], {
      cwd: dir,
      env: childEnv(dir),
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Refusing to listen on 0\.0\.0\.0 without an auth token/);
    assert.match(result.stderr, /server\.auth_token/);
    assert.match(result.stderr, /CCP_AUTH_TOKEN/);
  });
});

Deno.test("a port in use exits 1 with a clear message", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const result = await runCcp(["--config", "c.yaml", "--port", String(taken.addr.port)], {
        cwd: dir,
        env: childEnv(dir),
      });
      assert.equal(result.code, 1);
      assert.match(result.stderr, /something else is using 127\.0\.0\.1:\d+ \(not a ccp\)/);
    } finally {
      taken.close();
    }
  });
});

Deno.test("check with a broken config exits 1 with file and key path", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    await Deno.writeTextFile(`${dir}/ccp.yaml`, "routes:\n  default: nope/x\n");
    const result = await runCcp(["check"], { cwd: dir, env: childEnv(dir) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /ccp\.yaml: routes\.default: unknown provider "nope"/);
  });
});

Deno.test("under `deno task start`, paths and ./ccp.yaml are the user's directory's, as for ./ccp", async () => {
  await inTempDir("ccp_smoke_", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    await Deno.writeTextFile(`${dir}/ccp.yaml`, NOWHERE_YAML);
    // deno task runs the task in the project's directory, wherever the user typed it.
    const task = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["task", "-q", "--config", `${ROOT}/deno.json`, "start", ...args],
        cwd: dir,
        env: childEnv(dir),
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
    const named = await task(["check", "--config", "c.yaml"]);
    const out = new TextDecoder().decode(named.stdout);
    assert.equal(named.code, 0, new TextDecoder().decode(named.stderr));
    assert.ok(out.includes(`Source: config file ${dir}/c.yaml`), out);
    const found = await task(["check"]);
    assert.equal(found.code, 0, new TextDecoder().decode(found.stderr));
    assert.ok(new TextDecoder().decode(found.stdout).includes(`config file ${dir}/ccp.yaml`));
    // Not started by deno task (not in the project's directory): an inherited INIT_CWD is ignored.
    const direct = await runCcp(["check", "--config", "c.yaml"], {
      cwd: dir,
      env: childEnv(dir, { INIT_CWD: ROOT }),
    });
    assert.equal(direct.code, 0, direct.stderr);
    // Started in the project's directory under an INIT_CWD that npm left for another directory
    // (inherited from an npm script further up): that is not where ccp was started from.
    const byNpm = await runCcp(["check", "--config", "c.yaml"], {
      cwd: ROOT,
      env: childEnv(dir, {
        INIT_CWD: dir,
        npm_config_user_agent: "npm/10.9.0 node/v22.11.0 linux x64 workspaces/false",
      }),
    });
    assert.notEqual(byNpm.code, 0, byNpm.stdout);
    assert.match(byNpm.stderr, /c\.yaml: config file named by --config does not exist/);
  });
});
