/**
 * Failover, key rotation and breakers through the real server (startCcp)
 * against fault-injecting upstreams on real sockets. Every error the client sees is checked to
 * be a well-formed Anthropic error: a JSON body with a matching status, or an `event: error`.
 */

import assert from "node:assert/strict";
import { provider, testConfig } from "../helpers/config.ts";
import { type Fault, startFaultMock } from "../mocks/fault_mock.ts";
import {
  assertComplete,
  at,
  expectError,
  FAST,
  readStream,
  setup,
  sleep,
  status,
} from "./_resilience_env.ts";
import { closedPort } from "../helpers/ports.ts";

// Keys are not `sk-…`-shaped on purpose: only ccp's redaction, not the pattern scrubber, hides them.
const KEY_A = "alpha-credential-0001-Qa1x";
const KEY_B = "bravo-credential-0002-Rb2y";

Deno.test("a 3-target chain reaches the third target before the first byte", async () => {
  const first = startFaultMock({ replies: [status(503, undefined, "upstream busy")] });
  const third = startFaultMock();
  const refused = `http://127.0.0.1:${closedPort()}`;
  await using env = setup(
    [first, third],
    testConfig({
      providers: [
        at(first, "a"),
        provider("b", { baseUrl: refused, timeouts: FAST }),
        at(third, "c"),
      ],
      routes: { default: ["a/m1", "b/m2", "c/m3"] },
    }),
  );
  const events = await readStream(await env.send());
  assertComplete(events, "claude-opus-5-5");
  assert.deepEqual(first.requests.map((r) => [r.model, r.status]), [["m1", 503]]);
  assert.deepEqual(third.requests.map((r) => [r.model, r.status]), [["m3", 200]]);
  const log = env.ccp.logs.join("");
  assert.match(
    log,
    // A keyless provider's attempt names no key: "no key:" read as the cause of the failure.
    /provider "a" model "m1": .*answered HTTP 503: upstream busy → next_target/,
  );
  assert.match(log, /provider "b" .*connection refused/);
  assert.match(log, /claude-opus-5-5 → c\/m3 200/);
  assert.equal(await first.waitIdle(1000), 0);
  assert.equal(await third.waitIdle(1000), 0);
});

Deno.test("a 429 on key A rotates to key B of the same provider before moving targets", async () => {
  const up = startFaultMock({ byKey: { [KEY_A]: status(429, 1, "rate limit exceeded") } });
  const next = startFaultMock();
  await using env = setup(
    [up, next],
    testConfig({
      providers: [at(up, "p", { apiKeys: [KEY_A, KEY_B] }), at(next, "q")],
      routes: { default: ["p/m", "q/m"] },
    }),
  );
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.deepEqual(up.requests.map((r) => [r.key, r.status]), [[KEY_A, 429], [KEY_B, 200]]);
  assert.equal(next.requests.length, 0, "the next target was not needed");
  // Key A cools down for model m only: it still serves the provider's other models.
  const keys = (await env.health()).resilience.providers.p!.keys;
  assert.deepEqual(keys.map((k) => [k.state, Object.keys(k.models ?? {})]), [["ready", ["m"]], [
    "ready",
    [],
  ]]);
});

Deno.test("a 401 key is set aside, the next request goes straight to the other key, logs show …last4", async () => {
  const echo = `invalid x-api-key: ${KEY_A}`; // some providers echo the key back
  const up = startFaultMock({ byKey: { [KEY_A]: status(401, undefined, echo) } });
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "p", { apiKeys: [KEY_A, KEY_B] })],
      routes: { default: "p/m" },
    }),
  );
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.deepEqual(up.requests.map((r) => r.key), [KEY_A, KEY_B, KEY_B]);

  const log = env.ccp.logs.join("");
  assert.match(
    log,
    /provider "p" model "m" key 1 \(…Qa1x\): .*answered HTTP 401.*: invalid x-api-key: \[redacted\] → rotate_key/,
  );
  const health = await env.health();
  const keys = health.resilience.providers.p!.keys;
  assert.deepEqual(keys.map((k) => [k.label, k.state, k.status]), [
    ["key 1 (…Qa1x)", "blocked", 401],
    ["key 2 (…Rb2y)", "ready", undefined],
  ]);
  for (const text of [log, JSON.stringify(health)]) {
    assert.ok(!text.includes(KEY_A) && !text.includes(KEY_B), "a full key leaked");
  }
});

Deno.test("every key 429 with a long Retry-After → 429 model_cooldown", async (t) => {
  const script = () => status(429, 60, "rate limit exceeded for this key");
  const a = startFaultMock({ script });
  const b = startFaultMock({ script });
  await using env = setup(
    [a, b],
    testConfig({
      providers: [
        at(a, "p", { apiKeys: [KEY_A, KEY_B] }),
        at(b, "q", { apiKeys: ["charlie-credential-03-Sc3z"] }),
      ],
      routes: { default: ["p/m1", "q/m2"] },
    }),
  );

  await t.step("every key of every target rate-limited: the model_cooldown body", async () => {
    const res = await env.send();
    assert.equal(res.headers.get("retry-after"), "60");
    const error = await expectError(res, 429, "rate_limit_error");
    assert.deepEqual(Object.keys(error).sort(), ["code", "message", "retry_after", "type"]);
    assert.equal(error.code, "model_cooldown");
    assert.equal(error.retry_after, 60);
    assert.match(error.message, /provider "p" model "m1": 2 keys cooling down after 429/);
    assert.match(error.message, /provider "q" model "m2": 1 key cooling down after 429/);
    assert.ok(!error.message.includes(KEY_A), "a key leaked");
    assert.deepEqual(a.requests.map((r) => r.key), [KEY_A, KEY_B]);
    assert.equal(b.requests.length, 1);
  });

  await t.step("while the announced wait runs, a request tries the soonest key once", async () => {
    const res = await env.send();
    assert.equal(res.headers.get("retry-after"), "60");
    const error = await expectError(res, 429, "rate_limit_error");
    assert.equal(error.code, "model_cooldown");
    assert.equal(a.requests.length + b.requests.length, 4, "one upstream attempt, not one per key");
    const { providers } = (await env.health()).resilience;
    assert.deepEqual(
      [...providers.p!.keys, ...providers.q!.keys].map((k) => Object.keys(k.models ?? {})),
      [["m1"], ["m1"], ["m2"]],
    );
  });
});

Deno.test("a Retry-After of a second is waited out inside ccp: the client never sees the 429", async () => {
  let limited = true;
  const up = startFaultMock({
    script: () => {
      if (!limited) return undefined;
      limited = false;
      return status(429, 1, "rate limit exceeded");
    },
  });
  await using env = setup(
    [up],
    testConfig({ providers: [at(up, "p", { apiKeys: [KEY_A] })], routes: { default: "p/m" } }),
  );
  const started = performance.now();
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.ok(performance.now() - started >= 900, "waited for the announced second");
  assert.deepEqual(up.requests.map((r) => r.status), [429, 200]);
});

Deno.test("every key refused (401/403) → 503 auth_unavailable, never a 401", async () => {
  const a = startFaultMock({ replies: [status(401, undefined, `bad key ${KEY_A}`)] });
  const b = startFaultMock({ replies: [status(403, undefined, "key disabled")] });
  await using env = setup(
    [a, b],
    testConfig({
      providers: [at(a, "p", { apiKeys: [KEY_A, KEY_B] }), at(b, "q", { apiKeys: [KEY_B] })],
      routes: { default: ["p/m1", "q/m2"] },
    }),
  );
  for (const round of [1, 2]) {
    const res = await env.send();
    assert.ok(Number(res.headers.get("retry-after")) > 0, "Retry-After is set");
    const error = await expectError(res, 503, "api_error");
    assert.deepEqual(Object.keys(error).sort(), [
      "blocked",
      "code",
      "message",
      "recent_statuses",
      "type",
    ]);
    assert.equal(error.code, "auth_unavailable");
    assert.equal(error.blocked, 3);
    assert.deepEqual([...error.recent_statuses as number[]].sort(), [401, 403]);
    assert.match(error.message, /provider "p" model "m1": 2 keys refused with 401/);
    assert.match(error.message, /provider "q" model "m2": 1 key refused with 403/);
    assert.ok(!error.message.includes(KEY_A) && !error.message.includes(KEY_B));
    // Each later request re-tries every set-aside key once before giving up (a key may have
    // been fixed upstream); keys refused during a request are not asked twice in it.
    assert.equal(a.requests.length + b.requests.length, 3 * round, `round ${round}`);
  }
});

Deno.test("circuit breaker: opens after 3 failures, the chain skips to the fallback at once, then half-opens", async () => {
  const flaky = startFaultMock({
    replies: [status(500), status(500), status(500), { kind: "ok" }],
  });
  const fallback = startFaultMock();
  await using env = setup(
    [flaky, fallback],
    testConfig({
      providers: [at(flaky, "a"), at(fallback, "b")],
      routes: { default: ["a/m1", "b/m2"] },
    }),
    // The open period is long enough that a loaded machine cannot reach half-open before the
    // checks of the open state below run.
    { breaker: { threshold: 3, baseMs: 2_000 } },
  );
  for (let i = 0; i < 3; i++) assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.equal(flaky.requests.length, 3);
  let target = (await env.health()).resilience.targets["a/m1"]!;
  assert.deepEqual([target.state, target.failures], ["open", 3]);

  const started = performance.now();
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.ok(performance.now() - started < 1_500, "the open target cost no wait");
  assert.equal(flaky.requests.length, 3, "the open target was skipped");
  assert.equal(fallback.requests.length, 4);

  const halfOpen = await untilTargetState(env, "a/m1", "half_open", 5_000);
  assert.equal(halfOpen, "half_open");
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.equal(flaky.requests.length, 4, "one trial went to the recovered target");
  assert.equal(fallback.requests.length, 4);
  target = (await env.health()).resilience.targets["a/m1"]!;
  assert.deepEqual([target.state, target.failures], ["closed", 0]);
});

Deno.test("circuit breaker under concurrency: answers still streaming vouch for the target", async () => {
  // Arrival order at the target: a slow answer, two 500s, a slow answer, a 500. Three failures,
  // but never three without an answer between them: the circuit must stay closed.
  const slow: Fault = { kind: "drip", everyMs: 100, deltas: 3 };
  const target = startFaultMock({
    replies: [slow, status(500), status(500), slow, status(500), { kind: "ok" }],
  });
  const fallback = startFaultMock();
  await using env = setup(
    [target, fallback],
    testConfig({
      providers: [at(target, "a"), at(fallback, "b")],
      routes: { default: ["a/m1", "b/m2"] },
    }),
  );
  // Each send resolves at the answer's headers; the two slow bodies are read at the end.
  const open: Response[] = [];
  for (let i = 0; i < 5; i++) open.push(await env.send());
  assert.deepEqual(target.requests.map((r) => r.status), [200, 500, 500, 200, 500]);
  const breaker = (await env.health()).resilience.targets["a/m1"]!;
  assert.deepEqual([breaker.state, breaker.failures], ["closed", 1]);
  for (const res of open) assertComplete(await readStream(res), "claude-opus-5-5");
  assert.equal(fallback.requests.length, 3);
  assert.equal((await env.health()).resilience.targets["a/m1"]!.failures, 0);
});

Deno.test("a 5xx is retried on ccp's backoff: rate-limit reset headers are no wait hint for it", async () => {
  // Groq and OpenAI send their rate-limit windows on every answer, a 503 included: when the
  // token window resets says nothing of when the server recovers.
  const up = startFaultMock({
    replies: [
      {
        kind: "status",
        status: 503,
        message: "over capacity",
        headers: {
          "x-ratelimit-remaining-tokens": "5000",
          "x-ratelimit-reset-tokens": "2m0s",
          "x-ratelimit-reset-requests": "3m0s",
        },
      },
      { kind: "ok" },
    ],
  });
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "p", { maxRetries: 2, fallbackOn: [] })],
      routes: { default: "p/m" },
    }),
  );
  const started = performance.now();
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.equal(up.requests.length, 2, "retried in place");
  assert.ok(performance.now() - started < 3000, "after a backoff of a second or less");
});

Deno.test("a 403 for one model does not keep the key from the route's other models", async (t) => {
  // An account without access to one model (403) still serves the others: `[p/m1, p/m2]` with
  // one key reaches m2, on this request and on the next ones, which do not ask m1 again.
  await t.step("403 for m1: m2 answers, m1 is set aside alone", async () => {
    const up = startFaultMock({
      script: (r) => r.model === "m1" ? status(403, undefined, "no access to model m1") : undefined,
    });
    await using env = setup(
      [up],
      testConfig({
        providers: [at(up, "p", { apiKeys: [KEY_A] })],
        routes: { default: ["p/m1", "p/m2"] },
      }),
    );
    for (let i = 0; i < 2; i++) {
      const res = await env.send();
      assert.equal(res.headers.get("x-ccp-model"), "m2");
      assertComplete(await readStream(res), "claude-opus-5-5");
    }
    assert.deepEqual(up.requests.map((r) => [r.model, r.status]), [
      ["m1", 403],
      ["m2", 200],
      ["m2", 200],
    ]);
    const [key] = (await env.health()).resilience.providers.p!.keys;
    assert.equal(key!.state, "ready");
    assert.deepEqual(Object.keys(key!.setAside ?? {}), ["m1"]);
  });
  await t.step("401 (the key is refused): not asked again for m2", async () => {
    const up = startFaultMock({ replies: [status(401, undefined, "invalid key")] });
    await using env = setup(
      [up],
      testConfig({
        providers: [at(up, "p", { apiKeys: [KEY_A] })],
        routes: { default: ["p/m1", "p/m2"] },
      }),
    );
    const error = await expectError(await env.send(), 503, "api_error");
    assert.equal(error.code, "auth_unavailable");
    assert.deepEqual(up.requests.map((r) => r.model), ["m1"]);
  });
});

Deno.test("auth_unavailable says what the upstream answered, not only its status", async () => {
  // A 403 is as often a model or content refusal as a wrong key: the client is told the
  // upstream's words, on the request that met it and on the later ones. (A region refusal ccp
  // tells apart: tests/server/region_refusal_e2e_test.ts.)
  const up = startFaultMock({
    replies: [status(403, undefined, "This key may not use model m in this project")],
  });
  await using env = setup(
    [up],
    testConfig({ providers: [at(up, "p", { apiKeys: [KEY_A] })], routes: { default: "p/m" } }),
  );
  for (let i = 0; i < 2; i++) {
    const error = await expectError(await env.send(), 503, "api_error");
    assert.equal(error.code, "auth_unavailable");
    assert.match(
      error.message,
      /provider "p" model "m": 1 key refused with 403 \(tried again in \d+s; last: .*This key may not use model m in this project\)/,
    );
  }
});

/** Polls /health until a target reaches a state or the time runs out; returns the last state. */
async function untilTargetState(
  env: { health(): Promise<{ resilience: { targets: Record<string, { state: string }> } }> },
  target: string,
  wanted: string,
  withinMs: number,
): Promise<string | undefined> {
  const until = performance.now() + withinMs;
  let state: string | undefined;
  while (performance.now() < until) {
    state = (await env.health()).resilience.targets[target]?.state;
    if (state === wanted) break;
    await sleep(50);
  }
  return state;
}
