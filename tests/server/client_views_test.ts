/**
 * A team's clients do not see each other: the views of every client's requests (`/ui` and its
 * data, `/metrics`, `/v1/ccp/usage`, `/health`'s details) answer the operator's token, and a
 * client's own token gets a 403 that says so; its own session's usage still answers it.
 */

import assert from "node:assert/strict";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

const ADMIN = "admin-token-views-0123456789";
const ALICE = "alice-token-views-0123456789";
const BOB = "bob-token-views-0123456789ab";
const ALICE_SECRET = "alice-only-model-name";

async function withTeam(
  server: string,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_views_" });
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("m", { input_tokens: 40, output_tokens: 10 }),
  }]);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { ${server}data_dir: data }
clients:
  - { name: alice, token: ${ALICE} }
  - { name: bob, token: ${BOB} }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/main
budgets:
  - { client: alice, tokens: 100000, per: day }
`,
    );
    const ccp = await startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } });
    try {
      await run(ccp.url);
    } finally {
      await ccp.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function ask(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, text, cookie: res.headers.get("set-cookie") };
}

async function sendAs(url: string, token: string, session: string): Promise<void> {
  const res = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: {
      ...bearer(token),
      "content-type": "application/json",
      "x-claude-code-session-id": session,
    },
    body: JSON.stringify({
      model: `up/${ALICE_SECRET}`,
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  assert.equal(res.status, 200, await res.text());
}

const TEAM_VIEWS = [
  "/ui/state",
  "/metrics",
  "/v1/ccp/usage?by=client",
  "/ui",
  "/ui/events",
  // The same routes with a letter percent-encoded, as the router still matches them.
  "/%6Detrics",
  "/v1/ccp/%75sage?by=client",
  "/%75i/state",
];

Deno.test("a team's client sees no other client's requests; the operator's token sees all", async () => {
  await withTeam(`auth_token: ${ADMIN}, `, async (url) => {
    await sendAs(url, ALICE, "alice-session");
    await sendAs(url, BOB, "bob-session");
    for (const path of TEAM_VIEWS) {
      const seen = await ask(`${url}${path}`, bearer(BOB));
      assert.equal(seen.status, 403, `${path}: ${seen.text}`);
      assert.doesNotMatch(seen.text, /alice-only|"alice"/, path);
      const error = JSON.parse(seen.text).error;
      assert.equal(error.type, "permission_error");
      assert.match(error.message, /show every client's requests.*server\.auth_token/);
      assert.match(error.message, /client "bob"/);
    }
    // The status page's own way in: ?token= opens no session for a client's token.
    const page = await ask(`${url}/ui?token=${BOB}`);
    assert.equal(page.status, 403, page.text);
    assert.equal(page.cookie, null);
    // /health: up, for anyone; the providers' keys, breakers and errors are the operator's.
    const health = await ask(`${url}/health`, bearer(BOB));
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.text), { status: "ok", name: "ccp" });
    // A client's own session (its status line) still answers it.
    const own = await ask(`${url}/v1/ccp/usage/session/bob-session`, bearer(BOB));
    assert.equal(own.status, 200, own.text);
    assert.equal(JSON.parse(own.text).totals.requests, 1);
    // Another client's session, whose id it learnt somehow, reads as one with nothing recorded.
    const other = await ask(`${url}/v1/ccp/usage/session/alice-session`, bearer(BOB));
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(JSON.parse(other.text).latest, undefined, other.text);
    assert.equal(JSON.parse(other.text).totals.requests, 0, other.text);
    const operator = await ask(`${url}/v1/ccp/usage/session/alice-session`, bearer(ADMIN));
    assert.equal(JSON.parse(operator.text).totals.requests, 1, operator.text);

    for (const path of TEAM_VIEWS.filter((p) => p !== "/ui/events")) {
      const seen = await ask(`${url}${path}`, bearer(ADMIN));
      assert.equal(seen.status, 200, `${path}: ${seen.text}`);
    }
    assert.match((await ask(`${url}/ui/state`, bearer(ADMIN))).text, /alice-only-model-name/);
    const admin = await ask(`${url}/ui?token=${ADMIN}`);
    assert.equal(admin.status, 200);
    assert.match(admin.cookie ?? "", /^ccp_ui_\d+=[0-9a-f]{48}; HttpOnly; SameSite=Strict$/);
    assert.ok("resilience" in JSON.parse((await ask(`${url}/health`, bearer(ADMIN))).text));
  });
});

Deno.test("with clients and no server.auth_token, every client's token opens the team's views, as every other route", async () => {
  await withTeam("", async (url) => {
    await sendAs(url, ALICE, "alice-session");
    for (const path of ["/metrics", "/ui/state", "/v1/ccp/usage"]) {
      const seen = await ask(`${url}${path}`, bearer(BOB));
      assert.equal(seen.status, 200, `${path}: ${seen.text}`);
    }
    const session = await ask(`${url}/v1/ccp/usage/session/alice-session`, bearer(BOB));
    assert.equal(JSON.parse(session.text).totals.requests, 1, session.text);
    assert.ok("resilience" in JSON.parse((await ask(`${url}/health`, bearer(BOB))).text));
    assert.equal((await ask(`${url}/metrics`)).status, 401);
  });
});
