import assert from "node:assert/strict";
import { readSettings, writeSettings } from "../../src/cli/claude_settings_files.ts";
import { runSettings } from "../../src/cli/settings.ts";
import { closedPort } from "../helpers/ports.ts";
import { inTempDir, testContext } from "./helpers.ts";

const TOKEN = "ccp-settings-secret-0123";

/** A config with an auth token on a port where nothing answers. */
async function writeConfig(dir: string, port = closedPort()): Promise<string> {
  const path = `${dir}/c.yaml`;
  await Deno.writeTextFile(
    path,
    `server: { port: ${port}, auth_token: ${TOKEN} }
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-provider-key-0123 }
routes:
  default: up/m
`,
  );
  return path;
}

/** Writes `text` as the user's ~/.claude/settings.json under `dir`; returns its path. */
async function userSettings(
  dir: string,
  text: string,
  options?: Deno.WriteFileOptions,
): Promise<string> {
  await Deno.mkdir(`${dir}/.claude`);
  const file = `${dir}/.claude/settings.json`;
  await Deno.writeTextFile(file, text, options);
  return file;
}

async function readJson(path: string): Promise<Record<string, Record<string, unknown>>> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("ccp settings install: merges into ~/.claude/settings.json, backs it up, writes no provider key", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const before = JSON.stringify({ model: "opus", env: { DISABLE_TELEMETRY: "1" } }, null, 2);
    const file = await userSettings(dir, before, { mode: 0o644 });
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "install", { config }), 0);
    const after = await readJson(file);
    assert.equal(after.model as unknown, "opus");
    assert.equal(after.env!.DISABLE_TELEMETRY, "1");
    assert.match(String(after.env!.ANTHROPIC_BASE_URL), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(after.env!.ANTHROPIC_AUTH_TOKEN, TOKEN);
    assert.equal(after.env!.CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY, "1");
    assert.match(String(after.statusLine!.command), / statusline --config .*c\.yaml --host /);
    assert.ok(!(await Deno.readTextFile(file)).includes("sk-up-provider-key"));
    assert.equal(await Deno.readTextFile(`${file}.ccp-backup`), before);
    // It now holds ccp's token: other users lose read access, the owner keeps the rest.
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${file}.ccp-backup`)).mode! & 0o777, 0o600);
    const out = ctx.io.stdout.join("\n");
    assert.match(
      out,
      /holds this ccp's auth token, so other users may no longer read it: its mode was 644, it is now 600/,
    );
    assert.match(out, /this ccp's auth token is written as it stands: whoever can read/);
    assert.match(out, /ccp is not running at .*service install/);
    assert.ok(!out.includes(TOKEN), "the token is never printed");
    // Idempotent: a second run writes nothing.
    const again = testContext(dir);
    assert.equal(await runSettings(again, "install", { config }), 0);
    assert.match(again.io.stdout.join("\n"), /nothing to change/);
  });
});

Deno.test("ccp settings uninstall: gives back the file as it was before install", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const user = { model: "opus", env: { CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1" } };
    const file = await userSettings(dir, JSON.stringify(user));
    assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "uninstall", { config }), 0);
    assert.deepEqual(await readJson(file), user);
    assert.match(ctx.io.stdout.join("\n"), /removed env\.ANTHROPIC_BASE_URL/);
    assert.doesNotMatch(ctx.io.stdout.join("\n"), /set by hand/);
  });
});

Deno.test("ccp settings uninstall: says it leaves an ANTHROPIC_BASE_URL the user set, and where it points", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const user = { env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:3456" } };
    const file = await userSettings(dir, JSON.stringify(user));
    // Install keeps the user's address (and says so); uninstall takes out only what ccp wrote.
    assert.equal(await runSettings(testContext(dir), "install", { config }), 1);
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "uninstall", { config }), 0);
    assert.deepEqual(await readJson(file), user);
    const out = ctx.io.stdout.join("\n");
    assert.match(
      out,
      /left env\.ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:3456: set by hand, not by ccp, so ccp leaves it; Claude Code still sends its requests there/,
    );
    assert.ok(!out.includes(TOKEN));
    // A file ccp never touched says so too: nothing to change, yet Claude Code goes there.
    const again = testContext(dir);
    assert.equal(await runSettings(again, "uninstall", { config }), 0);
    assert.match(again.io.stdout.join("\n"), /nothing to change[^]*left env\.ANTHROPIC_BASE_URL=/);
  });
});

Deno.test("ccp settings uninstall: says it leaves a token the user set, its value masked", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const handToken = "sk-hand-set-gateway-token-9876";
    const handKey = "sk-ant-api03-hand-set-key-5432";
    const user = { env: { ANTHROPIC_AUTH_TOKEN: handToken, ANTHROPIC_API_KEY: handKey } };
    const file = await userSettings(dir, JSON.stringify(user));
    // Install keeps the user's token (and says so); uninstall takes out only what ccp wrote.
    assert.equal(await runSettings(testContext(dir), "install", { config }), 1);
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "uninstall", { config }), 0);
    assert.deepEqual(await readJson(file), user);
    const out = ctx.io.stdout.join("\n");
    assert.match(
      out,
      /left env\.ANTHROPIC_AUTH_TOKEN=…9876: set by hand, not by ccp, so ccp leaves it; Claude Code still sends it with its requests/,
    );
    assert.match(out, /left env\.ANTHROPIC_API_KEY=…5432: set by hand, not by ccp/);
    for (const secret of [handToken, handKey, TOKEN]) assert.ok(!out.includes(secret), out);
    // Nothing for ccp to remove, and still said.
    const again = testContext(dir);
    assert.equal(await runSettings(again, "uninstall", { config }), 0);
    assert.match(
      again.io.stdout.join("\n"),
      /nothing to change[^]*left env\.ANTHROPIC_AUTH_TOKEN=…9876/,
    );
  });
});

Deno.test("ccp settings: a short token is shown as <token> where it is written, and ccp's own words stay whole", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    // A token of three letters that are also ccp's name: masking it as text took "ccp" out of
    // every line ("not by <token>", "<token> statusline").
    const config = `${dir}/c.yaml`;
    await Deno.writeTextFile(
      config,
      `server: { port: ${closedPort()}, auth_token: ccp }\nproviders:\n  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-provider-key-0123 }\nroutes:\n  default: up/m\n`,
    );
    await Deno.mkdir(`${dir}/.claude`);
    const file = `${dir}/.claude/settings.json`;
    const user = { env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:3456" } };
    await Deno.writeTextFile(file, JSON.stringify(user));
    const dry = testContext(dir);
    assert.equal(await runSettings(dry, "install", { config }, { dryRun: true }), 1);
    const planned = dry.io.stdout.join("\n");
    assert.match(planned, /would add env\.ANTHROPIC_AUTH_TOKEN: <token>$/m);
    assert.match(planned, /would add statusLine: ccp statusline$/m);
    assert.match(planned, /"ANTHROPIC_AUTH_TOKEN": "<token>"/);
    assert.doesNotMatch(planned, /"ANTHROPIC_AUTH_TOKEN": "ccp"/);
    assert.match(planned, /change or remove it by hand for ccp's to apply/);
    assert.equal(await runSettings(testContext(dir), "install", { config }), 1);
    assert.equal((await readJson(file)).env!.ANTHROPIC_AUTH_TOKEN, "ccp");
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "uninstall", { config }), 0);
    assert.deepEqual(await readJson(file), user);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /set by hand, not by ccp, so ccp leaves it/);
    assert.doesNotMatch(out, /<token>/);
  });
});

Deno.test("ccp settings install: without an auth token to write, a file keeps its mode", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = `${dir}/c.yaml`;
    await Deno.writeTextFile(
      config,
      `server: { port: ${closedPort()} }\nproviders:\n  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-provider-key-0123 }\nroutes:\n  default: up/m\n`,
    );
    const file = await userSettings(dir, "{}", { mode: 0o644 });
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "install", { config }), 0);
    assert.equal((await readJson(file)).env!.ANTHROPIC_AUTH_TOKEN, "ccp");
    // Said as the placeholder it is, not as something to fix.
    assert.match(
      ctx.io.stdout.join("\n"),
      /ANTHROPIC_AUTH_TOKEN is "ccp", a stand-in: this ccp has no auth token and takes any, but Claude Code needs one to skip its login/,
    );
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o644);
    assert.doesNotMatch(ctx.io.stdout.join("\n"), /other users may no longer read it/);
  });
});

// Run as root (sudo keeping HOME) in a user's directory, ccp wrote (and chowned to the user)
// whatever that user's link at the backup's place pointed to: any file of root's.
Deno.test({
  name: "ccp settings install as root: another user's file is refused, and no link of theirs " +
    "is followed",
  ignore: Deno.build.os === "windows" || Deno.uid() !== 0,
  fn: async () => {
    await inTempDir("ccp-settings-", async (dir) => {
      const config = await writeConfig(dir);
      const file = await userSettings(dir, "{}", { mode: 0o644 });
      const victim = `${dir}/root-only`;
      await Deno.writeTextFile(victim, "root's\n", { mode: 0o600 });
      await Deno.symlink(victim, `${file}.ccp-backup`);
      await Deno.chown(`${dir}/.claude`, 65534, 65534);
      await Deno.chown(file, 65534, 65534);
      await assert.rejects(
        () => runSettings(testContext(dir), "install", { config }),
        /settings\.json belongs to user 65534, and ccp runs as root .*Run the command as that user, without sudo; ccp changed nothing/,
      );
      const stat = await Deno.stat(victim);
      assert.deepEqual([stat.uid, stat.mode! & 0o777], [0, 0o600]);
      assert.equal(await Deno.readTextFile(victim), "root's\n");
      assert.equal(await Deno.readTextFile(file), "{}");
      // A directory of the user's with no settings file yet is theirs to write in too.
      await Deno.remove(file);
      await assert.rejects(
        () => runSettings(testContext(dir), "install", { config }),
        /\.claude belongs to user 65534/,
      );
      assert.equal(await Deno.lstat(file).catch(() => undefined), undefined);
      // A directory of root's in the user's home is no safer (the user may move it away), nor a
      // link of theirs to a file of root's, written through by design for a dotfile manager.
      await Deno.chown(`${dir}/.claude`, 0, 0);
      await Deno.chown(dir, 65534, 65534);
      await Deno.writeTextFile(victim, "{}");
      await Deno.symlink(victim, file);
      await assert.rejects(
        () => runSettings(testContext(dir), "install", { config }),
        /ccp-settings-[^/]+ belongs to user 65534/,
      );
      assert.equal(await Deno.readTextFile(victim), "{}");
    });
  },
});

Deno.test("ccp settings install: a link at the backup's place is replaced, never written through", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const file = await userSettings(dir, '{"model":"opus"}', { mode: 0o600 });
    const victim = `${dir}/elsewhere`;
    await Deno.writeTextFile(victim, "not a backup\n", { mode: 0o644 });
    await Deno.symlink(victim, `${file}.ccp-backup`);
    assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
    assert.equal(await Deno.readTextFile(victim), "not a backup\n");
    assert.equal((await Deno.stat(victim)).mode! & 0o777, 0o644);
    const backup = await Deno.lstat(`${file}.ccp-backup`);
    assert.ok(backup.isFile);
    assert.equal(backup.mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(`${file}.ccp-backup`), '{"model":"opus"}');
    // No temporary file is left beside it.
    const names = [...Deno.readDirSync(`${dir}/.claude`)].map((e) => e.name).sort();
    assert.deepEqual(names, ["settings.json", "settings.json.ccp-backup"]);
  });
});

Deno.test("ccp settings: a file another program wrote after ccp read it is left as that program wrote it", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const file = await userSettings(dir, '{"model":"opus"}');
    const before = await readSettings(file);
    // Claude Code (or an editor) writes the file between ccp's read and its rename.
    await Deno.writeTextFile(file, '{"model":"sonnet"}');
    await assert.rejects(
      () => writeSettings(file, { model: "opus", env: { A: "1" } }, before),
      /changed it since ccp read it; run this again .*ccp changed nothing in it/,
    );
    assert.equal(await Deno.readTextFile(file), '{"model":"sonnet"}');
    // Nor may a file made meanwhile where there was none be written over.
    await Deno.remove(file);
    const absent = await readSettings(file);
    await Deno.writeTextFile(file, "{}");
    await assert.rejects(() => writeSettings(file, { env: { A: "1" } }, absent), /changed it/);
    assert.equal(await Deno.readTextFile(file), "{}");
  });
});

Deno.test("ccp settings install: a new file is for its owner alone; through a symlink, the target is written", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
    const file = `${dir}/.claude/settings.json`;
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    // A dotfile manager's link stays a link.
    await Deno.mkdir(`${dir}/dotfiles`);
    await Deno.rename(file, `${dir}/dotfiles/settings.json`);
    await Deno.symlink(`${dir}/dotfiles/settings.json`, file);
    assert.equal(await runSettings(testContext(dir), "uninstall", { config }), 0);
    assert.ok((await Deno.lstat(file)).isSymlink);
    assert.deepEqual(await readJson(`${dir}/dotfiles/settings.json`), {});
  });
});

Deno.test("ccp settings install: a file that is not JSON is left as it is", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const file = await userSettings(dir, '{ "model": "opus", }');
    await assert.rejects(
      () => runSettings(testContext(dir), "install", { config }),
      /settings\.json is not valid JSON .*ccp changes nothing/,
    );
    assert.equal(await Deno.readTextFile(file), '{ "model": "opus", }');
  });
});

Deno.test("ccp settings install --dry-run changes nothing and masks the token", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "install", { config }, { dryRun: true }), 0);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /would add env\.ANTHROPIC_BASE_URL/);
    assert.match(out, /"ANTHROPIC_AUTH_TOKEN": "<token>"/);
    assert.ok(!out.includes(TOKEN));
    // Nor its checksum (FNV-1a, 32 bits: a short token is found from it by trying); the others stay.
    assert.match(out, /"CCP_WROTE": "ANTHROPIC_AUTH_TOKEN:<token> ANTHROPIC_BASE_URL:[0-9a-f]{8} /);
    await assert.rejects(() => Deno.stat(`${dir}/.claude`), Deno.errors.NotFound);
  });
});

Deno.test("ccp settings install --project writes the project's settings.local.json", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    await Deno.mkdir(`${dir}/work`);
    const ctx = testContext(dir, { cwd: `${dir}/work` });
    assert.equal(await runSettings(ctx, "install", { config }, { project: true }), 0);
    const local = await readJson(`${dir}/work/.claude/settings.local.json`);
    assert.equal(local.env!.ANTHROPIC_AUTH_TOKEN, TOKEN);
    await assert.rejects(() => Deno.stat(`${dir}/.claude/settings.json`), Deno.errors.NotFound);
  });
});

Deno.test("ccp settings status: which file sets the address, and whether it is this ccp's", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const none = testContext(dir);
    assert.equal(await runSettings(none, "status", { config }), 1);
    assert.match(none.io.stdout.join("\n"), /Claude Code goes to Anthropic/);
    assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
    const installed = testContext(dir);
    assert.equal(await runSettings(installed, "status", { config }), 0);
    const out = installed.io.stdout.join("\n");
    assert.match(
      out,
      /user: .*settings\.json: ANTHROPIC_BASE_URL=.*written by ccp settings install/,
    );
    assert.match(out, /Claude Code goes to this ccp/);
    // Started in the home directory, the project's .claude/settings.json is the user's file.
    assert.equal(out.match(/\.claude\/settings\.json:/g)?.length, 1, out);
    assert.match(out, /ccp is not running/);
    // A project's local file outranks the user's.
    await Deno.mkdir(`${dir}/.claude`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/.claude/settings.local.json`,
      JSON.stringify({ env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:3456" } }),
    );
    const shadowed = testContext(dir);
    assert.equal(await runSettings(shadowed, "status", { config }), 1);
    assert.match(
      shadowed.io.stdout.join("\n"),
      /goes to http:\/\/127\.0\.0\.1:3456 \(from .*settings\.local\.json\), not to this ccp/,
    );
  });
});

Deno.test("ccp settings status beside another program on ccp's port says so, and what to do", async () => {
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("<html>a dev server</html>", { headers: { "content-type": "text/html" } }),
  );
  try {
    await inTempDir("ccp-settings-", async (dir) => {
      const config = await writeConfig(dir, other.addr.port);
      assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
      const status = testContext(dir);
      await runSettings(status, "status", { config });
      assert.match(
        status.io.stdout.join("\n"),
        new RegExp(
          `^something else is using http://127\\.0\\.0\\.1:${other.addr.port} \\(not a ccp\\), ` +
            "and Claude Code would send its requests to it: stop that program, or choose another " +
            "port for ccp with --port N or CCP_PORT and run `deno task start settings install` " +
            "with it$",
          "m",
        ),
      );
    });
  } finally {
    await other.shutdown();
  }
});

Deno.test("ccp settings install: the user's own address is kept, and the exit code says Claude Code will not reach ccp", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const file = await userSettings(
      dir,
      JSON.stringify({ env: { ANTHROPIC_BASE_URL: "http://x:1" } }),
    );
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "install", { config }), 1);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /kept your env\.ANTHROPIC_BASE_URL \(ccp would write http:/);
    assert.match(out, /Claude Code will not reach this ccp/);
    assert.equal((await readJson(file)).env!.ANTHROPIC_BASE_URL, "http://x:1");
  });
});

Deno.test("ccp settings install with an auth: passthrough provider keeps Claude Code's login, as ccp code does", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = `${dir}/plan.yaml`;
    await Deno.writeTextFile(
      config,
      `server: { port: ${closedPort()}, auth_token: ${TOKEN} }
providers:
  claude: { preset: anthropic, auth: passthrough, base_url: "http://127.0.0.1:9" }
routes:
  default: claude/claude-sonnet-4-5
`,
    );
    await Deno.mkdir(`${dir}/.claude`);
    await Deno.writeTextFile(
      `${dir}/.claude/.credentials.json`,
      JSON.stringify({
        claudeAiOauth: { accessToken: "sk-ant-oat01-login-abcdef", scopes: ["user:inference"] },
      }),
    );
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "install", { config }), 0);
    const env = (await readJson(`${dir}/.claude/settings.json`)).env!;
    assert.equal(env.ANTHROPIC_AUTH_TOKEN, undefined, "a token would replace the login");
    assert.equal(env.ANTHROPIC_CUSTOM_HEADERS, `x-api-key: ${TOKEN}`);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /keeps its Claude login \(found in .*\.credentials\.json\)/);
    assert.match(out, /added env\.ANTHROPIC_CUSTOM_HEADERS: x-api-key: <token>/);
    assert.ok(!out.includes(TOKEN) && !out.includes("sk-ant-oat01"), out);
  });
});

Deno.test("ccp settings install --dry-run masks a token that JSON escapes", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const token = 'tok"en\\secret-0123';
    const config = `${dir}/c.yaml`;
    await Deno.writeTextFile(
      config,
      `server: { port: ${closedPort()}, auth_token: 'tok"en\\secret-0123' }
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-up-provider-key-0123 }
routes:
  default: up/m
`,
    );
    const ctx = testContext(dir);
    assert.equal(await runSettings(ctx, "install", { config }, { dryRun: true }), 0);
    const out = ctx.io.stdout.join("\n");
    assert.match(out, /"ANTHROPIC_AUTH_TOKEN": "<token>"/);
    assert.ok(!out.includes("secret-0123"), "neither the token nor its escaped form is printed");
    // Written, it is the token as it stands.
    assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
    assert.equal((await readJson(`${dir}/.claude/settings.json`)).env!.ANTHROPIC_AUTH_TOKEN, token);
  });
});

Deno.test("ccp settings install: a dangling symlink is written through, and stays a link", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    await Deno.mkdir(`${dir}/.claude`);
    await Deno.mkdir(`${dir}/dotfiles`);
    const file = `${dir}/.claude/settings.json`;
    await Deno.symlink("../dotfiles/settings.json", file);
    assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
    assert.ok((await Deno.lstat(file)).isSymlink, "the link is not replaced by a file");
    const written = await readJson(`${dir}/dotfiles/settings.json`);
    assert.equal(written.env!.ANTHROPIC_AUTH_TOKEN, TOKEN);
    assert.equal((await Deno.stat(`${dir}/dotfiles/settings.json`)).mode! & 0o777, 0o600);
  });
});

Deno.test("ccp settings install: a backup that cannot be written is a named error, and the file is left as it was", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    const file = await userSettings(dir, '{"model":"opus"}');
    // Something else holds the backup's name (running as root, a read-only directory would not
    // stop the write).
    await Deno.mkdir(`${file}.ccp-backup`);
    await assert.rejects(
      () => runSettings(testContext(dir), "install", { config }),
      (err: Error) => {
        assert.equal(err.name, "CliError");
        assert.match(
          err.message,
          /cannot write .*settings\.json \(or its backup .*ccp changed nothing/,
        );
        return true;
      },
    );
    assert.equal(await Deno.readTextFile(file), '{"model":"opus"}');
    assert.deepEqual([...Deno.readDirSync(`${dir}/.claude`)].map((e) => e.name).sort(), [
      "settings.json",
      "settings.json.ccp-backup",
    ]);
  });
});

Deno.test("ccp settings install: the first backup is kept; a later change backs up beside it", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const original = JSON.stringify({ model: "opus" });
    const file = await userSettings(dir, original);
    const first = testContext(dir);
    assert.equal(await runSettings(first, "install", { config: await writeConfig(dir) }), 0);
    assert.match(
      first.io.stdout.join("\n"),
      /your file before ccp changed it: .*settings\.json\.ccp-backup\)/,
    );
    const installed = await Deno.readTextFile(file);
    // The port changed: a second install rewrites the address.
    const second = testContext(dir);
    assert.equal(await runSettings(second, "install", { config: await writeConfig(dir) }), 0);
    assert.equal(
      await Deno.readTextFile(`${file}.ccp-backup`),
      original,
      "the user's file is lost",
    );
    assert.equal(await Deno.readTextFile(`${file}.ccp-backup.latest`), installed);
    assert.match(
      second.io.stdout.join("\n"),
      /before this change: .*\.ccp-backup\.latest; before ccp first changed it: .*\.ccp-backup\)/,
    );
  });
});

Deno.test("ccp settings status: a value edited by hand is told from a stale one ccp wrote", async () => {
  await inTempDir("ccp-settings-", async (dir) => {
    const config = await writeConfig(dir);
    assert.equal(await runSettings(testContext(dir), "install", { config }), 0);
    const file = `${dir}/.claude/settings.json`;
    // Another port in the config: what ccp wrote is stale.
    const moved = await writeConfig(dir);
    const stale = testContext(dir);
    assert.equal(await runSettings(stale, "status", { config: moved }), 1);
    const staleOut = stale.io.stdout.join("\n");
    assert.match(
      staleOut,
      /ANTHROPIC_BASE_URL=\S+ \(written by ccp settings install for another config: stale\)/,
    );
    assert.match(
      staleOut,
      /stale, as ccp wrote them for another config: env\.ANTHROPIC_BASE_URL, statusLine/,
    );
    assert.ok(!/edited by hand/.test(staleOut), staleOut);
    // Edited by hand: said so, and not called stale.
    const json = await readJson(file);
    json.env!.ANTHROPIC_BASE_URL = "http://10.0.0.5:8082";
    await Deno.writeTextFile(file, JSON.stringify(json));
    const edited = testContext(dir);
    assert.equal(await runSettings(edited, "status", { config }), 1);
    const editedOut = edited.io.stdout.join("\n");
    assert.match(
      editedOut,
      /ANTHROPIC_BASE_URL=http:\/\/10\.0\.0\.5:8082 \(written by ccp settings install, then edited by hand\)/,
    );
    assert.match(editedOut, /edited by hand since ccp wrote them: env\.ANTHROPIC_BASE_URL /);
    // (The status line still reads as stale: the config's port moved.)
    assert.ok(!/stale, [^\n]*env\.ANTHROPIC_BASE_URL/.test(editedOut), editedOut);
    assert.ok(!/BASE_URL=\S+ \(written[^\n]*stale\)/.test(editedOut), editedOut);
    assert.ok(!editedOut.includes(TOKEN), "the token is never printed");
  });
});
