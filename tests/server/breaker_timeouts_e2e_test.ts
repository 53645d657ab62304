/**
 * Circuit breakers and timeouts through the real server (startCcp) against fault-injecting
 * upstreams on real sockets: a breaker that opens, skips and half-opens, an idle stream cut with
 * an `event: error`, and silent targets abandoned at the first-byte timeout.
 */

import assert from "node:assert/strict";
import { type Fault, startFaultMock } from "../mocks/fault_mock.ts";
import {
  assertComplete,
  assertErrorFrame,
  at,
  FAST,
  readStream,
  setup,
  sleep,
  status,
} from "./_resilience_env.ts";
import { testConfig } from "../helpers/config.ts";

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
    { breaker: { threshold: 3, baseMs: 400 } },
  );
  for (let i = 0; i < 3; i++) assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.equal(flaky.requests.length, 3);
  let target = (await env.health()).resilience.targets["a/m1"]!;
  assert.deepEqual([target.state, target.failures], ["open", 3]);

  const started = performance.now();
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.ok(performance.now() - started < 300, "the open target cost no wait");
  assert.equal(flaky.requests.length, 3, "the open target was skipped");
  assert.equal(fallback.requests.length, 4);

  await sleep(450);
  assert.equal((await env.health()).resilience.targets["a/m1"]!.state, "half_open");
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

Deno.test("idle timeout mid-stream → event: error naming it, and the upstream connection is closed", async () => {
  const up = startFaultMock({ replies: [{ kind: "stall", afterEvents: 2 }] });
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "p", { timeouts: { ...FAST, idleMs: 300 } })],
      routes: { default: "p/m" },
    }),
  );
  const started = performance.now();
  const events = await readStream(await env.send());
  assert.deepEqual(events.map((e) => e.event), ["message_start", "content_block_start", "error"]);
  const error = assertErrorFrame(events);
  assert.equal(error.type, "api_error");
  assert.match(error.message, /^Provider "p" \(model m\) failed mid-stream: /);
  assert.match(error.message, /no data from provider "p" for 300ms \(idle timeout\)/);
  assert.ok(performance.now() - started < 1500);
  assert.equal(await up.waitIdle(1000), 0, "the upstream connection was closed");
  assert.equal(up.requests[0]!.aborted, true);
  assert.equal((await env.health()).resilience.targets["p/m"]!.failures, 1);
});

Deno.test("first_byte timeout: a silent target is abandoned for the next one", async (t) => {
  await t.step("no answer at all (hang before headers) → next target", async () => {
    const silent = startFaultMock({ replies: [{ kind: "hang" }] });
    const next = startFaultMock();
    await using env = setup(
      [silent, next],
      testConfig({
        providers: [at(silent, "a", { timeouts: { ...FAST, firstByteMs: 300 } }), at(next, "b")],
        routes: { default: ["a/m1", "b/m2"] },
      }),
    );
    const started = performance.now();
    assertComplete(await readStream(await env.send()), "claude-opus-5-5");
    const took = performance.now() - started;
    assert.ok(took >= 290 && took < 1500, `took ${took} ms`);
    assert.equal(next.requests.length, 1);
    assert.equal(await silent.waitIdle(1000), 0, "the abandoned connection was closed");
    assert.equal(silent.requests[0]!.aborted, true);
    assert.match(env.ccp.logs.join(""), /within 300ms \(first_byte timeout\)/);
  });

  // Servers like vLLM and llama.cpp send headers at once; ccp reads the first body byte before it
  // commits the answer, so a first_byte timeout after early headers still fails over.
  await t.step("headers, then no body byte → the next target answers", async () => {
    const silent = startFaultMock({ replies: [{ kind: "stall", afterEvents: 0 }] });
    const next = startFaultMock();
    await using env = setup(
      [silent, next],
      testConfig({
        providers: [at(silent, "a", { timeouts: { ...FAST, firstByteMs: 300 } }), at(next, "b")],
        routes: { default: ["a/m1", "b/m2"] },
      }),
    );
    const events = await readStream(await env.send());
    assert.equal(events.at(-1)?.event, "message_stop");
    assert.equal(next.requests.length, 1);
    assert.equal(await silent.waitIdle(1000), 0);
  });
});
