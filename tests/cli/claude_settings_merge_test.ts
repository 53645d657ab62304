import assert from "node:assert/strict";
import {
  type CcpSettings,
  installSettings,
  keyStanding,
  uninstallSettings,
  WROTE_VARIABLE,
} from "../../src/cli/claude_settings_merge.ts";

const LINE = { type: "command", command: "/usr/bin/ccp statusline --port 8082", padding: 0 };
const OURS: CcpSettings = {
  env: {
    ANTHROPIC_BASE_URL: "http://127.0.0.1:8082",
    ANTHROPIC_AUTH_TOKEN: "ccp",
    CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1",
  },
  statusLine: LINE,
};

/** The names the marker of `settings` lists, without their checksums. */
const marked = (settings: Record<string, unknown>) =>
  String((settings.env as Record<string, string>)[WROTE_VARIABLE]).split(" ")
    .map((word) => word.replace(/:[0-9a-f]{8}$/, "")).join(" ");

const kinds = (result: { changes: readonly { key: string; kind: string }[] }) =>
  Object.fromEntries(result.changes.map((c) => [c.key, c.kind]));

Deno.test("claude settings: install adds ccp's keys and keeps every other key in its place", () => {
  const user = {
    model: "opus",
    env: { DISABLE_TELEMETRY: "1" },
    permissions: { allow: ["Bash(ls)"] },
  };
  const result = installSettings(user, OURS);
  assert.ok(result.changed);
  assert.deepEqual(Object.keys(result.next), ["model", "env", "permissions", "statusLine"]);
  assert.equal(result.next.model, "opus");
  assert.deepEqual(result.next.permissions, { allow: ["Bash(ls)"] });
  const { [WROTE_VARIABLE]: _marker, ...env } = result.next.env as Record<string, string>;
  assert.deepEqual(env, { DISABLE_TELEMETRY: "1", ...OURS.env });
  assert.equal(
    marked(result.next),
    "ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY statusLine",
  );
  assert.deepEqual(result.next.statusLine, LINE);
  assert.deepEqual(user.env, { DISABLE_TELEMETRY: "1" }, "the input is not mutated");
});

Deno.test("claude settings: a second install changes nothing", () => {
  const once = installSettings({}, OURS).next;
  const twice = installSettings(once, OURS);
  assert.equal(twice.changed, false);
  assert.deepEqual(twice.next, once);
  assert.ok(twice.changes.every((c) => c.kind === "unchanged"));
});

Deno.test("claude settings: a value the user set differently is kept and named, never replaced", () => {
  const user = {
    env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:3456" },
    statusLine: { type: "command", command: "my-line" },
  };
  const result = installSettings(user, OURS);
  assert.equal(kinds(result)["env.ANTHROPIC_BASE_URL"], "kept-yours");
  assert.equal(kinds(result)["statusLine"], "kept-yours");
  assert.equal(
    (result.next.env as Record<string, string>).ANTHROPIC_BASE_URL,
    user.env.ANTHROPIC_BASE_URL,
  );
  assert.deepEqual(result.next.statusLine, user.statusLine);
  assert.ok(!(result.next.env as Record<string, string>)[WROTE_VARIABLE]?.includes("BASE_URL"));
});

Deno.test("claude settings: install brings up to date what ccp wrote before (a new port)", () => {
  const before = installSettings({}, OURS).next;
  const moved = { ...OURS, env: { ...OURS.env, ANTHROPIC_BASE_URL: "http://127.0.0.1:9000" } };
  const result = installSettings(before, moved);
  assert.equal(kinds(result)["env.ANTHROPIC_BASE_URL"], "updated");
  assert.equal(
    (result.next.env as Record<string, string>).ANTHROPIC_BASE_URL,
    "http://127.0.0.1:9000",
  );
});

Deno.test("claude settings: uninstall takes out what ccp wrote and nothing the user had", () => {
  const user = {
    model: "opus",
    env: { DISABLE_TELEMETRY: "1", CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1" },
  };
  const installed = installSettings(user, OURS).next;
  const result = uninstallSettings(installed, OURS);
  assert.deepEqual(result.next, user);
  assert.deepEqual(kinds(result), {
    "env.ANTHROPIC_AUTH_TOKEN": "removed",
    "env.ANTHROPIC_BASE_URL": "removed",
    statusLine: "removed",
  });
});

Deno.test("claude settings: uninstall drops an env block ccp created, and is idempotent", () => {
  const installed = installSettings({ model: "opus" }, OURS).next;
  const once = uninstallSettings(installed, OURS);
  assert.deepEqual(once.next, { model: "opus" });
  const twice = uninstallSettings(once.next, OURS);
  assert.equal(twice.changed, false);
  assert.deepEqual(twice.changes, []);
});

Deno.test("claude settings: uninstall leaves a status line the user has since replaced", () => {
  const installed = installSettings({}, OURS).next;
  const edited = { ...installed, statusLine: { type: "command", command: "starship prompt" } };
  const result = uninstallSettings(edited, OURS);
  assert.equal(kinds(result)["statusLine"], "left-yours");
  assert.deepEqual(result.next.statusLine, edited.statusLine);
  assert.equal(
    (result.next.env as Record<string, string> | undefined)?.[WROTE_VARIABLE],
    undefined,
  );
});

Deno.test("claude settings: an env block that is not an object of strings is refused", () => {
  assert.throws(() => installSettings({ env: ["A=1"] }, OURS), /"env" is not an object/);
  assert.throws(() => installSettings({ env: { A: 1 } }, OURS), /"env.A" is not a string/);
});

Deno.test("claude settings: install again takes out what ccp wrote before and no longer gives, and nothing of the user's", () => {
  const withWindow: CcpSettings = {
    env: { ...OURS.env, CLAUDE_CODE_AUTO_COMPACT_WINDOW: "128000" },
    statusLine: LINE,
  };
  const user = { env: { DISABLE_TELEMETRY: "1" } };
  const first = installSettings(user, withWindow).next;
  // The config changed: the route's window is no longer known, and the provider now passes
  // Claude Code's login through (no token).
  const { ANTHROPIC_AUTH_TOKEN: _token, ...passthrough } = OURS.env;
  const result = installSettings(first, { env: passthrough, statusLine: LINE });
  assert.deepEqual(kinds(result), {
    "env.ANTHROPIC_BASE_URL": "unchanged",
    "env.CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY": "unchanged",
    statusLine: "unchanged",
    "env.ANTHROPIC_AUTH_TOKEN": "removed",
    "env.CLAUDE_CODE_AUTO_COMPACT_WINDOW": "removed",
  });
  const { [WROTE_VARIABLE]: _marker, ...env } = result.next.env as Record<string, string>;
  assert.deepEqual(env, { DISABLE_TELEMETRY: "1", ...passthrough });
  assert.equal(
    marked(result.next),
    "ANTHROPIC_BASE_URL CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY statusLine",
  );
  // A key the user took out by hand just leaves the record.
  const { CLAUDE_CODE_AUTO_COMPACT_WINDOW: _gone, ...edited } = first.env as Record<string, string>;
  const again = installSettings({ ...first, env: edited }, OURS);
  assert.equal(kinds(again)["env.CLAUDE_CODE_AUTO_COMPACT_WINDOW"], undefined);
  assert.ok(!String((again.next.env as Record<string, string>)[WROTE_VARIABLE]).includes("WINDOW"));
  // And uninstall after that still gives the user's file back.
  assert.deepEqual(uninstallSettings(result.next, OURS).next, user);
});

Deno.test("claude settings: a record naming what no file holds (toString, __proto__) takes out nothing and says nothing", () => {
  const settings = {
    env: { DISABLE_TELEMETRY: "1", [WROTE_VARIABLE]: "toString __proto__ constructor" },
  };
  for (const result of [uninstallSettings(settings, OURS), installSettings(settings, OURS)]) {
    assert.ok(!result.changes.some((c) => c.kind === "removed"), JSON.stringify(result.changes));
    assert.equal((result.next.env as Record<string, string>).DISABLE_TELEMETRY, "1");
  }
  assert.deepEqual(uninstallSettings(settings, OURS).next, { env: { DISABLE_TELEMETRY: "1" } });
});

Deno.test("claude settings: a value edited by hand since ccp wrote it is the user's: install and uninstall keep it", () => {
  const installed = installSettings({}, OURS).next;
  const env = installed.env as Record<string, string>;
  const edited = { ...installed, env: { ...env, ANTHROPIC_BASE_URL: "http://10.0.0.5:8082" } };
  const moved = { ...OURS, env: { ...OURS.env, ANTHROPIC_BASE_URL: "http://127.0.0.1:9000" } };
  const result = installSettings(edited, moved);
  assert.equal(kinds(result)["env.ANTHROPIC_BASE_URL"], "kept-yours");
  const after = result.next.env as Record<string, string>;
  assert.equal(after.ANTHROPIC_BASE_URL, "http://10.0.0.5:8082");
  assert.ok(!marked(result.next).includes("ANTHROPIC_BASE_URL"), "still listed as ccp's");
  // Uninstall before that install leaves it too.
  const out = uninstallSettings(edited, OURS);
  assert.equal(kinds(out)["env.ANTHROPIC_BASE_URL"], "left-yours");
  assert.equal((out.next.env as Record<string, string>).ANTHROPIC_BASE_URL, "http://10.0.0.5:8082");
  assert.equal(kinds(out)["env.ANTHROPIC_AUTH_TOKEN"], "removed");
});

Deno.test("claude settings: each key's standing: ccp's, stale, edited by hand, the user's", () => {
  const installed = installSettings({ env: { ANTHROPIC_AUTH_TOKEN: "mine" } }, OURS).next;
  const env = installed.env as Record<string, string>;
  const url = OURS.env.ANTHROPIC_BASE_URL;
  assert.equal(keyStanding(installed, "ANTHROPIC_BASE_URL", url), "ccp");
  assert.equal(keyStanding(installed, "ANTHROPIC_AUTH_TOKEN", "ccp"), "yours");
  assert.equal(keyStanding(installed, "statusLine", LINE), "ccp");
  assert.equal(keyStanding(installed, "ANTHROPIC_BASE_URL", "http://127.0.0.1:9000"), "stale");
  const edited = { ...installed, env: { ...env, ANTHROPIC_BASE_URL: "http://10.0.0.5:8082" } };
  assert.equal(keyStanding(edited, "ANTHROPIC_BASE_URL", url), "edited");
  assert.equal(keyStanding(edited, "ANTHROPIC_BASE_URL", "http://10.0.0.5:8082"), "edited");
  assert.equal(keyStanding({}, "ANTHROPIC_BASE_URL", url), "absent");
  // An earlier build's record names the keys alone: what differs reads as stale, as before.
  const legacy = {
    env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:7000", [WROTE_VARIABLE]: "ANTHROPIC_BASE_URL" },
  };
  assert.equal(keyStanding(legacy, "ANTHROPIC_BASE_URL", url), "stale");
  assert.equal(kinds(installSettings(legacy, OURS))["env.ANTHROPIC_BASE_URL"], "updated");
});
