/**
 * The status page's latest requests say when a request failed over: a 429 on the route's first
 * target and an answer from the next is a 200 like any other, and only the tries that failed
 * before it tell what happened (as the request's log line does). A key resting after its 429
 * says until when, so the page tells when the first target serves again.
 */

import assert from "node:assert/strict";
import { RecentRequests } from "../../src/observe/recent.ts";
import { UI_PAGE } from "../../src/observe/ui/page.ts";
import type { AttemptRecord, RequestRecord } from "../../src/pipeline/record.ts";
import { uiState } from "../../src/observe/ui/state.ts";
import type { ResilienceSnapshot } from "../../src/resilience/registry.ts";
import { provider, testConfig } from "../helpers/config.ts";

function attempt(provider: string, model: string, status: number, ok: boolean): AttemptRecord {
  return {
    provider,
    model,
    keyLabel: "key 1",
    status,
    outcome: ok ? "answered" : "failed",
    startedAt: 0,
    durationMs: 3,
  };
}

function record(attempts: AttemptRecord[]): RequestRecord {
  const last = attempts.at(-1)!;
  return {
    id: "req_1",
    startedAt: 0,
    method: "POST",
    path: "/v1/messages",
    route: "default",
    provider: last.provider,
    model: last.model,
    attempts,
    status: 200,
    outcome: "ok",
    usage: { inputTokens: 5, outputTokens: 1 },
    durationMs: 4,
  };
}

Deno.test("status page: a request served after a failover names the tries that failed", () => {
  const recent = new RecentRequests();
  recent.ended(record([
    attempt("anthropic", "claude-sonnet-4-5", 429, false),
    attempt("open_router", "anthropic/claude-sonnet-4.5", 200, true),
  ]));
  recent.ended(record([attempt("anthropic", "claude-sonnet-4-5", 200, true)]));
  const [plain, failedOver] = recent.latest();
  assert.equal(plain!.failed, undefined);
  assert.equal(failedOver!.failed, "anthropic/claude-sonnet-4-5 429");
  assert.equal(failedOver!.provider, "open_router");
  // The page shows them beside the target that served, in the warning colour.
  const line = UI_PAGE.split("\n").find((l) => l.includes("r.failed ?"));
  assert.ok(line, "the served-by cell names the failed tries");
  assert.match(line, /" \(after " \+ r\.failed \+ "\)"/);
});

Deno.test("status page: a key resting after a 429 or a 401 says until when", async () => {
  const config = testConfig({
    providers: [provider("anthropic", { apiKeys: ["k1"] }), provider("nim", { apiKeys: ["k2"] })],
    routes: { default: ["anthropic/claude-sonnet-4-5", "nim/glm"] },
  });
  const until = Date.parse("2026-12-07T06:49:23.633Z");
  const snapshot = {
    providers: {
      anthropic: {
        keys: [{
          label: "key 1 (…AAAA)",
          state: "ready" as const,
          uses: 4,
          models: { "claude-sonnet-4-5": { until, hinted: true } },
        }],
        limiter: { active: 0, queued: 0, inWindow: 0 },
      },
      nim: {
        keys: [{ label: "key 1 (…BBBB)", state: "blocked" as const, uses: 0, status: 401, until }],
        limiter: { active: 0, queued: 0, inWindow: 0 },
      },
    },
    targets: {},
    learned_params: {},
  } as unknown as ResilienceSnapshot;
  const state = await uiState({
    config,
    snapshot,
    inflight: 0,
    recent: new RecentRequests(),
    version: "test",
  });
  const reasons = state.routes[0]!.targets.map((t) => t.reasons);
  assert.deepEqual(reasons, [
    ["key 1 cooling down after 429 until 2026-12-07T06:49:23Z"],
    ["key 1 set aside after 401 until 2026-12-07T06:49:23Z"],
  ]);
});

// The page's own requestRow, run with a `cell` that keeps each cell's text and class.
function renderRow(summary: object): Array<[string, string]> {
  const source = UI_PAGE.match(/function requestRow\(tr, r\) \{[\s\S]*?\n\}\n/)?.[0];
  assert.ok(source, "the page has its requestRow");
  const cells: Array<[string, string]> = [];
  const cell = (_tr: unknown, text: string, cls = "") => {
    cells.push([text, cls]);
    return {};
  };
  const n = (x: number) => x.toLocaleString("en-US");
  const requestRow = new Function("cell", "n", `${source}; return requestRow;`)(cell, n);
  requestRow({}, summary);
  return cells;
}

Deno.test("status page: a budget refusal says a budget refused it, not that its target failed", () => {
  const recent = new RecentRequests();
  recent.ended({
    ...record([attempt("open_router", "anthropic/claude-sonnet-4.5", 200, true)]),
    attempts: [],
    provider: "open_router",
    model: "anthropic/claude-sonnet-4.5",
    budget: "client carol",
    status: 429,
    outcome: "error",
    error: "Every target of this route is over a budget: budget of client carol spent for …",
  });
  const [refused] = recent.latest();
  assert.equal(refused!.budget, "client carol");
  const cells = renderRow(refused!);
  assert.deepEqual(cells[4], ["none: budget client carol spent", "warn"]);
  assert.ok(!cells.some(([text]) => text.includes("open_router")), "no target is blamed");
  // A request a target served still names it.
  const { budget: _, ...served } = refused!;
  assert.deepEqual(renderRow(served)[4], ["open_router/anthropic/claude-sonnet-4.5", ""]);
});

Deno.test("status page: a web tools request's rounds are said apart from its attempts", () => {
  const recent = new RecentRequests();
  const round = () => attempt("nim", "glm", 200, true);
  // Three rounds, the second failed over once: four sends, one of them failed.
  recent.ended(record([
    round(),
    attempt("anthropic", "claude-sonnet-4-5", 429, false),
    round(),
    round(),
  ]));
  recent.ended(record([round(), round()]));
  recent.ended(record([round()]));
  const [plain, twoRounds, failedOver] = recent.latest();
  assert.equal(plain!.rounds, undefined);
  assert.equal(plain!.attempts, 1);
  assert.equal(twoRounds!.rounds, 2);
  assert.equal(twoRounds!.attempts, 2);
  assert.equal(twoRounds!.failed, undefined);
  assert.equal(failedOver!.rounds, 3);
  assert.equal(failedOver!.attempts, 4);
  assert.equal(failedOver!.failed, "anthropic/claude-sonnet-4-5 429");
});
