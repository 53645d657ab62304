/** The request pipeline through the real server: records, x-ccp headers, count_tokens. */

import assert from "node:assert/strict";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startCcp } from "../helpers/ccp.ts";
import { anthropicErrorBody, thinkingTextToolMessage } from "../mocks/anthropic_fixtures.ts";
import { type MockReply, startAnthropicMock } from "../mocks/anthropic_mock.ts";

const KEY_A = "sk-ant-api03-AAAAKEY000000000001";
const KEY_B = "sk-ant-api03-BBBBKEY000000000002";

function setup(repliesA: MockReply[], repliesB: MockReply[]) {
  const a = startAnthropicMock(repliesA);
  const b = startAnthropicMock(repliesB);
  const records: RequestRecord[] = [];
  const started: string[] = [];
  const config = testConfig({
    providers: [
      provider("a", { baseUrl: a.url, apiKeys: [KEY_A], maxRetries: 0 }),
      provider("b", { baseUrl: b.url, apiKeys: [KEY_B], maxRetries: 0 }),
    ],
    routes: { default: "a/m1", opus: ["a/m1", "b/m2"] },
  });
  const ccp = startCcp(config, {
    observers: [{ started: (r) => started.push(r.id), ended: (r) => records.push(r) }],
  });
  return {
    a,
    b,
    ccp,
    records,
    started,
    async [Symbol.asyncDispose]() {
      await ccp.close();
      await a.close();
      await b.close();
    },
  };
}

const post = (
  url: string,
  path: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
) =>
  fetch(`${url}${path}`, {
    method: "POST",
    ...(signal ? { signal } : {}),
    headers: { "content-type": "application/json", "x-claude-code-session-id": "sess-9" },
    body: JSON.stringify(body),
  });

const ask = (model: string) => ({
  model,
  max_tokens: 100,
  messages: [{ role: "user", content: "hi" }],
});

Deno.test("pipeline: a failover is one record with every attempt, and headers name who served", async () => {
  await using env = setup(
    [{ kind: "json", status: 503, body: anthropicErrorBody("overloaded_error", "busy") }],
    [{ kind: "json", body: thinkingTextToolMessage("m2") }],
  );
  const res = await post(env.ccp.url, "/v1/messages", ask("claude-opus-5-5"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-ccp-route"), "opus");
  assert.equal(res.headers.get("x-ccp-provider"), "b");
  assert.equal(res.headers.get("x-ccp-model"), "m2");
  const message = await res.json();
  assert.equal(message.model, "claude-opus-5-5");
  // What reached each upstream.
  assert.equal(env.a.requests.length, 1);
  assert.equal(env.b.requests.length, 1);
  assert.equal(env.b.requests[0]!.body!.model, "m2");

  assert.equal(env.records.length, 1);
  const r = env.records[0]!;
  assert.deepEqual(env.started, [r.id]);
  assert.equal(res.headers.get("request-id"), r.id);
  assert.equal(r.session, "sess-9");
  assert.equal(r.clientModel, "claude-opus-5-5");
  assert.equal(r.route, "opus");
  assert.equal(r.stream, false);
  assert.equal(r.status, 200);
  assert.equal(r.outcome, "ok");
  assert.equal(r.provider, "b");
  assert.equal(r.model, "m2");
  assert.deepEqual(
    r.attempts.map((x) => [x.provider, x.model, x.status, x.outcome, x.keyLabel]),
    [["a", "m1", 503, "failed", "key 1 (…0001)"], ["b", "m2", 200, "answered", "key 1 (…0002)"]],
  );
  assert.match(r.attempts[0]!.reason ?? "", /503/);
  assert.ok(r.usage.inputTokens !== undefined && r.usage.outputTokens !== undefined);
  assert.equal(r.ttftMs, undefined); // a JSON answer has no time to first token
  assert.ok(!JSON.stringify(r).includes(KEY_A) && !JSON.stringify(r).includes(KEY_B));
});

Deno.test("pipeline: an error answer names the route and the last target tried", async () => {
  const fail: MockReply = {
    kind: "json",
    status: 500,
    body: anthropicErrorBody("api_error", "boom"),
  };
  await using env = setup([fail], [fail]);
  const res = await post(env.ccp.url, "/v1/messages", ask("claude-opus-5-5"));
  assert.equal(res.status, 502);
  assert.equal(res.headers.get("x-ccp-route"), "opus");
  assert.equal(res.headers.get("x-ccp-provider"), "b");
  assert.equal(res.headers.get("x-ccp-model"), "m2");
  const body = await res.json();
  assert.equal(body.type, "error");
  const r = env.records[0]!;
  assert.equal(r.status, 502);
  assert.equal(r.outcome, "error");
  assert.equal(r.errorType, "api_error");
  assert.equal(r.attempts.length, 2);
});

Deno.test("pipeline: a client that leaves before the upstream answers is recorded against the target", async () => {
  // Esc in Claude Code while the model has not answered yet: the request was sent to a/m1, so
  // the log line, the ledger (`ccp usage --by model`) and the status line must name it.
  await using env = setup([{ kind: "hang" }], []);
  const leave = new AbortController();
  const res = post(env.ccp.url, "/v1/messages", ask("claude-3-haiku"), leave.signal);
  while (env.a.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  leave.abort();
  await res.catch(() => {});
  while (env.records.length === 0) await new Promise((r) => setTimeout(r, 5));
  const r = env.records[0]!;
  assert.equal(r.status, 499);
  assert.equal(r.outcome, "cancelled");
  assert.equal(r.provider, "a");
  assert.equal(r.model, "m1");
  assert.equal(r.attempts.length, 1);
  assert.equal(r.attempts[0]!.outcome, "failed");
  assert.equal(r.attempts[0]!.status, undefined);
  assert.match(r.attempts[0]!.reason ?? "", /client disconnected/);
});

Deno.test("pipeline: a request refused before any upstream is still recorded", async () => {
  await using env = setup([], []);
  const res = await post(env.ccp.url, "/v1/messages", { model: "x", messages: [] });
  assert.equal(res.status, 400);
  assert.equal(env.records.length, 1);
  assert.equal(env.records[0]!.status, 400);
  assert.equal(env.records[0]!.errorType, "invalid_request_error");
  assert.equal(env.records[0]!.attempts.length, 0);
  assert.equal(env.a.requests.length + env.b.requests.length, 0);
});

Deno.test("pipeline: count_tokens goes through the key pool, or counts locally", async (t) => {
  await t.step("the route's Anthropic endpoint counts, with the provider's key", async () => {
    await using env = setup([{ kind: "json", body: { input_tokens: 42 } }], []);
    const res = await post(env.ccp.url, "/v1/messages/count_tokens", {
      model: "claude-opus-5-5",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.deepEqual(await res.json(), { input_tokens: 42 });
    assert.equal(env.a.requests[0]!.path, "/v1/messages/count_tokens");
    assert.equal(env.a.requests[0]!.headers.get("x-api-key"), KEY_A);
    assert.equal(env.a.requests[0]!.body!.model, "m1");
    assert.equal(env.records.length, 0, "count_tokens is not a Messages request record");
    assert.ok(env.ccp.logs.some((l) => l.includes("count_tokens claude-opus-5-5 → a/m1 200")));
  });
  await t.step("an upstream that cannot count leaves it to ccp", async () => {
    await using env = setup([{
      kind: "json",
      status: 404,
      body: anthropicErrorBody("not_found_error", "no such endpoint"),
    }], []);
    const res = await post(env.ccp.url, "/v1/messages/count_tokens", {
      model: "claude-opus-5-5",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.deepEqual(await res.json(), { input_tokens: 7 });
    assert.equal(env.a.requests.length, 1);
    assert.ok(env.ccp.logs.some((l) => l.includes("→ local 200")));
  });
});
