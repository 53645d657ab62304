/** `ccp code` with an `auth: passthrough` provider: finding Claude Code's own login, keeping it. */

import assert from "node:assert/strict";
import { claudeLogin, keepLogin } from "../../src/cli/claude_login.ts";

const OAUTH = JSON.stringify({
  claudeAiOauth: { accessToken: "sk-ant-oat01-x", expiresAt: 1, scopes: ["user:inference"] },
});

function files(map: Record<string, string>) {
  return (path: string) => Promise.resolve(map[path]);
}

Deno.test("claudeLogin: where Claude Code keeps a login it would use", async (t) => {
  await t.step("the OAuth login in ~/.claude/.credentials.json", async () => {
    const read = files({ "/h/.claude/.credentials.json": OAUTH });
    assert.equal(
      await claudeLogin({ HOME: "/h" }, { os: "linux" }, read),
      "/h/.claude/.credentials.json",
    );
  });
  await t.step("in $CLAUDE_CONFIG_DIR when it is set", async () => {
    const read = files({ "/h/.claude/.credentials.json": OAUTH, "/cfg/.credentials.json": OAUTH });
    const env = { HOME: "/h", CLAUDE_CONFIG_DIR: "/cfg" };
    assert.equal(await claudeLogin(env, { os: "linux" }, read), "/cfg/.credentials.json");
    assert.equal(await claudeLogin(env, { os: "linux" }, files({})), undefined);
  });
  await t.step("a relative $CLAUDE_CONFIG_DIR from where Claude Code starts, not ccp", async () => {
    const read = files({ "/work/proj/cfg/.credentials.json": OAUTH });
    const env = { HOME: "/h", CLAUDE_CONFIG_DIR: "cfg" };
    assert.equal(
      await claudeLogin(env, { os: "linux", cwd: "/work/proj" }, read),
      "/work/proj/cfg/.credentials.json",
    );
  });
  await t.step("CLAUDE_CODE_OAUTH_TOKEN (claude setup-token)", async () => {
    const env = { HOME: "/h", CLAUDE_CODE_OAUTH_TOKEN: "sk-ant-oat01-y" };
    assert.equal(await claudeLogin(env, { os: "linux" }, files({})), "CLAUDE_CODE_OAUTH_TOKEN");
  });
  await t.step("no login: a missing, unreadable or login-less credentials file", async () => {
    for (const text of [undefined, "{", "null", '{"claudeAiOauth":{}}', '{"mcpOAuth":{}}']) {
      const read = files(text === undefined ? {} : { "/h/.claude/.credentials.json": text });
      assert.equal(await claudeLogin({ HOME: "/h" }, { os: "linux" }, read), undefined, text);
    }
    assert.equal(await claudeLogin({}, { os: "linux" }, files({})), undefined, "no home");
  });
  await t.step("no login Claude Code would use: a token without the inference scope", async () => {
    // Claude Code sends a stored token to the Messages API only when its scopes include
    // user:inference; without it, and without ANTHROPIC_AUTH_TOKEN, it says "Not logged in".
    const oauth = (extra: Record<string, unknown>) =>
      JSON.stringify({ claudeAiOauth: { accessToken: "sk-ant-oat01-x", ...extra } });
    for (const text of [oauth({}), oauth({ scopes: ["user:profile"] }), oauth({ scopes: "x" })]) {
      const read = files({ "/h/.claude/.credentials.json": text });
      assert.equal(await claudeLogin({ HOME: "/h" }, { os: "linux" }, read), undefined, text);
    }
    // A login Claude Code ended (its refresh refused): the token is emptied on disk.
    const ended = JSON.stringify({
      claudeAiOauth: {
        accessToken: "",
        refreshToken: "",
        expiresAt: 0,
        scopes: ["user:inference"],
      },
    });
    const read = files({ "/h/.claude/.credentials.json": ended });
    assert.equal(await claudeLogin({ HOME: "/h" }, { os: "linux" }, read), undefined);
  });
  await t.step("macOS: the account claude /login recorded stands for the Keychain", async () => {
    const read = files({ "/h/.claude.json": '{"oauthAccount":{"emailAddress":"a@b.c"}}' });
    assert.equal(
      await claudeLogin({ HOME: "/h" }, { os: "darwin" }, read),
      "the macOS Keychain",
    );
    // Elsewhere the credentials file is the login: an account record alone is not one.
    assert.equal(await claudeLogin({ HOME: "/h" }, { os: "linux" }, read), undefined);
    assert.equal(
      await claudeLogin({ HOME: "/h" }, { os: "darwin" }, files({ "/h/.claude.json": "{}" })),
      undefined,
    );
  });
});

Deno.test("keepLogin: no ANTHROPIC_AUTH_TOKEN, ccp's token beside the user's custom headers", () => {
  const env = { HOME: "/h", ANTHROPIC_AUTH_TOKEN: "ccp-tok", ANTHROPIC_BASE_URL: "http://x" };
  assert.deepEqual(keepLogin(env, undefined), { HOME: "/h", ANTHROPIC_BASE_URL: "http://x" });
  assert.deepEqual(keepLogin(env, "ccp-tok"), {
    HOME: "/h",
    ANTHROPIC_BASE_URL: "http://x",
    ANTHROPIC_CUSTOM_HEADERS: "x-api-key: ccp-tok",
  });
  const custom = { ...env, ANTHROPIC_CUSTOM_HEADERS: "X-Team: blue\nX-Api-Key: old\r\nX-Env: dev" };
  assert.equal(
    keepLogin(custom, "ccp-tok").ANTHROPIC_CUSTOM_HEADERS,
    "X-Team: blue\nX-Env: dev\nx-api-key: ccp-tok",
  );
});
