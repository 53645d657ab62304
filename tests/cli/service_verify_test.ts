/**
 * The unit files `ccp service install` writes, read by systemd's own parser (`systemd-analyze
 * verify`), and the launchd plist read as a property list (python3's plistlib). Neither needs a
 * running service manager; each test is skipped, saying why, where its tool is missing.
 */

import assert from "node:assert/strict";
import { runs } from "../helpers/programs.ts";
import { runCli } from "../../src/cli/run.ts";
import { testContext } from "./helpers.ts";

const ANALYZE = Deno.build.os === "linux" && await runs("systemd-analyze", ["--version"]);
const PLISTLIB = await runs("python3", ["-c", "import plistlib"]);

/** The file `ccp service install --dry-run` prints, as install would write it. */
async function dryRun(
  dir: string,
  args: string[],
  over: Parameters<typeof testContext>[1] = {},
): Promise<{ path: string; text: string; err: string }> {
  const ctx = testContext(dir, over);
  assert.equal(await runCli(["service", "install", "--dry-run", ...args], ctx), 0);
  const out = ctx.io.stdout.join("\n");
  const match = /^# (\S+)\n([^]*?)\n\nwould run: /.exec(out);
  assert.ok(match, out);
  return { path: match[1]!, text: `${match[2]!}\n`, err: ctx.io.stderr.join("\n") };
}

/** systemd-analyze's complaints about `unit`, written as `ccp.service` in a directory of its own. */
async function verify(dir: string, unit: string, user: boolean): Promise<string[]> {
  const units = await Deno.makeTempDir({ dir, prefix: "units_" });
  const file = `${units}/ccp.service`;
  await Deno.writeTextFile(file, unit);
  // A user manager's settings are read from its runtime dir, which a test machine may lack.
  const runtime = await Deno.makeTempDir({ dir, prefix: "run_" });
  await Deno.chmod(runtime, 0o700);
  const out = await new Deno.Command("systemd-analyze", {
    args: [...(user ? ["--user"] : []), "--man=no", "verify", file],
    env: { XDG_RUNTIME_DIR: runtime, HOME: dir, SYSTEMD_LOG_COLOR: "0" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  // Other units on the machine may draw warnings of their own: only ccp's count.
  const ours = text.split("\n").filter((line) =>
    line.includes(file) || /\bccp\.service\b/.test(line)
  );
  if (!out.success && ours.length === 0) ours.push(`exit ${out.code}: ${text.trim()}`);
  return ours;
}

Deno.test({
  name: ANALYZE
    ? "systemd-analyze verify accepts the user and the --system unit, quoting included"
    : "systemd-analyze verify of the units: skipped, no systemd-analyze on this machine",
  ignore: !ANALYZE,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_verify_" });
    try {
      // Paths with a space, a quote and a %: each must stay one word to systemd.
      const data = `${dir}/my data/100%`;
      const log = `${dir}/it's/ccp.log`;
      const user = await dryRun(dir, ["--", "--data-dir", data, "--log-file", log]);
      assert.match(user.path, /systemd\/user\/ccp\.service$/);
      assert.deepEqual(await verify(dir, user.text, true), []);

      // The --system unit from a binary outside /home, as README says to install it.
      const bin = `${dir}/bin/ccp`;
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(bin, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const system = await dryRun(dir, ["--system", "--", "--port", "9000"], {
        standalone: true,
        execPath: bin,
      });
      assert.equal(system.path, "/etc/systemd/system/ccp.service");
      assert.deepEqual(await verify(dir, system.text, false), []);

      // The check itself: a setting systemd does not know is reported.
      const broken = system.text.replace("ProtectHome=yes", "ProtectHome=perhaps");
      assert.match((await verify(dir, broken, false)).join("\n"), /ProtectHome|protect home/i);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("the user unit leaves PrivateUsers= to the user manager: set, it stops the service where no user namespace is allowed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_verify_" });
  try {
    // A user manager sandboxes (ProtectSystem=, ProtectHome=, ReadWritePaths=) inside a user
    // namespace it creates itself, and runs the service without one where the system forbids
    // them (Ubuntu 24.04's AppArmor default, kernels without unprivileged user namespaces); an
    // explicit PrivateUsers=yes turns that into a failure at every start (status 217/USER).
    const user = await dryRun(dir, []);
    assert.doesNotMatch(user.text, /^PrivateUsers=/m, user.text);
    assert.match(user.text, /^ProtectSystem=strict$/m);
    assert.match(user.text, /^NoNewPrivileges=yes$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the --system unit: its own user, writable state and cache dirs, and ccp told where they are", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_verify_" });
  try {
    const { text } = await dryRun(dir, ["--system"], {
      standalone: true,
      execPath: "/usr/local/bin/ccp",
    });
    for (
      const line of [
        "DynamicUser=yes",
        "StateDirectory=ccp",
        "Environment=XDG_DATA_HOME=/var/lib",
        // The config's parsed tree is kept to start faster; a dynamic user's home is `/`.
        "CacheDirectory=ccp",
        "Environment=XDG_CACHE_HOME=/var/cache",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "WorkingDirectory=/etc/ccp",
        "Environment=CCP_CONFIG=/etc/ccp/config.yaml",
      ]
    ) assert.ok(text.includes(`\n${line}\n`), `${line}\n${text}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Whether systemd-analyze can score a unit file that is not installed (`security --offline`). */
const OFFLINE_SECURITY = ANALYZE && await (async () => {
  const out = await new Deno.Command("systemd-analyze", { args: ["--help"], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).includes("--offline");
})();

Deno.test({
  name: OFFLINE_SECURITY
    ? "the --system unit keeps the kernel, namespaces and other ABIs out of reach (systemd-analyze security)"
    : "systemd-analyze security of the --system unit: skipped, this systemd-analyze cannot read a unit file offline",
  ignore: !OFFLINE_SECURITY,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_verify_" });
    try {
      const bin = `${dir}/bin/ccp`;
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(bin, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
      const { text } = await dryRun(dir, ["--system"], { standalone: true, execPath: bin });
      await Deno.mkdir(`${dir}/units`);
      await Deno.writeTextFile(`${dir}/units/ccp.service`, text);
      const out = await new Deno.Command("systemd-analyze", {
        args: ["security", "--offline=yes", "--no-pager", `${dir}/units/ccp.service`],
        env: { SYSTEMD_LOG_COLOR: "0", SYSTEMD_COLORS: "0" },
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(30_000),
      }).output();
      const report = new TextDecoder().decode(out.stdout);
      // A setting in force is ticked (✓, or + where the locale has no such glyph).
      const passed = (setting: string) => new RegExp(`^[✓+] ${setting}=`, "m");
      for (
        const setting of [
          "ProtectKernelTunables",
          "ProtectKernelModules",
          "ProtectKernelLogs",
          "ProtectControlGroups",
          "ProtectHostname",
          "LockPersonality",
          "RestrictRealtime",
          "SystemCallArchitectures",
        ]
      ) assert.match(report, passed(setting), `${setting}:\n${report}`);
      // Each kind of namespace, one line each.
      assert.doesNotMatch(report, /^[✗-] RestrictNamespaces=/m, report);
      const exposure = /Overall exposure level for ccp\.service: (\d+\.\d+)/.exec(report);
      assert.ok(exposure, report);
      // 8.3 without these settings; DynamicUser=, ProtectSystem= and the rest make the remainder.
      assert.ok(Number(exposure[1]) <= 6.5, report);
      // V8 writes the code it compiles into memory it then runs: this would stop ccp at start.
      assert.doesNotMatch(text, /MemoryDenyWriteExecute=yes/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: PLISTLIB
    ? "the launchd plist is a property list launchd can load: arguments, keep-alive, logs, environment"
    : "the launchd plist parsed by plistlib: skipped, no python3 on this machine",
  ignore: !PLISTLIB,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_verify_" });
    try {
      const { path, text } = await dryRun(dir, ["--", "--config", "a&b <c>.yaml"], {
        os: "darwin",
        standalone: true,
        execPath: "/usr/local/bin/ccp",
        env: { XDG_CONFIG_HOME: `${dir}/x"dg`, XDG_DATA_HOME: `${dir}/data` },
      });
      assert.equal(path, `${dir}/Library/LaunchAgents/dev.ccp.plist`);
      const out = await new Deno.Command("python3", {
        args: [
          "-c",
          "import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = out.stdin.getWriter();
      await writer.write(new TextEncoder().encode(text));
      await writer.close();
      const result = await out.output();
      assert.ok(result.success, new TextDecoder().decode(result.stderr));
      const plist = JSON.parse(new TextDecoder().decode(result.stdout));
      assert.deepEqual(plist, {
        Label: "dev.ccp",
        ProgramArguments: ["/usr/local/bin/ccp", "serve", "--config", `${dir}/a&b <c>.yaml`],
        WorkingDirectory: `${dir}/x"dg/ccp`,
        EnvironmentVariables: { XDG_CONFIG_HOME: `${dir}/x"dg`, XDG_DATA_HOME: `${dir}/data` },
        RunAtLoad: true,
        // Restarted when it fails, not after a clean stop (`launchctl kill`, a SIGTERM drain).
        KeepAlive: { SuccessfulExit: false },
        ThrottleInterval: 10,
        StandardOutPath: `${dir}/Library/Logs/ccp.log`,
        StandardErrorPath: `${dir}/Library/Logs/ccp.log`,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
