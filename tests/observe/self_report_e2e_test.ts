/**
 * What ccp says about itself, checked number by number against what happened: a real `ccp serve`
 * is driven through a scripted mix (passthrough and translated, stream and not, failovers after
 * a 429 and a 500, a retry, a mid-stream failure, a client that leaves, refusals by budget, by
 * allow-list and before routing, count_tokens calls), then /metrics, /health, the status page's data, the request
 * log, `GET /v1/ccp/usage` and `ccp usage` must all tell that same story.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, runCcp, spawnCcp } from "../cli/helpers.ts";
import {
  ANTHROPIC_USAGE,
  LATE_MS,
  OPENAI_USAGE,
  startBehaviourUpstream,
} from "../mocks/behaviour_upstream.ts";
import { promtool } from "../helpers/promtool.ts";

const ADMIN = "admin-token-self-report";
const CI = "ci-token-self-report";

function config(upstream: string): string {
  return `server: { auth_token: ${ADMIN} }
clients:
  - { name: ci, token: ${CI}, routes: [sonnet] }
providers:
  oa:
    type: openai
    base_url: ${upstream}/oa/v1
    api_key: sk-oa-0123456789abcdef
    fallback_on: [429, 500]
    model_settings: { "*": { price: { input: 1, output: 2 } } }
  an:
    type: anthropic
    base_url: ${upstream}/an
    api_key: sk-an-0123456789abcdef
    count_tokens: true
    model_settings:
      claude-x: { price: { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 } }
  bud: { type: anthropic, base_url: ${upstream}/an, api_key: sk-bud-0123456789abcdef }
routes:
  default: an/claude-x
  sonnet: oa/ok
  fo429: [oa/r429, an/claude-x]
  fo500: [oa/r500, an/claude-x]
  retry: oa/flaky
  midfail: oa/midfail
  slow: oa/slow
  budgeted: bud/claude-y
  counted: [an/count-broken, oa/ok]
  late: an/late
  late_translated: oa/late
budgets:
  - { target: bud, tokens: 10, per: day }
`;
}

/** `name{labels}` → value, for every sample line. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

/** Sums the samples of `name` whose labels include every `label="value"` of `having`. */
function sum(all: Map<string, number>, name: string, having: Record<string, string> = {}): number {
  let total = 0;
  for (const [series, value] of all) {
    if (!series.startsWith(`${name}{`) && series !== name) continue;
    if (Object.entries(having).every(([k, v]) => series.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

interface Row {
  key: string;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number | null;
}

Deno.test("self-report: metrics, health, status page, log and usage agree with what happened", async () => {
  const upstream = startBehaviourUpstream();
  try {
    await inTempDir("ccp_self_report_", async (dir) => {
      await Deno.writeTextFile(`${dir}/c.yaml`, config(upstream.url));
      const env = childEnv(dir);
      const ccp = await spawnCcp(
        ["serve", "--config", "c.yaml", "--port", "0", "--log-format", "json"],
        { cwd: dir, env },
      );
      try {
        const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
        const headers = (token = ADMIN) => ({
          "content-type": "application/json",
          "x-api-key": token,
          "anthropic-version": "2023-06-01",
        });
        const body = (model: string, stream: boolean) =>
          JSON.stringify({
            model,
            max_tokens: 100,
            stream,
            messages: [{ role: "user", content: "Say hello to the world please" }],
          });
        const send = async (model: string, stream: boolean, token?: string) => {
          const res = await fetch(`${url}/v1/messages`, {
            method: "POST",
            headers: headers(token),
            body: body(model, stream),
          });
          return { status: res.status, text: await res.text(), headers: res.headers };
        };
        const get = async (path: string) => {
          const res = await fetch(`${url}${path}`, { headers: headers() });
          assert.equal(res.status, 200, path);
          return res;
        };
        const count = async (model: string) => {
          const res = await fetch(`${url}/v1/messages/count_tokens`, {
            method: "POST",
            headers: headers(),
            body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
          });
          assert.equal(res.status, 200);
          return (await res.json()).input_tokens;
        };

        // The scripted mix: 15 Messages requests.
        assert.equal((await send("claude-opus-4-5", false)).status, 200); // passthrough json
        assert.equal((await send("claude-opus-4-5", true)).status, 200); // passthrough stream
        assert.equal((await send("sonnet", false)).status, 200); // translated json
        assert.equal((await send("sonnet", true)).status, 200); // translated stream
        const fo429 = await send("fo429", true);
        assert.equal(fo429.headers.get("x-ccp-provider"), "an");
        const fo500 = await send("fo500", false);
        assert.equal(fo500.headers.get("x-ccp-provider"), "an");
        assert.equal((await send("retry", false)).status, 200);
        const midfail = await send("midfail", true);
        assert.equal(midfail.status, 200);
        assert.match(midfail.text, /event: error/);
        assert.equal((await send("budgeted", false)).status, 200); // spends 32 of 10 tokens
        assert.equal((await send("budgeted", false)).status, 429); // budget_exhausted
        assert.equal((await send("claude-opus-4-5", false, CI)).status, 403); // not its route
        {
          // A body refused before any rule chose a route.
          const res = await fetch(`${url}/v1/messages`, {
            method: "POST",
            headers: headers(),
            body: JSON.stringify({ model: "sonnet", max_tokens: 10 }),
          });
          assert.equal(res.status, 400);
          assert.equal(res.headers.get("x-ccp-route"), "none");
          await res.body?.cancel();
        }
        {
          // A client that leaves mid-stream.
          const abort = new AbortController();
          const res = await fetch(`${url}/v1/messages`, {
            method: "POST",
            headers: headers(),
            body: body("slow", true),
            signal: abort.signal,
          });
          const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
          let seen = "";
          while (!seen.includes("content_block_delta")) seen += (await reader.read()).value;
          abort.abort();
          await reader.cancel().catch(() => {});
        }
        assert.equal(await count("claude-opus-4-5"), 42); // the upstream's count
        assert.equal(typeof await count("sonnet"), "number"); // counted locally
        for (let i = 0; i < 4; i++) await count("counted"); // its count endpoint fails: local
        const counted = await send("counted", false);
        // Four failed counts said nothing about its Messages endpoint: it still serves.
        assert.equal(counted.headers.get("x-ccp-provider"), "an");
        assert.equal((await send("late", true)).status, 200);
        assert.equal((await send("late_translated", true)).status, 200);
        const requests = 16;

        // Let the cancelled stream's record and the ledger's batch land.
        const deadline = Date.now() + 10_000;
        let usage: { rows: Row[]; total: Row } | undefined;
        let metricsText = "";
        while (Date.now() < deadline) {
          metricsText = await (await get("/metrics")).text();
          usage = await (await get("/v1/ccp/usage?since=24h&by=route")).json();
          if (
            usage?.total.requests === requests &&
            sum(samples(metricsText), "ccp_requests_total") === requests
          ) break;
          await new Promise((r) => setTimeout(r, 100));
        }

        // /metrics
        const m = samples(metricsText);
        assert.equal(await promtool(metricsText), "");
        assert.equal(sum(m, "ccp_requests_total"), requests);
        const req = (route: string, provider: string, model: string, status: number) =>
          m.get(
            `ccp_requests_total{route="${route}",provider="${provider}",model="${model}",status="${status}"}`,
          );
        assert.equal(req("default", "an", "claude-x", 200), 2);
        assert.equal(req("sonnet", "oa", "ok", 200), 2);
        assert.equal(req("fo429", "an", "claude-x", 200), 1);
        assert.equal(req("fo500", "an", "claude-x", 200), 1);
        assert.equal(req("retry", "oa", "flaky", 200), 1);
        assert.equal(req("midfail", "oa", "midfail", 200), 1);
        assert.equal(req("budgeted", "bud", "claude-y", 200), 1);
        // The budget that refused is named (no target was tried), like the answer's headers do.
        assert.equal(req("budgeted", "bud", "claude-y", 429), 1);
        // One spelling of "no route" everywhere: the header's.
        assert.equal(req("none", "none", "none", 400), 1);
        assert.equal(req("default", "none", "none", 403), 1);
        assert.equal(req("slow", "oa", "slow", 499), 1);
        assert.equal(req("counted", "an", "count-broken", 200), 1);
        assert.equal(req("late", "an", "late", 200), 1);
        assert.equal(req("late_translated", "oa", "late", 200), 1);
        // No failed attempt is counted as a request of the target that failed.
        assert.equal(sum(m, "ccp_requests_total", { model: "r429" }), 0);
        assert.equal(sum(m, "ccp_requests_total", { model: "r500" }), 0);

        const tok = (provider: string, model: string, kind: string) =>
          m.get(`ccp_tokens_total{provider="${provider}",model="${model}",kind="${kind}"}`);
        assert.equal(tok("an", "claude-x", "input"), 4 * ANTHROPIC_USAGE.input);
        assert.equal(tok("an", "claude-x", "output"), 4 * ANTHROPIC_USAGE.output);
        assert.equal(tok("an", "claude-x", "cache_read"), 4 * ANTHROPIC_USAGE.cacheRead);
        assert.equal(tok("an", "claude-x", "cache_write"), 4 * ANTHROPIC_USAGE.cacheWrite);
        assert.equal(tok("oa", "ok", "input"), 2 * OPENAI_USAGE.input); // translated, both ways
        assert.equal(tok("oa", "ok", "output"), 2 * OPENAI_USAGE.output);
        assert.equal(tok("oa", "late", "output"), OPENAI_USAGE.output);
        assert.ok((tok("oa", "slow", "output") ?? 0) > 0, "a cancelled stream's output is billed");

        const att = (provider: string, model: string, outcome: string) =>
          m.get(
            `ccp_upstream_attempts_total{provider="${provider}",model="${model}",outcome="${outcome}"}`,
          );
        assert.equal(att("oa", "r429", "status_429"), 1);
        assert.equal(att("oa", "r500", "status_500"), 1);
        assert.equal(att("oa", "flaky", "status_503"), 1);
        assert.equal(att("oa", "flaky", "answered"), 1);
        assert.equal(att("an", "claude-x", "answered"), 4);
        // count_tokens calls are not Messages attempts.
        assert.equal(att("an", "count-broken", "answered"), 1);
        assert.equal(sum(m, "ccp_upstream_attempts_total", { model: "count-broken" }), 1);

        assert.equal(m.get(`ccp_stream_errors_total{provider="oa",model="midfail"}`), 1);
        assert.equal(sum(m, "ccp_stream_errors_total"), 1);
        assert.equal(m.get("ccp_inflight_requests"), 0);
        assert.equal(sum(m, "ccp_limiter_active"), 0);
        assert.equal(sum(m, "ccp_limiter_queued"), 0);
        assert.equal(
          m.get(`ccp_circuit_breaker_open{provider="an",model="count-broken",state="open"}`),
          0,
        );

        // Durations for every request; time to first token for streamed answers only, at their
        // first content (not at message_start).
        assert.equal(sum(m, "ccp_request_duration_seconds_count"), requests);
        const ttft = (provider: string, model: string) =>
          m.get(`ccp_time_to_first_token_seconds_count{provider="${provider}",model="${model}"}`);
        assert.equal(ttft("an", "claude-x"), 2); // the passthrough stream and fo429
        assert.equal(ttft("oa", "ok"), 1);
        assert.equal(ttft("oa", "flaky"), undefined);
        assert.equal(ttft("bud", "claude-y"), undefined);
        assert.equal(ttft("an", "count-broken"), undefined);
        assert.equal(sum(m, "ccp_time_to_first_token_seconds_count"), 7);
        for (const [provider, model] of [["an", "late"], ["oa", "late"]]) {
          const seconds = m.get(
            `ccp_time_to_first_token_seconds_sum{provider="${provider}",model="${model}"}`,
          )!;
          assert.ok(seconds >= LATE_MS / 1000, `${provider}/${model} first token at ${seconds} s`);
        }
        // count_tokens: by the route's first target and who counted.
        const counts = (provider: string, model: string, via: string) =>
          m.get(`ccp_count_tokens_total{provider="${provider}",model="${model}",via="${via}"}`);
        assert.equal(counts("an", "claude-x", "upstream"), 1);
        assert.equal(counts("oa", "ok", "local"), 1); // no count endpoint
        assert.equal(counts("an", "count-broken", "local"), 4); // its count endpoint fails
        assert.equal(sum(m, "ccp_count_tokens_total"), 6);
        assert.equal(m.get(`ccp_budget_used_ratio{budget="bud"}`), 3.2);
        assert.equal(m.get(`ccp_budget_exhausted{budget="bud"}`), 1);

        // /health: the target whose count endpoint failed is healthy.
        const health = await (await get("/health")).json();
        assert.equal(health.resilience.targets["an/count-broken"].state, "closed");
        assert.equal(health.resilience.targets["an/count-broken"].failures, 0);

        // The status page's data.
        const ui = await (await get("/ui/state")).json();
        assert.equal(ui.inflight, 0);
        assert.equal(ui.latest.length, requests);
        for (const r of ui.latest) {
          assert.equal(r.ttftMs !== undefined, r.stream, JSON.stringify(r));
        }
        const viaFo429 = ui.latest.find((r: { route: string }) => r.route === "fo429");
        assert.deepEqual([viaFo429.provider, viaFo429.attempts], ["an", 2]);
        const countedRoute = ui.routes.find((r: { name: string }) => r.name === "counted");
        assert.equal(countedRoute.targets[0].breaker, "closed");
        assert.deepEqual(countedRoute.targets[0].reasons, []);
        assert.equal(
          ui.usage.hourly.reduce((n: number, p: { requests: number }) => n + p.requests, 0),
          requests,
        );
        const unrouted = ui.latest.filter((r: { route: string }) => r.route === "none");
        assert.deepEqual(unrouted.map((r: { status: number }) => r.status), [400]);
        const refusedByBudget = ui.latest.find((r: { status: number }) => r.status === 429);
        assert.deepEqual([refusedByBudget.provider, refusedByBudget.model], ["bud", "claude-y"]);
        const page = await (await get("/ui")).text();
        assert.match(page, /<th[^>]*>ttft<\/th>/);

        // The ledger: same requests, errors and tokens as /metrics; cost from the prices.
        assert.ok(usage);
        const total = usage.total;
        assert.equal(total.requests, requests);
        // Budget 429, allow-list 403, refused before routing, mid-stream error, cancelled.
        assert.equal(total.errors, 5);
        assert.equal(total.input_tokens, sum(m, "ccp_tokens_total", { kind: "input" }));
        assert.equal(total.output_tokens, sum(m, "ccp_tokens_total", { kind: "output" }));
        assert.equal(
          total.cache_read_input_tokens,
          sum(m, "ccp_tokens_total", { kind: "cache_read" }),
        );
        assert.equal(
          total.cache_creation_input_tokens,
          sum(m, "ccp_tokens_total", { kind: "cache_write" }),
        );
        const byRoute = new Map(usage.rows.map((r) => [r.key, r]));
        const perClaudeX = (3 * 20 + 15 * 7 + 0.3 * 3 + 3.75 * 2) / 1e6;
        assert.ok(Math.abs(byRoute.get("default")!.cost_usd! - 2 * perClaudeX) < 1e-12);
        assert.ok(Math.abs(byRoute.get("sonnet")!.cost_usd! - 2 * (11 + 2 * 5) / 1e6) < 1e-12);
        assert.equal(byRoute.get("budgeted")!.cost_usd, null); // no price known for bud
        // /metrics counts the same cost, route by route, as the ledger records.
        for (const row of usage.rows) {
          const counted = sum(m, "ccp_cost_usd_total", { route: row.key });
          assert.ok(Math.abs(counted - (row.cost_usd ?? 0)) < 1e-12, `${row.key}: ${counted}`);
        }
        assert.ok(sum(m, "ccp_cost_usd_total") > 0);
        assert.deepEqual([byRoute.get("none")?.requests, byRoute.get("none")?.errors], [1, 1]);
        assert.equal(byRoute.get("-"), undefined);
        assert.deepEqual([byRoute.get("default")!.requests, byRoute.get("default")!.errors], [
          3,
          1,
        ]);

        const byClient = await (await get("/v1/ccp/usage?since=24h&by=client")).json();
        assert.deepEqual(
          byClient.rows.map((r: Row) => [r.key, r.requests, r.errors]),
          [["ci", 1, 1], ["default", requests - 1, 4]],
        );
        const byProvider = await (await get("/v1/ccp/usage?since=24h&by=provider")).json();
        const budRow = byProvider.rows.find((r: Row) => r.key === "bud");
        assert.deepEqual([budRow?.requests, budRow?.errors], [2, 1]);

        // The request log: one line per Messages request, with its attempts; none for counts.
        const lines = ccp.stderr().split("\n").filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => l.request_id !== undefined);
        assert.equal(lines.length, requests);
        assert.ok(lines.every((l) => l.path === "/v1/messages"));
        const line429 = lines.find((l) => l.route === "fo429")!;
        assert.equal(line429.provider, "an");
        assert.deepEqual(
          (line429.attempts as { provider: string; status: number; outcome: string }[])
            .map((a) => [a.provider, a.status, a.outcome]),
          [["oa", 429, "failed"], ["an", 200, "answered"]],
        );
        for (const l of lines) {
          assert.equal(l.ttft_ms !== undefined, l.stream === true, JSON.stringify(l));
        }
        assert.deepEqual(lines.filter((l) => l.route === "none").map((l) => l.status), [400]);
        const budgetLine = lines.find((l) => l.status === 429)!;
        assert.deepEqual([budgetLine.provider, budgetLine.model], ["bud", "claude-y"]);
        assert.match(String(budgetLine.msg), /→ bud\/claude-y 429/);

        // `ccp usage` reads the same ledger as the server.
        const cli = await runCcp(
          ["usage", "--config", "c.yaml", "--since", "24h", "--by", "route", "--json"],
          { cwd: dir, env },
        );
        assert.equal(cli.code, 0, cli.stderr);
        assert.deepEqual(JSON.parse(cli.stdout).total, usage.total);
        assert.deepEqual(JSON.parse(cli.stdout).rows, usage.rows);
      } finally {
        await ccp.kill();
      }
    });
  } finally {
    await upstream.close();
  }
});
