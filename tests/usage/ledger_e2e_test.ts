/** The usage ledger end to end: requests through ccp, then `ccp usage`, budgets and restarts. */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { postMessages } from "../helpers/ccp.ts";

const TOKEN = "ccp-ledger-test";

function answer(input: number, output: number) {
  return {
    kind: "json" as const,
    body: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: output, cache_read_input_tokens: 10 },
    },
  };
}

function yaml(upstream: string, extra = ""): string {
  return `server:
  auth_token: ${TOKEN}
  data_dir: data
providers:
  anth:
    type: anthropic
    base_url: ${upstream}
    api_key: sk-ant-test-0123456789
    model_settings:
      m-priced: { price: { input: 3, output: 15, cache_read: 0.3 } }
  free:
    type: anthropic
    base_url: ${upstream}
    api_key: sk-ant-test-9876543210
routes:
  default: anth/m-priced
  haiku: free/m-free
${extra}`;
}

async function post(url: string, model: string, headers: Record<string, string> = {}) {
  const res = await postMessages(url, {
    model,
    max_tokens: 50,
    messages: [{ role: "user", content: "hello" }],
  }, { "x-api-key": TOKEN, ...headers });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function usageJson(dir: string, args: string[]) {
  const ctx = testContext(dir);
  const code = await runCli(["usage", "--config", "c.yaml", "--json", ...args], ctx);
  assert.equal(code, 0, ctx.io.stderr.join("\n"));
  assert.equal(ctx.io.stdout.length, 1, "--json prints one JSON document and nothing else");
  return JSON.parse(ctx.io.stdout[0]!);
}

Deno.test("ledger: every request recorded with its cost; ccp usage and /v1/ccp/usage agree", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ledger_" });
  const mock = startAnthropicMock([answer(1000, 200)]);
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml(mock.url));
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      const session = { "x-claude-code-session-id": "sess-1" };
      assert.equal((await post(server.url, "claude-sonnet-4-5", session)).status, 200);
      assert.equal((await post(server.url, "claude-sonnet-4-5", session)).status, 200);
      assert.equal((await post(server.url, "claude-haiku-4-5")).status, 200);
      await new Promise((r) => setTimeout(r, 300)); // written within the flush delay
      const byModel = await usageJson(dir, ["--by", "model", "--since", "24h"]);
      assert.deepEqual(Object.keys(byModel), ["since", "by", "rows", "total"]);
      assert.equal(byModel.by, "model");
      const rows = Object.fromEntries(
        byModel.rows.map((r: { key: string }) => [r.key, r]),
      );
      assert.deepEqual(rows["anth/m-priced"], {
        key: "anth/m-priced",
        requests: 2,
        errors: 0,
        input_tokens: 2000,
        output_tokens: 400,
        cache_read_input_tokens: 20,
        cache_creation_input_tokens: 0,
        cost_usd: (2000 * 3 + 400 * 15 + 20 * 0.3) / 1e6,
      });
      // An unknown model at a provider with no price: no cost, not zero.
      assert.equal(rows["free/m-free"].cost_usd, null);
      assert.equal(byModel.total.requests, 3);
      assert.equal(byModel.total.cost_usd, rows["anth/m-priced"].cost_usd);

      const res = await fetch(`${server.url}/v1/ccp/usage?since=24h&by=model`, {
        headers: { "x-api-key": TOKEN },
      });
      const viaHttp = await res.json();
      assert.deepEqual(viaHttp.rows, byModel.rows);
      const denied = await fetch(`${server.url}/v1/ccp/usage`);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const bad = await fetch(`${server.url}/v1/ccp/usage?by=colour`, {
        headers: { "x-api-key": TOKEN },
      });
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).error.message, /by: expected one of day, route/);

      const byRoute = await usageJson(dir, ["--by", "route"]);
      assert.deepEqual(
        byRoute.rows.map((r: { key: string }) => r.key),
        ["haiku", "sonnet"].map((
          name,
        ) => name === "sonnet" ? "default" : name).sort(),
      );
      const table = testContext(dir);
      assert.equal(await runCli(["usage", "--config", "c.yaml", "--by", "provider"], table), 0);
      assert.match(table.io.stdout.join("\n"), /anth\s+2\s+0\s+2,000\s+400/);
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("budgets: a spent target is skipped, then budget_exhausted with Retry-After, across restarts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_budget_" });
  const mock = startAnthropicMock([answer(600, 100)]);
  try {
    const budgets = `budgets:
  - { target: anth, tokens: 1k, per: day, route_away_at: 50% }
`;
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      yaml(mock.url, budgets).replace(
        "default: anth/m-priced",
        "default: anth/m-priced\n  opus: [anth/m-priced, free/m-free]",
      ),
    );
    let server = await startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } });
    try {
      assert.equal((await post(server.url, "claude-sonnet-4-5")).status, 200); // 710 tokens ≥ 50 %
      // A chain moves past the spent target.
      const opus = await post(server.url, "claude-opus-4-5");
      assert.equal(opus.status, 200);
      assert.equal(opus.headers.get("x-ccp-provider"), "free");
      // A route with nothing else left answers 429 budget_exhausted.
      const spent = await post(server.url, "claude-sonnet-4-5");
      assert.equal(spent.status, 429);
      assert.equal(spent.body.error.type, "rate_limit_error");
      assert.equal(spent.body.error.code, "budget_exhausted");
      assert.match(
        spent.body.error.message,
        /budget of anth spent for provider "anth" model "m-priced" \(resets /,
      );
      // The route, and the target whose budget is spent (none was tried).
      assert.equal(spent.headers.get("x-ccp-route"), "default");
      assert.equal(spent.headers.get("x-ccp-provider"), "anth");
      assert.equal(spent.headers.get("x-ccp-model"), "m-priced");
      const retryAfter = Number(spent.headers.get("retry-after"));
      const midnight = new Date();
      midnight.setUTCHours(24, 0, 0, 0);
      assert.ok(
        Math.abs(retryAfter - (midnight.getTime() - Date.now()) / 1000) < 5,
        `${retryAfter}`,
      );
      assert.equal(mock.requests.length, 2, "the spent target was never asked");
      await new Promise((r) => setTimeout(r, 300));
      await server.stop();

      // Spend is read back from the ledger after a restart.
      server = await startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } });
      assert.equal((await post(server.url, "claude-sonnet-4-5")).status, 429);
      const check = testContext(dir);
      assert.equal(await runCli(["check", "--config", "c.yaml"], check), 0);
      assert.match(
        check.io.stdout.join("\n"),
        /anth: 710 tokens of 1,000 tokens per day \(71%; routed away at 50%.*SPENT/,
      );
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ledger: a store that cannot be opened is one warning, and ccp still serves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ledger_bad_" });
  const mock = startAnthropicMock([answer(10, 5)]);
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml(mock.url));
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/usage.kv`, "this is not a database ".repeat(500));
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      const log = ctx.io.stderr.join("\n");
      assert.match(log, /Usage ledger off: cannot open .*usage\.kv.*move the file away/);
      assert.equal((await post(server.url, "claude-sonnet-4-5")).status, 200);
      const res = await fetch(`${server.url}/v1/ccp/usage`, { headers: { "x-api-key": TOKEN } });
      assert.equal(res.status, 503);
      assert.match((await res.json()).error.message, /usage ledger is off/);
    } finally {
      await server.stop();
    }
    const usage = testContext(dir);
    assert.equal(await runCli(["usage", "--config", "c.yaml"], usage), 1);
    assert.match(usage.io.stderr.join("\n"), /cannot read the usage ledger/);
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ledger: usage.enabled: false keeps no ledger, and budgets beside it are refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ledger_off_" });
  const mock = startAnthropicMock([answer(10, 5)]);
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml(mock.url, "usage: { enabled: false }\n"));
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      assert.equal((await post(server.url, "claude-sonnet-4-5")).status, 200);
      const res = await fetch(`${server.url}/v1/ccp/usage`, { headers: { "x-api-key": TOKEN } });
      assert.equal(res.status, 503);
      await res.body?.cancel();
      // The status line's question gets the same answer, and only with the token.
      const session = await fetch(`${server.url}/v1/ccp/usage/session/s-1`, {
        headers: { "x-api-key": TOKEN },
      });
      assert.equal(session.status, 503);
      await session.body?.cancel();
      const denied = await fetch(`${server.url}/v1/ccp/usage/session/s-1`);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      assert.doesNotMatch(ctx.io.stderr.join("\n"), /WARN.*Usage ledger/);
    } finally {
      await server.stop();
    }
    await assert.rejects(Deno.stat(`${dir}/data/usage.kv`), Deno.errors.NotFound);
    const usage = testContext(dir);
    assert.equal(await runCli(["usage", "--config", "c.yaml"], usage), 1);
    assert.match(usage.io.stderr.join("\n"), /usage\.enabled: false/);

    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      yaml(
        mock.url,
        "usage: { enabled: false }\nbudgets: [{ target: anth, tokens: 1M, per: day }]\n",
      ),
    );
    const check = testContext(dir);
    assert.equal(await runCli(["check", "--config", "c.yaml"], check), 1);
    assert.match(check.io.stderr.join("\n"), /budgets are read from the usage ledger/);
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("budgets: one added after the spend counts what the ledger already holds for its period", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_budget_added_" });
  const mock = startAnthropicMock([answer(600, 100)]);
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, yaml(mock.url));
    let server = await startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } });
    try {
      assert.equal((await post(server.url, "claude-sonnet-4-5")).status, 200); // 710 tokens
      await new Promise((r) => setTimeout(r, 300));
      await server.stop();
      // The budget comes later, as an edit and a restart: the 710 tokens already count.
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        yaml(mock.url, "budgets:\n  - { target: anth, tokens: 700, per: month }\n"),
      );
      server = await startServer({ ctx: testContext(dir), flags: { config: "c.yaml", port: 0 } });
      const spent = await post(server.url, "claude-sonnet-4-5");
      assert.equal(spent.status, 429);
      assert.equal(spent.body.error.code, "budget_exhausted");
      assert.equal(mock.requests.length, 1, "the spent target was never asked again");
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});
