import assert from "node:assert/strict";
import { PERMISSION_FLAGS, RUNTIME_FLAGS } from "../../src/cli/permissions.ts";
import { runCli } from "../../src/cli/run.ts";
import { type Exec, runService } from "../../src/cli/service.ts";
import {
  renderLaunchdPlist,
  renderSystemdUnit,
  type ServiceSpec,
  serviceSpec,
  systemdQuote,
  xmlEscape,
} from "../../src/cli/service_render.ts";
import {
  childEnv,
  denoCacheDir,
  inTempDir,
  ROOT,
  runCcp,
  startTaskFlags,
  testContext,
} from "./helpers.ts";

Deno.test("RUNTIME_FLAGS and PERMISSION_FLAGS are exactly those of `deno task start`", async () => {
  assert.deepEqual([...RUNTIME_FLAGS, ...PERMISSION_FLAGS], await startTaskFlags());
});

Deno.test("serviceSpec runs src/main.ts with deno's start permissions when not compiled", () => {
  const spec = serviceSpec({
    execPath: "/usr/bin/deno",
    mainModule: "file:///opt/my%20ccp/src/main.ts",
    standalone: false,
    flags: { config: "conf/c.yaml", port: 8090, logLevel: "debug" },
    env: { XDG_CONFIG_HOME: "/home/u/.cfg" },
    cwd: "/home/u/work",
  });
  assert.deepEqual(spec, {
    program: [
      "/usr/bin/deno",
      "run",
      ...RUNTIME_FLAGS,
      ...PERMISSION_FLAGS,
      "--config",
      "/opt/my ccp/deno.json",
      "/opt/my ccp/src/main.ts",
      "serve",
      "--config",
      "/home/u/work/conf/c.yaml",
      "--port",
      "8090",
      "--log-level",
      "debug",
    ],
    workingDirectory: "/home/u/work",
    environment: { XDG_CONFIG_HOME: "/home/u/.cfg" },
  });
});

Deno.test("serviceSpec runs the compiled binary itself, with CCP_CONFIG made explicit", () => {
  const spec = serviceSpec({
    execPath: "/usr/local/bin/ccp",
    mainModule: "file:///tmp/deno-compile-ccp/src/main.ts",
    standalone: true,
    flags: { host: "::1" },
    env: { CCP_CONFIG: "ccp.yaml", XDG_CONFIG_HOME: "relative/ignored" },
    cwd: "/srv",
  });
  assert.deepEqual(spec.program, [
    "/usr/local/bin/ccp",
    "serve",
    "--config",
    "/srv/ccp.yaml",
    "--host",
    "::1",
  ]);
  assert.deepEqual(spec.environment, {});
});

Deno.test("serviceSpec writes paths given with .. as the absolute paths they name", () => {
  const spec = serviceSpec({
    execPath: "/usr/local/bin/ccp",
    mainModule: "file:///tmp/deno-compile-ccp/src/main.ts",
    standalone: true,
    flags: { config: "../x.yaml", dataDir: "./data/../state", logFile: "../logs/./ccp.log" },
    env: {},
    cwd: "/dir/sub",
  });
  assert.deepEqual(spec.program, [
    "/usr/local/bin/ccp",
    "serve",
    "--config",
    "/dir/x.yaml",
    "--data-dir",
    "/dir/sub/state",
    "--log-file",
    "/dir/logs/ccp.log",
  ]);
  const unit = renderSystemdUnit(spec);
  assert.ok(unit.includes("ReadWritePaths=-/dir/logs\n"), unit);
  assert.ok(!unit.includes("/../") && !unit.includes("/./"), unit);
});

Deno.test("serviceSpec keeps --data-dir, --log-file and --log-format, and lets the unit write there", () => {
  const input = {
    execPath: "/usr/local/bin/ccp",
    mainModule: "file:///tmp/deno-compile-ccp/src/main.ts",
    standalone: true,
    env: {},
    cwd: "/home/u/work",
  };
  const spec = serviceSpec({
    ...input,
    flags: { dataDir: "data", logFile: "logs/ccp.log", logFormat: "json" },
  });
  assert.deepEqual(spec.program, [
    "/usr/local/bin/ccp",
    "serve",
    "--data-dir",
    "/home/u/work/data",
    "--log-format",
    "json",
    "--log-file",
    "/home/u/work/logs/ccp.log",
  ]);
  const unit = renderSystemdUnit(spec);
  assert.ok(unit.includes("ReadWritePaths=-/home/u/work/data\n"), unit);
  assert.ok(unit.includes("ReadWritePaths=-/home/u/work/logs\n"), unit);
  // CCP_DATA_DIR in the shell that ran `install` is made explicit, as CCP_CONFIG is.
  const fromEnv = serviceSpec({ ...input, flags: {}, env: { CCP_DATA_DIR: "/srv/ccp" } });
  assert.deepEqual(fromEnv.program, ["/usr/local/bin/ccp", "serve", "--data-dir", "/srv/ccp"]);
  assert.ok(renderSystemdUnit(fromEnv, { system: true }).includes("ReadWritePaths=-/srv/ccp\n"));
});

Deno.test("serviceSpec: the service keeps the shell's XDG_DATA_HOME, so its ledger is the one ccp usage reads", () => {
  const input = {
    execPath: "/usr/local/bin/ccp",
    mainModule: "file:///tmp/deno-compile-ccp/src/main.ts",
    standalone: true,
    flags: {},
    cwd: "/home/u/work",
  };
  // A user manager does not share the shell's XDG_DATA_HOME: without it the service would keep
  // its usage ledger in ~/.local/share/ccp while `ccp usage` and the status line read the other.
  const spec = serviceSpec({ ...input, env: { XDG_DATA_HOME: "/home/u/.data" } });
  assert.deepEqual(spec.environment, { XDG_DATA_HOME: "/home/u/.data" });
  const unit = renderSystemdUnit(spec);
  assert.ok(unit.includes("Environment=XDG_DATA_HOME=/home/u/.data\n"), unit);
  assert.ok(unit.includes("ReadWritePaths=-/home/u/.data/ccp\n"), unit);
  assert.match(
    renderLaunchdPlist(spec, "/home/u/Library/Logs/ccp.log"),
    /<key>XDG_DATA_HOME<\/key><string>\/home\/u\/\.data<\/string>/,
  );
  // A data dir given explicitly wins; a relative XDG_DATA_HOME is ignored, as ccp ignores it.
  const explicit = serviceSpec({
    ...input,
    env: { XDG_DATA_HOME: "/home/u/.data", CCP_DATA_DIR: "/srv/d" },
  });
  assert.deepEqual(explicit.writable, ["/srv/d"]);
  assert.deepEqual(serviceSpec({ ...input, env: { XDG_DATA_HOME: "rel" } }).environment, {});
  // A system service keeps its state in /var/lib/ccp whatever the installing shell says.
  const system = serviceSpec({ ...input, env: { XDG_DATA_HOME: "/home/u/.data" }, system: true });
  assert.equal(system.environment.XDG_DATA_HOME, undefined);
});

Deno.test("systemd unit: a writable dir with a quote, backslash, space or % is one word to systemd", () => {
  const unit = renderSystemdUnit({
    program: ["/usr/local/bin/ccp", "serve"],
    workingDirectory: "/home/u",
    environment: {},
    writable: ["/home/u/O'Brien/ccp", '/srv/a "b"\\c', "/srv/100%", "/srv/$HOME"],
  });
  assert.ok(unit.includes(`ReadWritePaths="-/home/u/O'Brien/ccp"\n`), unit);
  assert.ok(unit.includes('ReadWritePaths="-/srv/a \\"b\\"\\\\c"\n'), unit);
  assert.ok(unit.includes("ReadWritePaths=-/srv/100%%\n"), unit);
  assert.ok(unit.includes('ReadWritePaths="-/srv/$HOME"\n'), unit);
});

const SPEC: ServiceSpec = {
  program: ["/usr/bin/deno", "run", "/a b/src/main.ts", "serve", "--config", "/c/100%.yaml"],
  workingDirectory: "/home/u/my dir",
  environment: { XDG_CONFIG_HOME: "/home/u/.my cfg" },
};

Deno.test("systemd unit: quoted ExecStart, working dir, restart policy, install target", () => {
  const unit = renderSystemdUnit(SPEC);
  assert.ok(
    unit.includes(
      'ExecStart=/usr/bin/deno run "/a b/src/main.ts" serve --config /c/100%%.yaml\n',
    ),
    unit,
  );
  assert.ok(unit.includes("WorkingDirectory=/home/u/my dir\n"));
  assert.ok(unit.includes('Environment="XDG_CONFIG_HOME=/home/u/.my cfg"\n'));
  assert.ok(unit.includes("Restart=on-failure\n"));
  assert.ok(unit.includes("[Install]\nWantedBy=default.target\n"));
  assert.equal(systemdQuote("a$b"), '"a$$b"');
  assert.equal(systemdQuote('say "x"'), '"say \\"x\\""');
});

Deno.test("launchd plist: escaped program arguments, label, keep-alive and log file", () => {
  const plist = renderLaunchdPlist(
    { ...SPEC, program: ["/bin/ccp", "serve", "--config", "/x/a&b.yaml"] },
    "/Users/u/Library/Logs/ccp.log",
  );
  assert.match(plist, /<key>Label<\/key><string>dev\.ccp<\/string>/);
  assert.match(
    plist,
    /<array>\n {4}<string>\/bin\/ccp<\/string>\n {4}<string>serve<\/string>\n {4}<string>--config<\/string>\n {4}<string>\/x\/a&amp;b\.yaml<\/string>\n {2}<\/array>/,
  );
  assert.match(plist, /<key>RunAtLoad<\/key><true\/>/);
  assert.match(plist, /<key>StandardErrorPath<\/key><string>\/Users\/u\/Library\/Logs\/ccp\.log/);
  assert.match(plist, /<key>XDG_CONFIG_HOME<\/key><string>\/home\/u\/\.my cfg<\/string>/);
  assert.equal(
    xmlEscape(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;",
  );
});

/** An Exec that records commands and answers from a table. */
function fakeExec(answers: Record<string, { code: number; output: string }> = {}) {
  const calls: string[] = [];
  const exec: Exec = (command, args) => {
    const line = [command, ...args].join(" ");
    calls.push(line);
    return Promise.resolve(answers[line] ?? { code: 0, output: "" });
  };
  return { calls, exec };
}

Deno.test("service install/status/uninstall on Linux write the unit and drive systemctl", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const unitFile = `${dir}/xdg/systemd/user/ccp.service`;
    const ctx = testContext(dir, { os: "linux" });
    const { calls, exec } = fakeExec({
      "systemctl --user is-active ccp.service": { code: 0, output: "active" },
    });
    assert.equal(await runService(ctx, "install", { port: 8090 }, exec), 0);
    const unit = await Deno.readTextFile(unitFile);
    assert.match(unit, new RegExp(`/src/main\\.ts serve --port 8090\\n`));
    assert.ok(unit.includes(`--config ${ROOT}/deno.json`), unit);
    assert.match(unit, new RegExp(`WorkingDirectory=${dir}/xdg/ccp\\n`), "works in the config dir");
    assert.match(unit, /NoNewPrivileges=yes/);
    assert.match(unit, /ProtectSystem=strict/);
    assert.match(unit, /ReadWritePaths=-%h\/\.local\/share\/ccp/);
    assert.deepEqual(calls.splice(0), [
      "systemctl --user daemon-reload",
      "systemctl --user enable --now ccp.service",
      "systemctl --user restart ccp.service",
    ]);
    assert.match(ctx.io.stdout.join("\n"), /Wrote .*ccp\.service\nStarted it/);

    assert.equal(await runService(ctx, "status", {}, exec), 0);
    assert.match(ctx.io.stdout.join("\n"), /Installed: .*\nState: active/);

    assert.equal(await runService(ctx, "uninstall", {}, exec), 0);
    assert.deepEqual(calls.splice(0), [
      "systemctl --user is-active ccp.service",
      "systemctl --user disable --now ccp.service",
      "systemctl --user daemon-reload",
    ]);
    assert.match(ctx.io.stdout.join("\n"), /Removed .*ccp\.service\nStopped the service/);
    await assert.rejects(() => Deno.stat(unitFile), Deno.errors.NotFound);
  });
});

Deno.test("service install on macOS writes the plist and bootstraps it", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const ctx = testContext(dir, {
      os: "darwin",
      standalone: true,
      execPath: "/usr/local/bin/ccp",
    });
    const { calls, exec } = fakeExec();
    assert.equal(await runService(ctx, "install", {}, exec), 0);
    const plistFile = `${dir}/Library/LaunchAgents/dev.ccp.plist`;
    const plist = await Deno.readTextFile(plistFile);
    assert.match(plist, /<string>\/usr\/local\/bin\/ccp<\/string>\n {4}<string>serve<\/string>/);
    assert.deepEqual(calls, [`launchctl bootstrap gui/${Deno.uid()} ${plistFile}`]);
    assert.equal(await runService(ctx, "uninstall", {}, exec), 0);
    assert.equal(calls.at(-1), `launchctl bootout gui/${Deno.uid()}/dev.ccp`);
  });
});

Deno.test("service install creates the config dir the service works in (before ccp init, or with --config)", async () => {
  for (const os of ["linux", "darwin"] as const) {
    await inTempDir("ccp_service_", async (dir) => {
      await Deno.writeTextFile(`${dir}/elsewhere.yaml`, "routes: {default: ollama/qwen3-coder}\n");
      const ctx = testContext(dir, { os, standalone: true, execPath: "/usr/local/bin/ccp" });
      const { exec } = fakeExec();
      // systemd fails a unit whose WorkingDirectory= is missing (status 200/CHDIR); so does launchd.
      assert.equal(await runService(ctx, "install", { config: "elsewhere.yaml" }, exec), 0);
      assert.ok((await Deno.stat(`${dir}/xdg/ccp`)).isDirectory, os);
    });
  }
});

Deno.test("an unreachable service manager: the command to run by hand, exit 1, no false report", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const bus = { code: 1, output: "Failed to connect to bus: No medium found" };
    const { exec } = fakeExec({
      "systemctl --user daemon-reload": bus,
      "systemctl --user is-active ccp.service": bus,
      "systemctl --user disable --now ccp.service": bus,
    });
    const ctx = testContext(dir, { os: "linux" });
    assert.equal(await runService(ctx, "install", {}, exec), 1);
    const err = ctx.io.stderr.join("\n");
    assert.match(err, /service manager cannot be reached \(Failed to connect to bus/);
    assert.match(err, /written but not started/);
    assert.match(
      err,
      /Start it by hand .*: systemctl --user daemon-reload && systemctl --user enable --now ccp\.service/,
    );
    assert.doesNotMatch(ctx.io.stdout.join("\n"), /Started/);

    const status = testContext(dir, { os: "linux" });
    assert.equal(await runService(status, "status", {}, exec), 0);
    assert.match(
      status.io.stdout.join("\n"),
      /Installed: .*\nState: unknown: the service manager cannot be reached/,
    );
    assert.match(
      status.io.stdout.join("\n"),
      /\nAsk it by hand where the manager runs: systemctl --user is-active ccp\.service$/,
    );

    const un = testContext(dir, { os: "linux" });
    assert.equal(await runService(un, "uninstall", {}, exec), 1);
    const out = un.io.stdout.join("\n");
    assert.match(out, /Could not stop the service/);
    assert.match(out, /Removed /);
    assert.doesNotMatch(out, /Stopped the service/);

    const win = testContext(dir, { os: "windows" });
    assert.equal(await runCli(["service", "status"], win), 1);
    assert.match(win.io.stderr.join("\n"), /supports Linux \(systemd\) and macOS \(launchd\)/);
    // From a source checkout there is no `ccp` command to run.
    assert.match(win.io.stderr.join("\n"), /Run "deno task start serve" from your own service/);
    const winBinary = testContext(dir, { os: "windows", standalone: true });
    assert.equal(await runCli(["service", "status"], winBinary), 1);
    assert.match(winBinary.io.stderr.join("\n"), /Run "ccp serve" from your own service/);
  });
});

Deno.test("--dry-run prints the unit and the commands and changes nothing; --system", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const ctx = testContext(dir, { os: "linux", standalone: true, execPath: "/usr/local/bin/ccp" });
    assert.equal(
      await runCli(["service", "install", "--dry-run", "--system", "--", "--port", "9000"], ctx),
      0,
    );
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /^# \/etc\/systemd\/system\/ccp\.service/);
    assert.match(out, /ExecStart=\/usr\/local\/bin\/ccp serve --port 9000/);
    assert.match(out, /DynamicUser=yes/);
    assert.match(out, /Environment=CCP_CONFIG=\/etc\/ccp\/config\.yaml/);
    assert.match(out, /WorkingDirectory=\/etc\/ccp/);
    assert.match(out, /WantedBy=multi-user\.target/);
    assert.match(out, /would run: systemctl enable --now ccp\.service/);
    await assert.rejects(() => Deno.stat("/etc/systemd/system/ccp.service"), Deno.errors.NotFound);
    await assert.rejects(() => Deno.stat(`${dir}/xdg/systemd`), Deno.errors.NotFound);
    // (Only a note on /etc/ccp/.env, which depends on this machine's /etc: tested with its own.)
    assert.deepEqual(
      ctx.io.stderr.filter((line) => !line.includes("/etc/ccp/.env")),
      [],
      "the binary's system unit needs no note on what it runs",
    );
    // From a source checkout, the system unit's own user could not run it: the user is told.
    const source = testContext(dir, { os: "linux" });
    assert.equal(await runCli(["service", "install", "--dry-run", "--system"], source), 0);
    assert.match(source.io.stderr.join("\n"), /^Note: a --system service from a source checkout/);
    assert.match(source.io.stderr.join("\n"), /install the binary system-wide \(install\.sh/);
    const user = testContext(dir, { os: "linux" });
    assert.equal(await runCli(["service", "install", "--dry-run"], user), 0);
    assert.deepEqual(user.io.stderr, [], "a user unit from source reads the user's own checkout");
    const bad = testContext(dir, { os: "linux" });
    assert.equal(await runCli(["serve", "--system"], bad), 2);
  });
});

Deno.test("service install lets the unit write the data dir and log directory its config names", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    await Deno.mkdir(`${dir}/xdg/ccp`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/xdg/ccp/config.yaml`,
      `server: { data_dir: ${dir}/ledger, log_file: ${dir}/logs/ccp.log }\n` +
        `providers:\n  local: { type: openai, base_url: "http://127.0.0.1:9/v1" }\n` +
        `routes: { default: local/m }\n`,
    );
    const ctx = testContext(dir, { os: "linux" });
    const { exec } = fakeExec({});
    assert.equal(await runService(ctx, "install", {}, exec), 0);
    const unit = await Deno.readTextFile(`${dir}/xdg/systemd/user/ccp.service`);
    assert.ok(unit.includes(`ReadWritePaths=-${dir}/ledger\n`), unit);
    assert.ok(unit.includes(`ReadWritePaths=-${dir}/logs\n`), unit);
  });
});

Deno.test("service install notes a MODEL set in this shell only, which the service would not see", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const ctx = testContext(dir, { os: "linux" });
    const shell = { ...ctx, env: { ...ctx.env, MODEL: "deepseek/deepseek-chat" } };
    assert.equal(
      await runService(shell, "install", {}, { dryRun: true, exec: fakeExec({}).exec }),
      0,
    );
    assert.match(
      shell.io.stderr.join("\n"),
      new RegExp(
        "^Note: no config file is found, and MODEL is set in this shell only: the service does " +
          "not see this shell's variables and would run on the built-in default \\(local " +
          `Ollama\\)\\. Put it and the provider keys in ${dir}/xdg/ccp/\\.env, or run deno task start ` +
          "init\\.$",
      ),
    );
    // The compiled binary is the `ccp` command.
    const binary = testContext(dir, { os: "linux", standalone: true });
    const binaryShell = { ...binary, env: { ...binary.env, MODEL: "deepseek/deepseek-chat" } };
    assert.equal(
      await runService(binaryShell, "install", {}, { dryRun: true, exec: fakeExec({}).exec }),
      0,
    );
    assert.match(binaryShell.io.stderr.join("\n"), /, or run ccp init\.$/);
    // Written in the config dir's .env, the service reads it: nothing to say.
    await Deno.mkdir(`${dir}/xdg/ccp`, { recursive: true });
    await Deno.writeTextFile(`${dir}/xdg/ccp/.env`, "MODEL=deepseek/deepseek-chat\n");
    const again = { ...testContext(dir, { os: "linux" }), env: shell.env };
    assert.equal(
      await runService(again, "install", {}, { dryRun: true, exec: fakeExec({}).exec }),
      0,
    );
    assert.deepEqual(again.io.stderr, []);
  });
});

Deno.test("service install notes a ${VAR} of the config file set in this shell only", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    await Deno.mkdir(`${dir}/xdg/ccp`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/xdg/ccp/config.yaml`,
      `providers:\n  or: { preset: open_router, api_key: "\${OPENROUTER_API_KEY}" }\n` +
        `  ds: { preset: deepseek, api_key: "\${DEEPSEEK_API_KEY}" }\n` +
        `server: { auth_token: "\${CCP_TOKEN:-x}", data_dir: "\${HOME}/d" }\n` +
        `routes: { default: or/m, haiku: "ds/$\${lit}" }\n`,
    );
    await Deno.writeTextFile(`${dir}/xdg/ccp/.env`, "DEEPSEEK_API_KEY=sk-ds\n");
    const ctx = testContext(dir, { os: "linux", standalone: true });
    // Exported in the shell's profile: the service, started by systemd, never sees them.
    const shell = {
      ...ctx,
      env: { ...ctx.env, OPENROUTER_API_KEY: "sk-or", DEEPSEEK_API_KEY: "sk-ds", CCP_TOKEN: "t" },
    };
    assert.equal(
      await runService(shell, "install", {}, { dryRun: true, exec: fakeExec({}).exec }),
      0,
    );
    assert.match(
      shell.io.stderr.join("\n"),
      new RegExp(
        `^Note: ${dir}/xdg/ccp/config\\.yaml reads OPENROUTER_API_KEY and CCP_TOKEN, set in ` +
          "this shell only: the service does not see this shell's variables and would read " +
          `them as empty \\(or their defaults\\)\\. Put them in ${dir}/xdg/ccp/\\.env\\.$`,
      ),
    );
  });
});

Deno.test("service install reads a relative CCP_CONFIG from where install ran, as the unit does", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    await Deno.mkdir(`${dir}/work`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/work/mine.yaml`,
      `server: { data_dir: ${dir}/ledger }\n` +
        `providers:\n  local: { type: openai, base_url: "http://127.0.0.1:9/v1" }\n` +
        `routes: { default: local/m }\n`,
    );
    const ctx = testContext(dir, { os: "linux", cwd: `${dir}/work` });
    const withConfig = { ...ctx, env: { ...ctx.env, CCP_CONFIG: "mine.yaml" } };
    const { exec } = fakeExec({});
    assert.equal(await runService(withConfig, "install", {}, exec), 0);
    const unit = await Deno.readTextFile(`${dir}/xdg/systemd/user/ccp.service`);
    assert.ok(unit.includes(` serve --config ${dir}/work/mine.yaml`), unit);
    assert.ok(unit.includes(`ReadWritePaths=-${dir}/ledger\n`), unit);
  });
});

Deno.test("systemd unit: an Environment= value keeps a $ single (systemd expands no variables there)", () => {
  const unit = renderSystemdUnit({
    ...SPEC,
    environment: { XDG_CONFIG_HOME: "/home/u/$cfg 100%" },
  });
  assert.ok(unit.includes('Environment="XDG_CONFIG_HOME=/home/u/$cfg 100%%"\n'), unit);
});

Deno.test("service install creates the dirs the user unit may write: systemd skips a missing one", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const ctx = testContext(dir, { os: "linux", standalone: true, execPath: "/usr/local/bin/ccp" });
    const { exec } = fakeExec();
    // A first install, before any ccp ran: with ProtectHome=read-only, a ReadWritePaths=-DIR that
    // does not exist when the service starts stays read-only, and ccp cannot create its ledger.
    assert.equal(await runService(ctx, "install", { dataDir: "ledger" }, exec), 0);
    const unit = await Deno.readTextFile(`${dir}/xdg/systemd/user/ccp.service`);
    assert.ok(unit.includes("ReadWritePaths=-%h/.cache/ccp\n"), unit);
    for (const made of [".local/share/ccp", ".cache/ccp", "ledger"]) {
      assert.ok((await Deno.stat(`${dir}/${made}`)).isDirectory, made);
    }
  });
});

Deno.test("service install over a loaded launchd job waits for its bootout before bootstrap", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const ctx = testContext(dir, {
      os: "darwin",
      standalone: true,
      execPath: "/usr/local/bin/ccp",
    });
    const plist = `${dir}/Library/LaunchAgents/dev.ccp.plist`;
    await Deno.mkdir(`${dir}/Library/LaunchAgents`, { recursive: true });
    await Deno.writeTextFile(plist, "<plist/>\n");
    // launchctl bootout returns while the old job is still going away: a bootstrap then fails.
    const calls: string[] = [];
    let busy = 2;
    const exec: Exec = (command, args) => {
      const line = [command, ...args].join(" ");
      calls.push(line);
      if (line.startsWith("launchctl bootstrap") && busy-- > 0) {
        return Promise.resolve({ code: 5, output: "Bootstrap failed: 5: Input/output error" });
      }
      return Promise.resolve({ code: 0, output: "" });
    };
    assert.equal(await runService(ctx, "install", {}, exec), 0, ctx.io.stderr.join("\n"));
    const uid = Deno.uid();
    assert.deepEqual(calls, [
      `launchctl bootout gui/${uid}/dev.ccp`,
      ...Array(3).fill(`launchctl bootstrap gui/${uid} ${plist}`),
    ]);
    assert.match(ctx.io.stdout.join("\n"), /Updated .*dev\.ccp\.plist\nStarted it/);
  });
});

Deno.test("--system from a binary under /home (install.sh's default): refused, with the way out", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    for (const execPath of ["/home/ann/.local/bin/ccp", "/root/.local/bin/ccp"]) {
      const ctx = testContext(dir, { os: "linux", standalone: true, execPath });
      // Its own user, with ProtectHome=yes, cannot even see the binary: every start fails.
      assert.equal(await runCli(["service", "install", "--dry-run", "--system"], ctx), 1);
      const err = ctx.io.stderr.join("\n");
      assert.ok(err.includes(`${execPath} is under /home or /root`), err);
      assert.match(err, /CCP_INSTALL_DIR=\/usr\/local\/bin/);
      assert.deepEqual(ctx.io.stdout, [], "nothing printed as if it would be written");
    }
    // The note for a source checkout no longer sends the user to install.sh's default place.
    const source = testContext(dir, { os: "linux" });
    assert.equal(await runCli(["service", "install", "--dry-run", "--system"], source), 0);
    assert.match(source.io.stderr.join("\n"), /CCP_INSTALL_DIR=\/usr\/local\/bin/);
  });
});

Deno.test("service install notes CCP_PORT, CCP_AUTH_TOKEN, … set in this shell only", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    await Deno.mkdir(`${dir}/xdg/ccp`, { recursive: true });
    await Deno.writeTextFile(`${dir}/xdg/ccp/.env`, "CCP_LOG_LEVEL=debug\n");
    const base = testContext(dir, { os: "linux", standalone: true });
    // Exported in a shell profile: the service would listen on 8082 without a token, while
    // `ccp code` in that shell looks for it on 9000.
    const env = { ...base.env, CCP_PORT: "9000", CCP_AUTH_TOKEN: "t", CCP_LOG_LEVEL: "debug" };
    const shell = { ...base, env };
    const { exec } = fakeExec({});
    assert.equal(await runService(shell, "install", {}, { dryRun: true, exec }), 0);
    assert.ok(
      shell.io.stderr.join("\n").includes(
        "Note: CCP_PORT and CCP_AUTH_TOKEN are set in this shell only: the service does not see " +
          `this shell's variables and would run without them. Put them in ${dir}/xdg/ccp/.env.`,
      ),
      shell.io.stderr.join("\n"),
    );
    // A serve flag given to install wins over the variable: nothing to note for it.
    const flagged = { ...testContext(dir, { os: "linux", standalone: true }), env };
    assert.equal(await runService(flagged, "install", { port: 9000 }, { dryRun: true, exec }), 0);
    assert.match(flagged.io.stderr.join("\n"), /Note: CCP_AUTH_TOKEN is set in this shell only/);
  });
});

Deno.test("--system: a root-only .env (as ccp init writes it) is named, with how to let the service read it", async () => {
  await inTempDir("ccp_service_", async (dir) => {
    const etc = `${dir}/etc`;
    await Deno.mkdir(`${etc}/ccp`, { recursive: true });
    await Deno.writeTextFile(`${etc}/ccp/.env`, "GROQ_API_KEY=k\n", { mode: 0o600 });
    await Deno.chmod(`${etc}/ccp/.env`, 0o600);
    await Deno.writeTextFile(`${etc}/ccp/config.yaml`, "routes: {}\n", { mode: 0o644 });
    await Deno.chmod(`${etc}/ccp/config.yaml`, 0o644);
    await Deno.writeTextFile(`${etc}/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
    const install = async (system: boolean) => {
      const ctx = testContext(dir, {
        os: "linux",
        standalone: true,
        execPath: "/usr/local/bin/ccp",
      });
      const code = await runService(ctx, "install", {}, { system, dryRun: true, etc });
      assert.equal(code, 0);
      return ctx.io.stderr.join("\n");
    };
    // systemd's dynamic user is none of root's: the service could not read the keys.
    const err = await install(true);
    assert.ok(
      err.includes(`Note: the service cannot read ${etc}/ccp/.env (it runs as a user`),
      err,
    );
    assert.ok(
      err.includes(
        "useradd --system --user-group --home-dir /var/lib/ccp --shell /usr/sbin/nologin ccp && " +
          `chgrp ccp ${etc}/ccp/.env && chmod 640 ${etc}/ccp/.env`,
      ),
      err,
    );
    assert.doesNotMatch(err, /config\.yaml/, "a config.yaml of mode 644 is readable");
    assert.equal(await install(false), "", "a user service runs as the user who owns the file");

    // With a system user ccp (systemd then runs the service as it): its group may read the file.
    await Deno.writeTextFile(`${etc}/passwd`, `ccp:x:64999:${Deno.gid()}::/var/lib/ccp:/x\n`);
    const left = await install(true);
    assert.ok(left.includes("(it runs as the system user ccp)"), left);
    assert.ok(left.includes(`Let the group ccp read it: chgrp ccp ${etc}/ccp/.env &&`), left);
    assert.doesNotMatch(left, /useradd/);
    await Deno.chmod(`${etc}/ccp/.env`, 0o640);
    assert.equal(await install(true), "", "mode 640, group ccp: readable, nothing to say");

    // No .env yet: the keys are still to be written, and the same would happen to them.
    await Deno.remove(`${etc}/ccp/.env`);
    const later = await install(true);
    assert.ok(
      later.includes(
        `when you write the provider keys into ${etc}/ccp/.env (\`ccp init\` makes it mode 600), ` +
          `let the group ccp read it: chgrp ccp ${etc}/ccp/.env && chmod 640 ${etc}/ccp/.env`,
      ),
      later,
    );
    await Deno.writeTextFile(`${etc}/passwd`, "root:x:0:0:root:/root:/bin/sh\n");
    assert.match(await install(true), /give it a system user named ccp, .*: useradd --system /);
  });
});

Deno.test({
  name: "no systemctl at all (a container): install, status and uninstall say so and exit 1",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await inTempDir("ccp_service_", async (dir) => {
      // An empty PATH: no service manager is run, whatever this machine has.
      await Deno.mkdir(`${dir}/bin`);
      const env = childEnv(dir, {
        PATH: `${dir}/bin`,
        HOME: `${dir}/home`,
        DENO_DIR: await denoCacheDir(),
      });
      const ccp = (action: string) => runCcp(["service", action], { cwd: dir, env });
      const unit = `${dir}/xdg/systemd/user/ccp.service`;

      const install = await ccp("install");
      assert.equal(install.code, 1, install.stderr);
      assert.ok(install.stdout.includes(`Wrote ${unit}`), install.stdout);
      assert.match(
        install.stderr,
        /service manager cannot be reached \(systemctl: not found\): the service is written but not started\.\nStart it by hand where the manager runs: systemctl --user daemon-reload && /,
      );
      assert.doesNotMatch(install.stdout, /Started/);

      const status = await ccp("status");
      assert.equal(status.code, 0, status.stderr);
      assert.ok(
        status.stdout.includes(
          `Installed: ${unit}\nState: unknown: the service manager cannot be reached (systemctl: not found)`,
        ),
        status.stdout,
      );

      const uninstall = await ccp("uninstall");
      assert.equal(uninstall.code, 1, uninstall.stderr);
      assert.match(uninstall.stdout, /Could not stop the service: .*systemctl: not found/);
      assert.ok(uninstall.stdout.includes(`Removed ${unit}`), uninstall.stdout);
      assert.match(
        uninstall.stdout,
        /stop it by hand: systemctl --user disable --now ccp\.service/,
      );
      await assert.rejects(() => Deno.stat(unit), Deno.errors.NotFound);

      const gone = await ccp("status");
      assert.equal(gone.code, 1);
      assert.match(gone.stdout, /^Not installed \(no .*ccp\.service\)\nState: unknown/);
    });
  },
});
