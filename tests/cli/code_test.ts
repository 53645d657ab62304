import assert from "node:assert/strict";
import {
  claudeEnv,
  cloudSwitchNote,
  escapeCmdArgument,
  type FileKind,
  findOnPath,
  spawnSpec,
} from "../../src/cli/claude_spawn.ts";
import { codeToken } from "../../src/cli/code_token.ts";
import { askRunning } from "../../src/cli/code_elsewhere.ts";
import { probeHealth } from "../../src/cli/probe.ts";
import { startServer } from "../../src/cli/serve.ts";
import { VERSION } from "../../src/version.ts";
import { childEnv, NOWHERE_YAML, runCcp, testContext } from "./helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const POSIX = Deno.build.os !== "windows";

function fakeFs(files: Record<string, FileKind>): (path: string) => Promise<FileKind> {
  return (path) => Promise.resolve(files[path] ?? "missing");
}

Deno.test("findOnPath: first executable on PATH; PATHEXT on Windows", async () => {
  const posix = fakeFs({
    "/a/claude": "other",
    "/b/claude": "executable",
    "/c/claude": "executable",
  });
  assert.equal(await findOnPath("claude", { PATH: "/a:/b:/c" }, "linux", posix), "/b/claude");
  assert.equal(await findOnPath("claude", { PATH: "" }, "linux", posix), undefined);
  assert.equal(await findOnPath("claude", {}, "darwin", posix), undefined);

  const win = fakeFs({
    "C:\\npm\\claude": "executable",
    "C:\\npm\\claude.cmd": "executable",
    "D:\\bin\\claude.exe": "executable",
  });
  const env = { Path: "D:\\none;C:\\npm\\;D:\\bin", PATHEXT: ".COM;.EXE;.BAT;.CMD" };
  assert.equal(await findOnPath("claude", env, "windows", win), "C:\\npm\\claude.cmd");
});

Deno.test("claudeEnv points claude at the proxy and drops ANTHROPIC_API_KEY", () => {
  const env = claudeEnv(
    { PATH: "/bin", ANTHROPIC_API_KEY: "sk-ant", ANTHROPIC_BASE_URL: "https://x", HOME: "/h" },
    "http://127.0.0.1:8082",
    "tok",
  );
  assert.deepEqual(env, {
    PATH: "/bin",
    HOME: "/h",
    ANTHROPIC_BASE_URL: "http://127.0.0.1:8082",
    ANTHROPIC_AUTH_TOKEN: "tok",
  });
});

Deno.test("claudeEnv: behind a proxy, NO_PROXY names ccp's host (claude would send it to the proxy)", () => {
  const env = claudeEnv(
    { HTTPS_PROXY: "http://proxy.corp:3128", NO_PROXY: "corp.test, .intra", HOME: "/h" },
    "http://127.0.0.1:8082",
    "tok",
  );
  assert.equal(env.NO_PROXY, "corp.test,.intra,127.0.0.1");
  assert.equal(env.no_proxy, env.NO_PROXY, "both spellings, whichever claude reads");
  assert.equal(env.HTTPS_PROXY, "http://proxy.corp:3128", "the proxy stays for everything else");
  const ipv6 = claudeEnv({ http_proxy: "http://p:1" }, "http://[::1]:8082", "tok");
  assert.equal(ipv6.NO_PROXY, "::1,[::1]");
  const none = claudeEnv({ HOME: "/h" }, "http://127.0.0.1:8082", "tok");
  assert.equal(none.NO_PROXY, undefined, "without a proxy variable nothing is added");
});

Deno.test("claudeEnv leaves out the switches that send Claude Code to a cloud instead of ccp", () => {
  const shell = {
    HOME: "/h",
    CLAUDE_CODE_USE_BEDROCK: "1",
    CLAUDE_CODE_USE_VERTEX: "1",
    CLAUDE_CODE_USE_FOUNDRY: "1",
    CLAUDE_CODE_USE_ANTHROPIC_AWS: "1",
    CLAUDE_CODE_USE_ANTHROPIC_GOOGLE_CLOUD: "1",
    CLAUDE_CODE_USE_MANTLE: "1",
    AWS_REGION: "us-east-1",
  };
  // With any of them set, Claude Code ignores ANTHROPIC_BASE_URL: not one request reached ccp.
  const env = claudeEnv(shell, "http://127.0.0.1:8082", "tok");
  assert.deepEqual(Object.keys(env).sort(), [
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "AWS_REGION",
    "HOME",
  ]);
  assert.equal(
    cloudSwitchNote(shell),
    "ccp: CLAUDE_CODE_USE_BEDROCK, CLAUDE_CODE_USE_VERTEX, CLAUDE_CODE_USE_FOUNDRY, " +
      "CLAUDE_CODE_USE_ANTHROPIC_AWS, CLAUDE_CODE_USE_ANTHROPIC_GOOGLE_CLOUD, " +
      "CLAUDE_CODE_USE_MANTLE: left out of claude's environment (with them, Claude Code " +
      "would send its requests to that cloud instead of to ccp)",
  );
  assert.equal(cloudSwitchNote({ CLAUDE_CODE_USE_BEDROCK: "" }), undefined);
  assert.equal(
    claudeEnv({ CLAUDE_CODE_USE_BEDROCK: "" }, "u", "t").CLAUDE_CODE_USE_BEDROCK,
    undefined,
  );
});

Deno.test("claudeEnv leaves out what deno task set for ccp, and keeps what npm set", () => {
  const proxy = "http://127.0.0.1:8082";
  const byDenoTask = claudeEnv(
    { HOME: "/h", INIT_CWD: "/work/app", npm_config_user_agent: "deno/2.9.6 npm/? deno/2.9.6" },
    proxy,
    "tok",
  );
  assert.deepEqual(Object.keys(byDenoTask).sort(), [
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "HOME",
  ]);
  // Under npm (or set by the user), they are not ccp's to remove.
  const byNpm = claudeEnv(
    { INIT_CWD: "/work/app", npm_config_user_agent: "npm/11.19.1 node/v20.20.2 linux x64" },
    proxy,
    "tok",
  );
  assert.equal(byNpm.INIT_CWD, "/work/app");
  assert.equal(claudeEnv({ INIT_CWD: "/x" }, proxy, "tok").INIT_CWD, "/x");
});

Deno.test("spawnSpec: direct on POSIX and for .exe, cmd /d /s /c for npm's .cmd shims", () => {
  assert.deepEqual(spawnSpec("/usr/bin/claude", ["-p", "a b"], "linux"), {
    command: "/usr/bin/claude",
    args: ["-p", "a b"],
    raw: false,
  });
  assert.deepEqual(spawnSpec("C:\\x\\claude.exe", ["-p"], "windows").raw, false);
  const spec = spawnSpec("C:\\Program Files\\npm\\claude.cmd", ["-p", "fix & test"], "windows");
  assert.equal(spec.command, "cmd.exe");
  assert.equal(spec.raw, true);
  assert.deepEqual(spec.args.slice(0, 3), ["/d", "/s", "/c"]);
  assert.equal(
    spec.args[3],
    '"C:\\Program^ Files\\npm\\claude.cmd ^^^"-p^^^" ^^^"fix^^^ ^^^&^^^ test^^^""',
  );
});

Deno.test("escapeCmdArgument follows MSVCRT quoting, then escapes cmd metacharacters twice", () => {
  assert.equal(escapeCmdArgument("plain"), '^^^"plain^^^"');
  assert.equal(escapeCmdArgument('say "hi"'), '^^^"say^^^ \\^^^"hi\\^^^"^^^"');
  assert.equal(escapeCmdArgument("C:\\dir\\"), '^^^"C:\\dir\\\\^^^"');
  assert.equal(escapeCmdArgument("100%"), '^^^"100^^^%^^^"');
});

Deno.test("probeHealth tells ccp from something else and from nothing", async () => {
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ name: "not-ccp" }),
  );
  const dir = await Deno.makeTempDir({ prefix: "ccp_code_" });
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const ccp = await startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } });
    // What is told apart is checked here, not the 300 ms limit: on a loaded machine a fresh
    // server's first answer took longer, and the probe said "none". An answer ends the wait.
    const ANSWERED_MS = 10_000;
    try {
      assert.deepEqual(await probeHealth(ccp.url, ANSWERED_MS), { found: "ccp", version: VERSION });
    } finally {
      await ccp.stop();
    }
    assert.deepEqual(await probeHealth(`http://127.0.0.1:${other.addr.port}`, ANSWERED_MS), {
      found: "other",
    });
    assert.deepEqual(await probeHealth(ccp.url), { found: "none" });
    // A ccp refusing requests for now (a shared engine away in closed mode) is still that ccp.
    const refusing = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      () => Response.json({ status: "unavailable", name: "ccp" }, { status: 503 }),
    );
    try {
      assert.deepEqual(await probeHealth(`http://127.0.0.1:${refusing.addr.port}`, ANSWERED_MS), {
        found: "ccp",
      });
    } finally {
      await refusing.shutdown();
    }
  } finally {
    await other.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("probeHealth waits for a busy ccp, and finds nobody at once where nothing listens", async () => {
  const slow = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async () => {
      await new Promise((r) => setTimeout(r, 700));
      return Response.json({ status: "ok", name: "ccp" });
    },
  );
  try {
    assert.deepEqual(await probeHealth(`http://127.0.0.1:${slow.addr.port}`), { found: "ccp" });
  } finally {
    await slow.shutdown();
  }
  const started = performance.now();
  assert.deepEqual(await probeHealth(`http://127.0.0.1:${slow.addr.port}`), { found: "none" });
  assert.ok(performance.now() - started < 1_500, "a refused connection is not waited for");
});

/** A fake `claude` that reports what it got, checks the proxy answers, and exits 7. */
const FAKE_CLAUDE = `#!/bin/sh
echo "BASE=$ANTHROPIC_BASE_URL"
echo "TOKEN=\${ANTHROPIC_AUTH_TOKEN-unset}"
echo "CUSTOM=\${ANTHROPIC_CUSTOM_HEADERS-unset}"
echo "KEY=\${ANTHROPIC_API_KEY-unset}"
echo "ARGS=$*"
echo "DISCOVERY=$CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"
echo "COMPACT=\${CLAUDE_CODE_AUTO_COMPACT_WINDOW-unset}"
echo "HAIKU=\${ANTHROPIC_DEFAULT_HAIKU_MODEL-unset}"
echo "PWD=$(pwd)"
echo "OTEL=\${CLAUDE_CODE_ENABLE_TELEMETRY-unset} \${OTEL_EXPORTER_OTLP_ENDPOINT-unset} \${OTEL_EXPORTER_OTLP_PROTOCOL-unset} \${OTEL_METRICS_EXPORTER-unset}"
"$DENO_BIN" eval --quiet "const r = await fetch(Deno.env.get('ANTHROPIC_BASE_URL') + '/health'); console.log('HEALTH=' + r.status + ' ' + (await r.json()).name)"
exit 7
`;

async function withFakeClaude(run: (dir: string, env: Record<string, string>) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ccp_code_" });
  try {
    await Deno.mkdir(`${dir}/bin`);
    await Deno.writeTextFile(`${dir}/bin/claude`, FAKE_CLAUDE, { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const env = childEnv(dir, {
      PATH: `${dir}/bin:${Deno.env.get("PATH") ?? ""}`,
      DENO_BIN: Deno.execPath(),
      ANTHROPIC_API_KEY: "sk-ant-must-not-reach-claude",
      // The built-in default's Ollama: a test never asks whatever listens on Ollama's own port.
      OLLAMA_BASE_URL: "http://127.0.0.1:9",
    });
    await run(dir, env);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "code starts the proxy in-process, runs claude against it and passes its exit code",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const result = await runCcp([
        "code",
        "--config",
        "c.yaml",
        "--port",
        "0",
        "-p",
        "hi",
        "--",
        "--port",
        "1",
      ], {
        cwd: dir,
        env,
      });
      assert.equal(result.code, 7, result.stderr);
      const [, base] = /BASE=(http:\/\/127\.0\.0\.1:\d+)\n/.exec(result.stdout) ?? [];
      assert.ok(base, result.stdout);
      assert.match(result.stdout, /TOKEN=ccp\n/);
      assert.match(result.stdout, /KEY=unset\n/);
      const [, settings, rest] = /ARGS=--settings (\{.*\}) (.*)\n/.exec(result.stdout) ?? [];
      assert.equal(rest, "-p hi --port 1");
      const statusLine = JSON.parse(settings!).statusLine;
      assert.equal(statusLine.type, "command");
      // The variables go in --settings too, where they outrank Claude Code's settings files (an
      // address `ccp settings install` wrote); the token never goes on the command line.
      assert.deepEqual(JSON.parse(settings!).env, {
        ANTHROPIC_BASE_URL: base,
        CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1",
      });
      // The status line reads the same config (a shared ledger lives there), by absolute path,
      // and asks the proxy started here (it knows what it learned of the models it serves).
      assert.ok(
        statusLine.command.endsWith(
          ` statusline --config ${dir}/c.yaml --host 127.0.0.1 --port ${new URL(base!).port}`,
        ),
        statusLine.command,
      );
      assert.match(result.stdout, /HEALTH=200 ccp\n/);
      assert.match(result.stdout, /DISCOVERY=1\n/);
      assert.match(result.stdout, /COMPACT=unset\n/, "no context window is known for up/model-a");
      // The session's title stays on the main loop's model: on the haiku route the status line
      // would name the haiku target after each title, until the next main-loop request.
      assert.match(result.stdout, /HAIKU=unset\n/);
      assert.match(result.stdout, new RegExp(`PWD=${dir}\n`));
      // The proxy's log goes to a file, named once; nothing else of it reaches the terminal.
      const [, log] = /proxy started in-process at http:\/\/127\.0\.0\.1:\d+.*; its log: (\S+)/
        .exec(result.stderr) ?? [];
      assert.ok(log?.endsWith("xdg-data/ccp/ccp.log"), result.stderr);
      assert.match(await Deno.readTextFile(log!), /listening on/);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }),
});

Deno.test({
  name: "code says when a Claude Code settings file gives claude another token than ccp's",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      await Deno.writeTextFile(
        `${dir}/t.yaml`,
        `server: { auth_token: code-token-0123 }\n${NOWHERE_YAML}`,
      );
      await Deno.mkdir(`${dir}/home/.claude`, { recursive: true });
      const settings = `${dir}/home/.claude/settings.json`;
      const write = (token: string) =>
        Deno.writeTextFile(settings, JSON.stringify({ env: { ANTHROPIC_AUTH_TOKEN: token } }));
      const run = () =>
        runCcp(["code", "--config", "t.yaml", "--port", "0", "-p", "hi"], {
          cwd: dir,
          env: { ...env, HOME: `${dir}/home` },
        });
      await write("stale-token");
      const stale = await run();
      assert.equal(stale.code, 7, stale.stderr);
      assert.match(
        stale.stderr,
        /ccp: .*home\/\.claude\/settings\.json sets ANTHROPIC_AUTH_TOKEN, and Claude Code takes it/,
      );
      assert.ok(!stale.stderr.includes("stale-token"), "the token is not printed");
      await write("code-token-0123");
      const same = await run();
      assert.ok(!same.stderr.includes("ANTHROPIC_AUTH_TOKEN"), same.stderr);
    }),
});

Deno.test({
  name: "code shows the config's warnings on the terminal, where the log file is out of sight",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      // The Quick start's MODEL=… beside a config.yaml `ccp init` wrote: the file wins.
      const result = await runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
        cwd: dir,
        env: { ...env, MODEL: "nvidia_nim/moonshotai/kimi-k2.5" },
      });
      assert.equal(result.code, 7, result.stderr);
      assert.match(
        result.stderr,
        /\nccp: warning: MODEL: set but not read: c\.yaml is in use, and a config file reads variables only through \$\{VAR\}/,
      );
    }),
});

Deno.test({
  name: "code with Claude Code's telemetry variables: says once what ccp traces, passes them on",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const telemetry = { CLAUDE_CODE_ENABLE_TELEMETRY: "1", OTEL_METRICS_EXPORTER: "otlp" };
      const run = (otel: Record<string, string>) =>
        runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
          cwd: dir,
          env: { ...env, ...telemetry, ...otel },
        });
      // A gRPC collector: nothing of ccp's goes there, said once; claude keeps its settings.
      const grpc = await run({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4317",
        OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      });
      assert.equal(grpc.code, 7, grpc.stderr);
      assert.equal(
        grpc.stderr.match(/ccp: warning: OTEL_EXPORTER_OTLP_PROTOCOL is grpc/g)?.length,
        1,
      );
      assert.ok(!grpc.stderr.includes("Tracing:"), grpc.stderr);
      assert.match(grpc.stdout, /\nOTEL=1 http:\/\/127\.0\.0\.1:4317 grpc otlp\n/);
      // An OTLP/HTTP one: ccp's traces go there too, and the terminal says so.
      const http = await run({
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9",
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      });
      assert.equal(http.code, 7, http.stderr);
      assert.match(
        http.stderr,
        /\nccp: Tracing: OTLP\/HTTP JSON to http:\/\/127\.0\.0\.1:9\/v1\/traces as service ccp;.*\(from OTEL_\* variables\); OTEL_TRACES_EXPORTER=none turns it off\n/,
      );
      assert.match(http.stdout, /\nOTEL=1 http:\/\/127\.0\.0\.1:9 http\/json otlp\n/);
    }),
});

Deno.test({
  name: "code with a tracing block's enabled: true does not say OTEL_TRACES_EXPORTER=none stops it",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      // The block insists and the variables name the collector: `none` would not turn it off.
      await Deno.writeTextFile(`${dir}/c.yaml`, `tracing: { enabled: true }\n${NOWHERE_YAML}`);
      const result = await runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
        cwd: dir,
        env: {
          ...env,
          OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9",
          OTEL_TRACES_EXPORTER: "none",
        },
      });
      assert.equal(result.code, 7, result.stderr);
      assert.match(
        result.stderr,
        /\nccp: Tracing: OTLP\/HTTP JSON to http:\/\/127\.0\.0\.1:9\/v1\/traces .*; the config's tracing\.enabled: true keeps it on \(enabled: false turns it off\)\n/,
      );
      assert.ok(!result.stderr.includes("OTEL_TRACES_EXPORTER=none turns it off"), result.stderr);
    }),
});

Deno.test({
  name: "code without a config or MODEL says on the terminal that requests go to a local Ollama",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const result = await runCcp(["code", "--port", "0", "-p", "hi"], { cwd: dir, env });
      assert.equal(result.code, 7, result.stderr);
      assert.match(
        result.stderr,
        /\nccp: No config file and no MODEL variable: using the built-in default, ollama\/qwen3-coder at http:\/\/127\.0\.0\.1:9\. Run "deno task start init"/,
      );
    }),
});

/** A fake `claude` that sends one request, gets an error (nothing listens upstream), exits 1. */
const FAILING_CLAUDE = `#!/bin/sh
"$DENO_BIN" eval --quiet "await fetch(Deno.env.get('ANTHROPIC_BASE_URL') + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'ccp' }, body: JSON.stringify({ model: 'claude-opus-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }) }).then((r) => r.text())"
echo "There's an issue with the selected model (claude-opus-5-5)." >&2
exit 1
`;

Deno.test({
  name: "code says, after claude exits, which request failed and why (Claude Code may not)",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      await Deno.writeTextFile(`${dir}/bin/claude`, FAILING_CLAUDE, { mode: 0o755 });
      const result = await runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
        cwd: dir,
        env,
      });
      assert.equal(result.code, 1, result.stderr);
      const last = result.stderr.trim().split("\n").at(-1) ?? "";
      assert.match(
        last,
        /^ccp: 1 request failed while claude ran; the last: POST \/v1\/messages claude-opus-5-5 → up\/model-a 502 .*\(Cannot reach provider "up" \(model model-a\) at http:\/\/127\.0\.0\.1:9\/v1\/chat\/completions: /,
      );
      assert.match(last, /\(log: \S+ccp\.log\)$/);
    }),
});

Deno.test({
  name: "code uses a ccp that already answers, with the configured token",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const running = await startServer({
        ctx: testContext(dir, { env: { CCP_AUTH_TOKEN: "tok-123" } }),
        flags: { config: "c.yaml", port: 0 },
      });
      try {
        const result = await runCcp(
          ["code", "--config", "c.yaml", "--port", String(running.port)],
          {
            cwd: dir,
            env: { ...env, CCP_AUTH_TOKEN: "tok-123" },
          },
        );
        assert.equal(result.code, 7, result.stderr);
        assert.ok(result.stdout.includes(`BASE=${running.url}\n`), result.stdout);
        assert.match(result.stdout, /TOKEN=tok-123\n/);
        assert.match(result.stderr, /using the proxy already running/);
      } finally {
        await running.stop();
      }
    }),
});

Deno.test({
  name: "code beside a running ccp with another default route says whose routes apply",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const running = await startServer({
        ctx: testContext(dir),
        flags: { config: "c.yaml", port: 0 },
      });
      try {
        await Deno.writeTextFile(
          `${dir}/other.yaml`,
          NOWHERE_YAML.replace("default: up/model-a", "default: up/model-z"),
        );
        const port = String(running.port);
        const other = await runCcp(["code", "--config", "other.yaml", "--port", port], {
          cwd: dir,
          env,
        });
        assert.equal(other.code, 7, other.stderr);
        assert.ok(
          other.stderr.includes(
            `ccp: warning: the proxy already running at ${running.url} has its own config: its ` +
              "default route goes to up/model-a, not to up/model-z as here.",
          ),
          other.stderr,
        );
        const same = await runCcp(["code", "--config", "c.yaml", "--port", port], {
          cwd: dir,
          env,
        });
        assert.doesNotMatch(same.stderr, /has its own config/);
        // No config here (no file, no MODEL): the running ccp is the one meant, as a developer
        // uses a team's shared ccp. Nothing to stop or restart.
        const none = await runCcp(["code", "--port", port], { cwd: dir, env });
        assert.equal(none.code, 7, none.stderr);
        assert.match(none.stderr, /using the proxy already running at/);
        assert.doesNotMatch(none.stderr, /has its own config/);
      } finally {
        await running.stop();
      }
    }),
});

Deno.test({
  name: "code beside a running ccp without the key this one has says so before claude starts",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      // The quick start's `NVIDIA_NIM_API_KEY=... ccp code` while a ccp started without the key
      // runs in another terminal: the same routes, so only the keys tell the two apart.
      await Deno.writeTextFile(
        `${dir}/nokey.yaml`,
        NOWHERE_YAML.replace("    api_key: sk-test-1234567890abcdef\n", ""),
      );
      const running = await startServer({
        ctx: testContext(dir),
        flags: { config: "nokey.yaml", port: 0 },
      });
      try {
        const port = String(running.port);
        const keyed = await runCcp(["code", "--config", "c.yaml", "--port", port], {
          cwd: dir,
          env,
        });
        assert.equal(keyed.code, 7, keyed.stderr);
        assert.ok(
          keyed.stderr.includes(
            `ccp: warning: the proxy already running at ${running.url} has no API key for up, ` +
              "which this ccp has: it uses its own keys, so those requests are refused.",
          ),
          keyed.stderr,
        );
        // Ollama has no key in either: nothing to say of it, nor when this one lacks the key too.
        assert.doesNotMatch(keyed.stderr, /no API key for up, ollama|for ollama/);
        const same = await runCcp(["code", "--config", "nokey.yaml", "--port", port], {
          cwd: dir,
          env,
        });
        assert.equal(same.code, 7, same.stderr);
        assert.doesNotMatch(same.stderr, /has no API key/);
      } finally {
        await running.stop();
      }
    }),
});

/** Runs a status line command as Claude Code does: through a shell, its JSON on stdin. */
async function runStatusLine(command: string, env: Record<string, string>, input: string) {
  const child = new Deno.Command("sh", {
    args: ["-c", command],
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test({
  name: "code beside a running ccp with another data dir: the status line asks that ccp",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const running = await startServer({
        ctx: testContext(dir, { env: { CCP_AUTH_TOKEN: "tok-123" } }),
        flags: { config: "c.yaml", port: 0, dataDir: `${dir}/server-data` },
      });
      try {
        // One request of session s-1 in the running ccp's ledger (its upstream does not answer).
        const res = await postMessages(running.url, {
          model: "claude-sonnet-4-5",
          max_tokens: 5,
          messages: [{ role: "user", content: "hi" }],
        }, { "x-api-key": "tok-123", "x-claude-code-session-id": "s-1" });
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 300)); // the ledger writes within ~0.1 s
        const code = { ...env, CCP_AUTH_TOKEN: "tok-123" };
        const result = await runCcp(
          ["code", "--config", "c.yaml", "--port", String(running.port)],
          { cwd: dir, env: code },
        );
        assert.equal(result.code, 7, result.stderr);
        const [, settings] = /ARGS=--settings (\{.*\})\n/.exec(result.stdout) ?? [];
        const command: string = JSON.parse(settings!).statusLine.command;
        assert.ok(!command.includes("tok-123"), "no token on a command line");
        const line = (session: string) =>
          runStatusLine(command, code, JSON.stringify({ session_id: session }));
        // The sonnet route: its last target, which did not answer either, is who it was sent to.
        assert.equal(await line("s-1"), "ccp ▸ ollama/qwen3-coder · 0 in / 0 out · 1 req");
        assert.equal(await line("s-2"), "ccp · no requests yet in this session");
        // The ccp it asks is gone: the line says so, and reads no other ledger instead.
        await running.stop();
        assert.equal(
          await line("s-1"),
          `ccp · the proxy at ${running.url} does not answer`,
        );
      } finally {
        await running.stop();
      }
    }),
});

Deno.test({
  name: "code refuses a running ccp whose token is not its own, before claude starts",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const running = await startServer({
        ctx: testContext(dir, { env: { CCP_AUTH_TOKEN: "tok-of-the-server" } }),
        flags: { config: "c.yaml", port: 0 },
      });
      try {
        const args = ["code", "--config", "c.yaml", "--port", String(running.port)];
        const result = await runCcp(args, {
          cwd: dir,
          env: { ...env, CCP_AUTH_TOKEN: "tok-of-this-ccp" },
        });
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stdout, "", "claude did not run");
        assert.match(result.stderr, /refuses this ccp's token: give both the same/);
        // No "using the proxy" first: it is not used.
        assert.doesNotMatch(result.stderr, /using the proxy/);
        // A newcomer's ccp has no token at all: told to set the running one's, not to copy its own.
        const none = await runCcp(args, { cwd: dir, env });
        assert.equal(none.code, 1, none.stderr);
        assert.equal(none.stdout, "", "claude did not run");
        assert.match(
          none.stderr,
          /wants its auth token, and this ccp has none: set CCP_AUTH_TOKEN \(or server\.auth_token\) to that proxy's token/,
        );
        assert.doesNotMatch(none.stderr, /using the proxy|give both the same/);
      } finally {
        await running.stop();
      }
    }),
});

const PLAN_YAML = `server:
  auth_token: tok-plan-0123456789
providers:
  claude: { preset: anthropic, auth: passthrough, base_url: "http://127.0.0.1:9" }
  up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-test-1234567890abcdef }
routes:
  default: [claude/claude-sonnet-4-5, up/model-a]
`;

Deno.test({
  name: "code with an auth: passthrough provider keeps Claude Code's own login when it has one",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      await Deno.writeTextFile(`${dir}/plan.yaml`, PLAN_YAML);
      await Deno.mkdir(`${dir}/claude`);
      await Deno.writeTextFile(
        `${dir}/claude/.credentials.json`,
        JSON.stringify({
          claudeAiOauth: { accessToken: "sk-ant-oat01-login-abcdef", scopes: ["user:inference"] },
        }),
      );
      const run = (configDir: string) =>
        runCcp(["code", "--config", "plan.yaml", "--port", "0"], {
          cwd: dir,
          env: {
            ...env,
            CLAUDE_CONFIG_DIR: configDir,
            ANTHROPIC_AUTH_TOKEN: "user-token-replaces-the-login",
            ANTHROPIC_CUSTOM_HEADERS: "X-Team: blue",
          },
        });
      const kept = await run(`${dir}/claude`);
      assert.equal(kept.code, 7, kept.stderr);
      assert.match(kept.stdout, /TOKEN=unset\n/);
      assert.match(kept.stdout, /CUSTOM=X-Team: blue\nx-api-key: tok-plan-0123456789\n/);
      assert.match(kept.stdout, /HEALTH=200 ccp\n/);
      assert.match(
        kept.stderr,
        /keeps its Claude login \(found in .*claude\/\.credentials\.json\)/,
      );
      assert.ok(!kept.stderr.includes("sk-ant-oat01-login"), "the login is never shown");
      // No login to keep: Claude Code gets ccp's token as before, and the user is told why.
      const none = await run(`${dir}/nowhere`);
      assert.equal(none.code, 7, none.stderr);
      assert.match(none.stdout, /TOKEN=tok-plan-0123456789\n/);
      assert.match(none.stdout, /CUSTOM=X-Team: blue\n/);
      assert.match(none.stderr, /has no Claude login here/);
    }),
});

Deno.test({
  name: "code without an auth: passthrough provider gives ccp's token although a login exists",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const result = await runCcp(["code", "--config", "c.yaml", "--port", "0"], {
        cwd: dir,
        // A plan login Claude Code has: with no passthrough provider it is not ccp's business.
        env: { ...env, CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-user-login-0123456789" },
      });
      assert.equal(result.code, 7, result.stderr);
      assert.match(result.stdout, /TOKEN=ccp\n/);
      assert.match(result.stdout, /CUSTOM=unset\n/);
      assert.ok(!result.stderr.includes("login"), result.stderr);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
    }),
});

Deno.test("codeToken: the auth token, else a client allowed every route, else the first client", () => {
  const server = {
    clients: [
      { name: "ci", token: "ci-token", routes: ["haiku"] },
      { name: "me", token: "me-token" },
    ],
  } as unknown as Parameters<typeof codeToken>[0];
  // The first client may only use haiku: Claude Code's main requests were all refused with 403.
  assert.equal(codeToken(server), "me-token");
  assert.equal(codeToken({ ...server, authToken: "main" }), "main");
  const limited = { clients: [{ name: "ci", token: "ci-token", routes: ["haiku"] }] };
  assert.equal(codeToken(limited as unknown as Parameters<typeof codeToken>[0]), "ci-token");
  assert.equal(codeToken({} as Parameters<typeof codeToken>[0]), undefined);
});

Deno.test("askRunning: only a 401 is a refusal; a default route is read off its display name", async () => {
  const answers = [
    () => new Response(null, { status: 401 }),
    () => Response.json({ id: "default", display_name: "default (up/a → up/b)" }),
    () => Response.json({ id: "default", display_name: "something else" }),
    () => new Response(null, { status: 503 }),
  ];
  const paths: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    // Its /health, asked at the same time, names no provider without a key here.
    if (new URL(req.url).pathname === "/health") return Response.json({ status: "ok", no_key: [] });
    paths.push(`${new URL(req.url).pathname} ${req.headers.get("authorization")}`);
    return answers.shift()!();
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    assert.deepEqual(await askRunning(url, "t"), { refused: true });
    assert.deepEqual(await askRunning(url, "t"), { refused: false, defaultRoute: "up/a → up/b" });
    assert.deepEqual(await askRunning(url, "t"), { refused: false });
    assert.deepEqual(await askRunning(url, "t"), { refused: false });
    assert.deepEqual(paths, Array(4).fill("/v1/models/default Bearer t"));
  } finally {
    await server.shutdown();
  }
  const gone = `http://127.0.0.1:${server.addr.port}`;
  assert.deepEqual(await askRunning(gone, "t", 300), { refused: false });
});

Deno.test("askRunning: the providers its /health says it has no key for, unless it refused", async () => {
  let refuse = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname === "/health") {
      return Response.json({ status: "ok", name: "ccp", no_key: ["nim", 7, "ollama"] });
    }
    return refuse
      ? new Response(null, { status: 401 })
      : Response.json({ id: "default", display_name: "default (nim/k)" });
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    assert.deepEqual(await askRunning(url, "t"), {
      refused: false,
      defaultRoute: "nim/k",
      keyless: ["nim", "ollama"],
    });
    refuse = true;
    assert.deepEqual(await askRunning(url, "t"), { refused: true });
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name: "code beside a running ccp asks it one question before claude starts",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const asked: string[] = [];
      const running = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
        const path = new URL(req.url).pathname;
        if (path === "/health") return Response.json({ status: "ok", name: "ccp" });
        asked.push(path);
        return path === "/v1/models/default"
          ? Response.json({ id: "default", display_name: "default (up/model-z)" })
          : new Response(null, { status: 404 });
      });
      try {
        const port = String(running.addr.port);
        const result = await runCcp(["code", "--config", "c.yaml", "--port", port], {
          cwd: dir,
          env,
        });
        assert.equal(result.code, 7, result.stderr);
        assert.deepEqual(asked, ["/v1/models/default"]);
        assert.match(result.stderr, /its default route goes to up\/model-z, not to up\/model-a/);
      } finally {
        await running.shutdown();
      }
    }),
});

Deno.test("code without claude on PATH exits 1 and says how to install it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_code_" });
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const result = await runCcp(["code", "--config", "c.yaml"], {
      cwd: dir,
      env: childEnv(dir, { PATH: dir }),
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /"claude" was not found on PATH/);
    assert.match(result.stderr, /npm install -g @anthropic-ai\/claude-code/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "code beside another program on its port says so as serve does, and starts no claude",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      const other = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen: () => {} },
        () => new Response("not found", { status: 404 }),
      );
      try {
        const port = other.addr.port;
        const result = await runCcp(["code", "--config", "c.yaml", "--port", String(port)], {
          cwd: dir,
          env,
        });
        assert.equal(result.code, 1, result.stderr);
        assert.equal(result.stdout, "", "claude did not run");
        assert.match(
          result.stderr,
          new RegExp(
            `something else is using 127\\.0\\.0\\.1:${port} \\(not a ccp\\): choose another ` +
              "port with --port N or CCP_PORT",
          ),
        );
      } finally {
        await other.shutdown();
      }
    }),
});

/** A fake `claude` during whose session the user saves ccp's config twice, once with a mistake. */
const EDITING_CLAUDE = `#!/bin/sh
sed 's/model-a/model-c/' c.yaml > c.yaml.new && mv c.yaml.new c.yaml
sleep 1
sed 's/up\\/model-c/nope\\/model-c/' c.yaml > c.yaml.new && mv c.yaml.new c.yaml
sleep 1
exit 0
`;

Deno.test({
  name: "code says on the terminal that a config saved during the session took effect, or why not",
  ignore: !POSIX,
  fn: () =>
    withFakeClaude(async (dir, env) => {
      await Deno.writeTextFile(`${dir}/bin/claude`, EDITING_CLAUDE, { mode: 0o755 });
      const result = await runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
        cwd: dir,
        env,
      });
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 3, result.stderr);
      assert.equal(lines[1], "ccp: Config file saved, reloaded. Changed: route default changed");
      assert.match(
        lines[2]!,
        /^ccp: Config reload failed; keeping the previous config\. c\.yaml: routes\.default: unknown provider "nope"/,
      );
    }),
});
