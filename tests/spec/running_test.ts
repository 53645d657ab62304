/**
 * The external contract's "Running" section from outside, through the spawned `ccp`: the CLI's
 * commands, help, version and exit codes, the common flags, the precedence of flags, `CCP_*`
 * variables, the config file and defaults, the config file search and the `.env` files. What the
 * settings resolved to is read from `ccp check`'s output.
 */

import assert from "node:assert/strict";
import { childEnv, denoCacheDir, inTempDir, runCcp, spawnCcp } from "../cli/helpers.ts";
import { ROOT } from "../cli/helpers.ts";

const UPSTREAM = `providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-test-0123456789 }
routes:
  default: up/model-a
`;

/** `ccp check` in `dir` with `args` and `env`: exit code, then the listening URL and log level. */
async function checked(dir: string, args: string[], env: Record<string, string> = {}) {
  const run = await runCcp(["check", ...args], { cwd: dir, env: childEnv(dir, env) });
  assert.equal(run.code, 0, run.stderr);
  const server = /^Server: (\S+?);.*log level (\w+)/m.exec(run.stdout);
  assert.ok(server, run.stdout);
  const source = /^Source: (.*)$/m.exec(run.stdout)?.[1] ?? "";
  return { url: server[1]!, level: server[2]!, source };
}

async function write(path: string, text: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("--version prints the version on stdout and exits 0", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    const { version } = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
    const run = await runCcp(["--version"], { cwd: dir, env: childEnv(dir) });
    assert.equal(run.code, 0);
    assert.equal(run.stdout.trim(), version);
    assert.equal(run.stderr, "");
  });
});

Deno.test("--help and <command> --help print usage on stdout and exit 0, for every command", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    const general = await runCcp(["--help"], { cwd: dir, env: childEnv(dir) });
    assert.equal(general.code, 0);
    for (const command of ["serve", "init", "check", "models", "code", "service"]) {
      assert.match(general.stdout, new RegExp(`^  ${command}\\b`, "m"), `--help lists ${command}`);
      const run = await runCcp([command, "--help"], { cwd: dir, env: childEnv(dir) });
      assert.equal(run.code, 0, `${command} --help`);
      assert.match(run.stdout, new RegExp(`^Usage: ccp \\[?${command}`), run.stdout);
      assert.equal(run.stderr, "");
    }
    for (const flag of ["--config", "--host", "--port", "--log-level", "--data-dir"]) {
      assert.match(general.stdout, new RegExp(`^  ${flag}\\b`, "m"), `--help names ${flag}`);
    }
    // Nothing was written by asking for help.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("a usage error exits 2 with the message on stderr; a config error exits 1", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    const env = childEnv(dir);
    for (
      const args of [["bogus"], ["--bogus"], ["check", "--port", "x"], [
        "check",
        "--log-level",
        "loud",
      ]]
    ) {
      const run = await runCcp(args, { cwd: dir, env });
      assert.equal(run.code, 2, args.join(" "));
      assert.equal(run.stdout, "");
      assert.match(run.stderr, /^ccp: /);
    }
    await Deno.writeTextFile(`${dir}/bad.yaml`, "server: { port: 70000 }\n");
    const bad = await runCcp(["check", "--config", "bad.yaml"], { cwd: dir, env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.yaml: server\.port: /);
  });
});

Deno.test("every command takes the common flags --config, --host, --port, --log-level, --data-dir", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, UPSTREAM);
    const common = [
      "--config",
      "c.yaml",
      "--host",
      "127.0.0.1",
      "--port",
      "9000",
      "--log-level",
      "warn",
      "--data-dir",
      `${dir}/data`,
    ];
    const env = childEnv(dir);
    for (const command of [["check"], ["models"], ["service", "install", "--dry-run"]]) {
      const run = await runCcp([...command, ...common], { cwd: dir, env });
      assert.equal(run.code, 0, `${command.join(" ")}: ${run.stderr}`);
    }
    const init = await runCcp(["init", ...common.slice(2), "--config", `${dir}/new/c.yaml`], {
      cwd: dir,
      env,
    });
    assert.equal(init.code, 0, init.stderr);
    assert.ok(Deno.statSync(`${dir}/new/c.yaml`).isFile);
  });
});

Deno.test("host and port: defaults 127.0.0.1:8082, below the file, below CCP_*, below flags", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(`${dir}/plain.yaml`, UPSTREAM);
    await Deno.writeTextFile(
      `${dir}/set.yaml`,
      `server: { host: 127.0.0.3, port: 9001, log_level: error }\n${UPSTREAM}`,
    );
    const plain = await checked(dir, ["--config", "plain.yaml"]);
    assert.deepEqual([plain.url, plain.level], ["http://127.0.0.1:8082", "info"]);
    const file = await checked(dir, ["--config", "set.yaml"]);
    assert.deepEqual([file.url, file.level], ["http://127.0.0.3:9001", "error"]);
    const env = { CCP_HOST: "127.0.0.4", CCP_PORT: "9002", CCP_LOG_LEVEL: "warn" };
    const byEnv = await checked(dir, ["--config", "set.yaml"], env);
    assert.deepEqual([byEnv.url, byEnv.level], ["http://127.0.0.4:9002", "warn"]);
    const flags = ["--host", "127.0.0.5", "--port", "9003", "--log-level", "debug"];
    const byFlags = await checked(dir, ["--config", "set.yaml", ...flags], env);
    assert.deepEqual([byFlags.url, byFlags.level], ["http://127.0.0.5:9003", "debug"]);
  });
});

Deno.test("HOST and PORT: ignored with a YAML file; honoured without one, below CCP_HOST/CCP_PORT", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(`${dir}/c.yaml`, UPSTREAM);
    const fcc = { HOST: "127.0.0.6", PORT: "9006" };
    assert.equal((await checked(dir, ["--config", "c.yaml"], fcc)).url, "http://127.0.0.1:8082");
    const envOnly = { ...fcc, MODEL: "ollama/qwen3-coder" };
    assert.equal((await checked(dir, [], envOnly)).url, "http://127.0.0.6:9006");
    const over = { ...envOnly, CCP_HOST: "127.0.0.7", CCP_PORT: "9007" };
    assert.equal((await checked(dir, [], over)).url, "http://127.0.0.7:9007");
  });
});

Deno.test("config search: --config, $CCP_CONFIG, ./ccp.yaml, $XDG_CONFIG_HOME/ccp, ~/.config/ccp", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    const file = (port: number) => `server: { port: ${port} }\n${UPSTREAM}`;
    const home = `${dir}/home`;
    const places: Array<[string, number]> = [
      [`${dir}/flag.yaml`, 9011],
      [`${dir}/env.yaml`, 9012],
      [`${dir}/work/ccp.yaml`, 9013],
      [`${dir}/xdg/ccp/config.yaml`, 9014],
      [`${home}/.config/ccp/config.yaml`, 9015],
    ];
    for (const [path, port] of places) await write(path, file(port));
    const work = `${dir}/work`;
    const deno = { DENO_DIR: await denoCacheDir(), HOME: home };
    const found = async (args: string[], env: Record<string, string>) => {
      const run = await runCcp(["check", ...args], { cwd: work, env });
      assert.equal(run.code, 0, run.stderr);
      return /^Server: http:\/\/127\.0\.0\.1:(\d+);/m.exec(run.stdout)?.[1];
    };
    const withXdg: Record<string, string> = {
      ...childEnv(dir, deno),
      CCP_CONFIG: `${dir}/env.yaml`,
    };
    assert.equal(await found(["--config", `${dir}/flag.yaml`], withXdg), "9011");
    assert.equal(await found([], withXdg), "9012");
    delete withXdg.CCP_CONFIG;
    assert.equal(await found([], withXdg), "9013");
    await Deno.remove(`${work}/ccp.yaml`);
    assert.equal(await found([], withXdg), "9014");
    const noXdg = { ...withXdg };
    delete noXdg.XDG_CONFIG_HOME;
    assert.equal(await found([], noXdg), "9015");
  });
});

Deno.test(".env files: the config dir's and ./.env; the real environment wins, then ./.env", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    const work = `${dir}/work`;
    await write(`${dir}/xdg/ccp/config.yaml`, `server: { port: \${SPEC_PORT} }\n${UPSTREAM}`);
    await write(`${dir}/xdg/ccp/.env`, "SPEC_PORT=9021\n");
    const port = async (env: Record<string, string> = {}) => {
      const run = await runCcp(["check"], { cwd: work, env: childEnv(dir, env) });
      assert.equal(run.code, 0, run.stderr);
      return /^Server: http:\/\/127\.0\.0\.1:(\d+);/m.exec(run.stdout)?.[1];
    };
    await Deno.mkdir(work, { recursive: true });
    assert.equal(await port(), "9021", "the config dir's .env");
    await Deno.writeTextFile(`${work}/.env`, "SPEC_PORT=9022\n");
    assert.equal(await port(), "9022", "./.env wins over the config dir's");
    assert.equal(await port({ SPEC_PORT: "9023" }), "9023", "the real environment wins over both");
  });
});

Deno.test("${VAR} and ${VAR:-default} are expanded from the environment", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { host: "\${SPEC_HOST}", port: \${SPEC_PORT:-9031} }\n${UPSTREAM}`,
    );
    const env = { SPEC_HOST: "127.0.0.8" };
    assert.equal((await checked(dir, ["--config", "c.yaml"], env)).url, "http://127.0.0.8:9031");
    const set = { ...env, SPEC_PORT: "9032" };
    assert.equal((await checked(dir, ["--config", "c.yaml"], set)).url, "http://127.0.0.8:9032");
  });
});

Deno.test("durations (500ms, 10s, 5m, 1h) and token sizes (8k, 128K, 1M; k = 1000) in the config", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `providers:
  up:
    type: openai
    base_url: "http://127.0.0.1:9/v1"
    api_key: sk-test-0123456789
    timeouts: { connect: 500ms, first_byte: 5m, idle: 10s, total: 1h }
    model_settings:
      a: { context_window: 128K, max_output_tokens: 8k }
      b: { context_window: 1M }
routes:
  default: up/a
`,
    );
    const run = await runCcp(["check", "--config", "c.yaml"], { cwd: dir, env: childEnv(dir) });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /timeouts: connect 500ms, first byte 5m, idle 10s, total 1h;/);
    assert.match(run.stdout, /model a: max output 8000, context 128000/);
    assert.match(run.stdout, /model b: context 1000000/);
  });
});

Deno.test("provider defaults: timeouts connect 10s, first_byte 600s, idle 120s, total none; 3 retries; provider_defaults apply to each", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `providers:
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-test-0123456789 }
  other: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-test-9876543210 }
routes:
  default: [up/a, other/b]
`,
    );
    const run = await runCcp(["check", "--config", "c.yaml"], { cwd: dir, env: childEnv(dir) });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.match(/timeouts: .*/g) ?? [];
    assert.equal(lines.length, 2, run.stdout);
    for (const line of lines) {
      assert.match(line, /^timeouts: connect 10s, first byte 10m, idle 2m, total none; retries 3;/);
    }
    await Deno.writeTextFile(
      `${dir}/d.yaml`,
      `provider_defaults:\n  timeouts: { idle: 60s }\n  max_retries: 1\n${(await Deno.readTextFile(
        `${dir}/c.yaml`,
      ))}`,
    );
    const defaults = await runCcp(["check", "--config", "d.yaml"], {
      cwd: dir,
      env: childEnv(dir),
    });
    assert.equal(defaults.code, 0, defaults.stderr);
    const changed = defaults.stdout.match(/timeouts: .*/g) ?? [];
    assert.equal(changed.length, 2);
    for (const line of changed) assert.match(line, /idle 1m, total none; retries 1;/);
  });
});

Deno.test("CCP_AUTH_TOKEN wins over server.auth_token; /health, HEAD / and HEAD /api/hello need none", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: file-token-0123456789 }\n${UPSTREAM}`,
    );
    const ccp = await spawnCcp(["--config", "c.yaml", "--port", "0"], {
      cwd: dir,
      env: childEnv(dir, { CCP_AUTH_TOKEN: "env-token-0123456789" }),
    });
    try {
      const [, url] = await ccp.waitForStderr(/listening on (http:\/\/[\d.:]+)/);
      const models = (token: string) =>
        fetch(`${url}/v1/models`, { headers: { "x-api-key": token } }).then(async (res) => {
          await res.body?.cancel();
          return res.status;
        });
      assert.equal(await models("env-token-0123456789"), 200);
      assert.equal(await models("file-token-0123456789"), 401);
      for (const [method, path] of [["GET", "/health"], ["HEAD", "/"], ["HEAD", "/api/hello"]]) {
        const res = await fetch(`${url}${path}`, { method });
        await res.body?.cancel();
        assert.equal(res.status, 200, `${method} ${path}`);
      }
    } finally {
      await ccp.kill();
    }
  });
});

Deno.test("server limits: timeouts headers 10s, body 60s, idle 75s and max_connections 1024 by default; set in the file", async () => {
  await inTempDir("ccp-spec-", async (dir) => {
    await Deno.writeTextFile(`${dir}/plain.yaml`, UPSTREAM);
    await Deno.writeTextFile(
      `${dir}/set.yaml`,
      `server:\n  timeouts: { headers: 5s, body: 90s, idle: 2m }\n  max_connections: 50\n${UPSTREAM}`,
    );
    const limits = async (file: string) => {
      const run = await runCcp(["check", "--config", file], { cwd: dir, env: childEnv(dir) });
      assert.equal(run.code, 0, run.stderr);
      return /^Client limits: (.*)$/m.exec(run.stdout)?.[1];
    };
    assert.equal(
      await limits("plain.yaml"),
      "headers 10s, body 1m, idle 75s; at most 1024 connections",
    );
    assert.equal(await limits("set.yaml"), "headers 5s, body 90s, idle 2m; at most 50 connections");
  });
});
