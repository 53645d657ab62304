/** Named clients: their tokens, their allow-lists, their records, their budgets. */

import assert from "node:assert/strict";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { UI_PAGE } from "../../src/observe/ui/page.ts";
import { postMessages } from "../helpers/ccp.ts";

const ALICE = "alice-token-0123456789abcdef";
const CI = "ci-token-0123456789abcdef0";
const ADMIN = "admin-token-0123456789abcd";

Deno.test("clients: token → name in every record, route allow-lists (403), budgets per client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_clients_" });
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("m", { input_tokens: 400, output_tokens: 100 }),
  }]);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${ADMIN}, data_dir: data }
clients:
  - { name: alice, token: ${ALICE} }
  - { name: ci, token: ${CI}, routes: [haiku, default] }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/main
  haiku: up/small
  opus: up/big
budgets:
  - { client: alice, tokens: 800, per: day }
`,
    );
    const serveCtx = testContext(dir);
    const server = await startServer({
      ctx: serveCtx,
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const send = async (token: string, model: string) => {
        const res = await postMessages(server.url, {
          model,
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }, { authorization: `Bearer ${token}` });
        return { status: res.status, body: await res.json(), headers: res.headers };
      };
      assert.equal((await send(ALICE, "claude-opus-4-5")).status, 200);
      assert.equal((await send(CI, "claude-haiku-4-5")).status, 200);
      assert.equal((await send(CI, "anything-else")).status, 200, "default is allowed");
      const refused = await send(CI, "claude-opus-4-5");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.type, "permission_error");
      assert.match(
        refused.body.error.message,
        /Client "ci" may use the routes haiku, default; this request resolved to "opus"/,
      );
      assert.equal(
        (await send(CI, "up/other")).status,
        403,
        "explicit provider/model is not in ci's list",
      );
      assert.equal((await send("wrong-token-0123456789", "claude-haiku-4-5")).status, 401);
      // The log tells the lead which token a team's client must send: its own, of clients:.
      const refused401 = serveCtx.io.stderr.join("\n");
      assert.match(
        refused401,
        /missing or wrong ccp token \(it sent another token\); the client must send its own token of clients: \(a token a reload removed or replaced is refused from then on\) or ccp's auth token \(server\.auth_token or CCP_AUTH_TOKEN\)/,
      );
      assert.doesNotMatch(refused401, /wrong-token-0123456789/);
      assert.equal((await send(ADMIN, "claude-opus-4-5")).status, 200);
      // alice spent 500 of 800 tokens; the next request puts her over.
      assert.equal((await send(ALICE, "claude-sonnet-4-5")).status, 200);
      const spent = await send(ALICE, "claude-sonnet-4-5");
      assert.equal(spent.status, 429);
      assert.equal(spent.body.error.code, "budget_exhausted");
      // The budget that ran out is alice's own, not the target's: the message names it.
      assert.match(
        spent.body.error.message,
        /over a budget: budget of client alice spent for provider "up" model "main" \(resets \d{4}-\d\d-\d\d 00:00 UTC, in .*It counts every target of the route/,
      );
      assert.equal(
        (await send(ADMIN, "claude-sonnet-4-5")).status,
        200,
        "other clients are not held",
      );
      assert.equal(mock.requests.length, 6, "refused requests never went upstream");
      // /metrics counts each client's requests by status, for a team's dashboard.
      const metrics = await (await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })).text();
      const clientLines = metrics.split("\n").filter((l) => l.startsWith("ccp_client_"));
      assert.deepEqual(clientLines.sort(), [
        'ccp_client_requests_total{client="alice",status="200"} 2',
        'ccp_client_requests_total{client="alice",status="429"} 1',
        'ccp_client_requests_total{client="ci",status="200"} 2',
        'ccp_client_requests_total{client="ci",status="403"} 2',
        'ccp_client_requests_total{client="default",status="200"} 2',
      ]);
      // The status page and ccp check say a spent client budget refuses that client's requests,
      // not that requests skip a target.
      const state = await (await fetch(`${server.url}/ui/state`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      })).json();
      const budget = state.usage.budgets.find((b: { label: string }) => b.label === "client alice");
      assert.equal(budget.client, "alice");
      assert.equal(budget.exhausted, true);
      assert.match(UI_PAGE, /b\.client \? " \(" \+ b\.client \+ "'s requests are refused\)"/);
      // Its latest requests say a budget refused alice, not that the target "up" failed her.
      const refusedRow = state.latest.find((r: { status: number }) => r.status === 429);
      assert.equal(refusedRow.budget, "client alice");
      await new Promise((r) => setTimeout(r, 300));
      const checked = testContext(dir);
      assert.equal(await runCli(["check", "--config", "c.yaml"], checked), 0);
      assert.match(
        checked.io.stdout.join("\n"),
        /client alice: [\d,]+ tokens of 800 tokens per day .* SPENT: alice's requests are refused \(429\)/,
      );
      const ctx = testContext(dir);
      assert.equal(
        await runCli(["usage", "--config", "c.yaml", "--by", "client", "--json"], ctx),
        0,
      );
      const rows = Object.fromEntries(
        JSON.parse(ctx.io.stdout[0]!).rows.map((
          r: { key: string; requests: number; errors: number },
        ) => [
          r.key,
          [r.requests, r.errors],
        ]),
      );
      assert.deepEqual(
        rows,
        { alice: [3, 1], ci: [4, 2], default: [2, 0] },
        "refused requests are recorded too",
      );
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clients config: empty or shared tokens and repeated names are refused", async () => {
  const { configFromYaml } = await import("../../src/config/from_yaml.ts");
  const load = (clients: string) => () =>
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `server: { auth_token: ${ADMIN} }
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: k }
routes: { default: up/m }
clients:
${clients}`,
    });
  assert.throws(load(`  - { name: a, token: "" }\n`), /clients\[0\]\.token: is empty/);
  assert.throws(load(`  - { name: default, token: x123 }\n`), /"default" is used twice/);
  assert.throws(load(`  - { name: a, token: ${ADMIN} }\n`), /same as another client's token/);
  assert.throws(load(`  - { name: a, token: "a:b" }\n`), /contains ':'/);
});

Deno.test("clients: an allow-list may name explicit (provider/model, URL prefix, token suffix), an alias or a scenario", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_clients_" });
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("m", { input_tokens: 4, output_tokens: 1 }),
  }]);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${ADMIN}, data_dir: data }
clients:
  - { name: ex, token: ${CI}, routes: [explicit] }
  - { name: al, token: ${ALICE}, routes: [my-fast, think] }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/main
  think: up/thinker
aliases:
  my-fast: up/fast
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const send = async (token: string, model: string, path = "", extra = {}) => {
        const res = await fetch(`${server.url}${path}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": token },
          body: JSON.stringify({
            model,
            max_tokens: 10,
            messages: [{ role: "user", content: "hi" }],
            ...extra,
          }),
        });
        const body = await res.json();
        if (res.status === 403) assert.equal(body.error.type, "permission_error");
        return [res.status, res.headers.get("x-ccp-route")];
      };
      assert.deepEqual(await send(CI, "up/other"), [200, "explicit"]);
      assert.deepEqual(await send(CI, "claude-opus-4-5", "/up:m2"), [200, "url_prefix"]);
      assert.deepEqual(await send(`${CI}:up/m3`, "claude-opus-4-5"), [200, "token_suffix"]);
      assert.deepEqual(await send(CI, "claude-opus-4-5"), [403, "default"]);
      assert.deepEqual(await send(CI, "my-fast"), [403, "alias:my-fast"]);

      assert.deepEqual(await send(ALICE, "my-fast"), [200, "alias:my-fast"]);
      const high = { output_config: { effort: "high" } };
      assert.deepEqual(await send(ALICE, "claude-opus-4-5", "", high), [200, "think"]);
      assert.deepEqual(await send(ALICE, "claude-opus-4-5"), [403, "default"]);
      assert.deepEqual(await send(ALICE, "up/other"), [403, "explicit"]);
      assert.equal(mock.requests.length, 5, "refused requests never went upstream");
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clients: a token a reload removed or replaced is refused, and the log says whose it was", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_clients_" });
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("m", { input_tokens: 4, output_tokens: 1 }),
  }]);
  const write = (dave: string) =>
    Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data, watch_config: false }
clients:
  - { name: alice, token: ${ALICE} }
${dave}
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes: { default: up/main }
`,
    );
  const DAVE = "dave-token-0123456789abcdef";
  try {
    await write(`  - { name: dave, token: ${DAVE} }`);
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      const send = async (token: string) => {
        const res = await postMessages(server.url, {
          model: "claude-sonnet-4-5",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }, { "x-api-key": token });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await send(DAVE), 200);
      await write(`  - { name: dave, token: dave-token-NEW-0123456789 }`);
      assert.equal(await server.reload(), true);
      assert.equal(await send(DAVE), 401, "the replaced token is refused");
      const log = ctx.io.stderr.join("\n");
      assert.match(log, /Changed: client dave: token changed/);
      assert.match(
        log,
        /missing or wrong ccp token \(it sent client dave's token, which a reload removed or replaced\)/,
      );
      assert.doesNotMatch(log, new RegExp(DAVE));
      assert.equal(await send(ALICE), 200, "the others go on");
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("clients: a token is named as former though no request came between the reloads", async () => {
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("m", { input_tokens: 4, output_tokens: 1 }),
  }]);
  const token = (n: number) => `dave-token-${n}-0123456789abcdef`;
  // Dave's tokens in each config, and the former one he sends after the last reload: the
  // start-up config's (no request since start-up), and one that lived between two reloads only.
  const cases = [{ tokens: [1, 2], sent: 1 }, { tokens: [1, 2, 3], sent: 2 }];
  try {
    for (const { tokens, sent } of cases) {
      const dir = await Deno.makeTempDir({ prefix: "ccp_clients_" });
      const write = (dave: number) =>
        Deno.writeTextFile(
          `${dir}/c.yaml`,
          `server: { data_dir: data, watch_config: false }
clients:
  - { name: alice, token: ${ALICE} }
  - { name: dave, token: ${token(dave)} }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes: { default: up/main }
`,
        );
      try {
        await write(tokens[0]!);
        const ctx = testContext(dir);
        const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
        try {
          for (const dave of tokens.slice(1)) {
            await write(dave);
            assert.equal(await server.reload(), true);
          }
          const res = await postMessages(server.url, {
            model: "claude-sonnet-4-5",
            max_tokens: 10,
            messages: [{ role: "user", content: "hi" }],
          }, { "x-api-key": token(sent) });
          await res.body?.cancel();
          assert.equal(res.status, 401);
          assert.match(
            ctx.io.stderr.join("\n"),
            /it sent client dave's token, which a reload removed or replaced/,
            `dave's token ${sent} of ${tokens.join(", ")}`,
          );
        } finally {
          await server.stop();
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    }
  } finally {
    await mock.close();
  }
});
