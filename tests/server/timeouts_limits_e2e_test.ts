/**
 * Timeouts, client departures and the per-provider limits (max_concurrency, its wait queue)
 * through the real server (startCcp) against fault-injecting upstreams on real sockets. Every
 * error the client sees is checked to be a well-formed Anthropic error.
 */

import assert from "node:assert/strict";
import { rawPost } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import {
  assertComplete,
  assertErrorFrame,
  at,
  type Events,
  expectError,
  FAST,
  messageBody,
  readStream,
  setup,
  until,
} from "./_resilience_env.ts";

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
  // The message ends with the setting to raise.
  assert.match(
    error.message,
    /\(idle timeout\); raise providers\.p\.timeouts\.idle in the config$/,
  );
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
    assert.match(
      env.ccp.logs.join(""),
      /\(first_byte timeout\) \(model m1, [^)]+\); raise providers\.a\.timeouts\.first_byte in the config/,
    );
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

Deno.test("client disconnect mid-stream aborts the upstream within 1 s and frees the limiter slot", async () => {
  const up = startFaultMock({
    replies: [{ kind: "drip", everyMs: 200, deltas: 20 }, { kind: "ok" }],
  });
  await using env = setup(
    [up],
    testConfig({ providers: [at(up, "p", { maxConcurrency: 1 })], routes: { default: "p/m" } }),
  );
  const conn = await rawPost(
    env.ccp.url,
    "/v1/messages",
    { "content-type": "application/json" },
    JSON.stringify(messageBody("claude-opus-5-5", true)),
  );
  let seen = "";
  const buffer = new Uint8Array(4096);
  while (!seen.includes("content_block_start")) {
    const n = await conn.read(buffer);
    assert.ok(n !== null, "the stream started");
    seen += new TextDecoder().decode(buffer.subarray(0, n));
  }
  const hungUpAt = performance.now();
  conn.close();
  await until("the upstream to see the abort", () => up.requests[0]!.aborted, 1000);
  assert.ok(up.requests[0]!.endedAt! - hungUpAt < 1000);
  assert.ok(up.requests[0]!.eventsSent < 10, "the drip stopped early");
  assert.equal(await up.waitIdle(1000), 0);

  // The only slot of this max_concurrency: 1 provider is free again: served at once.
  const started = performance.now();
  assertComplete(await readStream(await env.send()), "claude-opus-5-5");
  assert.ok(performance.now() - started < 500, "not queued behind the abandoned stream");
  assert.deepEqual((await env.health()).resilience.providers.p!.limiter, {
    active: 0,
    queued: 0,
    inWindow: 0,
  });
});

Deno.test("max_concurrency 1: concurrent requests queue and are served in FIFO order, without polling", async () => {
  const up = startFaultMock({ replies: [{ kind: "drip", everyMs: 80, deltas: 1 }] });
  await using env = setup(
    [up],
    testConfig({ providers: [at(up, "p", { maxConcurrency: 1 })], routes: { default: "p/m" } }),
  );
  const wakeups = countTimers();
  const order = ["first", "second", "third"];
  const answers: Promise<Events>[] = [];
  for (const name of order) {
    answers.push(env.send(`p/${name}`).then(readStream));
    // Each one is inside ccp before the next is sent: arrival order is known.
    await until(`${name} to arrive`, async () => {
      const { active, queued } = (await env.health()).resilience.providers.p?.limiter ??
        { active: 0, queued: 0 };
      return active + queued === answers.length;
    });
  }
  const { limiter } = (await env.health()).resilience.providers.p!;
  assert.deepEqual([limiter.active, limiter.queued], [1, 2]);
  for (const [i, events] of (await Promise.all(answers)).entries()) {
    assertComplete(events, `p/${order[i]}`);
  }
  assert.deepEqual(up.requests.map((r) => r.model), order);
  for (let i = 1; i < up.requests.length; i++) {
    assert.ok(up.requests[i]!.at >= up.requests[i - 1]!.endedAt!, "one at a time, no overlap");
  }
  const timers = wakeups.stop();
  assert.ok(timers < 60, `${timers} timers set while requests waited: polling?`);
});

Deno.test("a full wait queue answers 429 at once", async () => {
  const up = startFaultMock({ replies: [{ kind: "drip", everyMs: 60, deltas: 1 }] });
  await using env = setup(
    [up],
    testConfig({ providers: [at(up, "p", { maxConcurrency: 1 })], routes: { default: "p/m" } }),
    { maxQueue: 1 },
  );
  const active = env.send().then(readStream);
  await until("the first request to hold the slot", () => up.requests.length === 1);
  const queued = env.send().then(readStream);
  await until(
    "the second request to queue",
    async () => (await env.health()).resilience.providers.p!.limiter.queued === 1,
  );
  const started = performance.now();
  const res = await env.send();
  assert.ok(performance.now() - started < 200, "refused without waiting");
  assert.equal(res.headers.get("retry-after"), "1");
  const error = await expectError(res, 429, "rate_limit_error");
  assert.match(
    error.message,
    /^provider "p" model "m": ccp's queue for provider "p" is full \(1 requests waiting; max_concurrency 1\)/,
  );
  assertComplete(await active, "claude-opus-5-5");
  assertComplete(await queued, "claude-opus-5-5");
  assert.equal(up.requests.length, 2);
});

/**
 * Counts the timers this worker sets until `stop`: `setTimeout`s, and the `AbortSignal.timeout`s
 * ccp's deadlines wake on. A limiter that polled would set one per poll while requests wait; one
 * that waits on its queue sets none. Counted here rather than as CPU: the process's CPU includes
 * the test file `deno test --parallel` runs beside this one.
 */
function countTimers(): { stop(): number } {
  const { setTimeout: originalTimeout } = globalThis;
  const originalSignal = AbortSignal.timeout;
  let count = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    count++;
    return originalTimeout(...args);
  }) as typeof setTimeout;
  AbortSignal.timeout = (ms: number) => {
    count++;
    return originalSignal.call(AbortSignal, ms);
  };
  return {
    stop() {
      globalThis.setTimeout = originalTimeout;
      AbortSignal.timeout = originalSignal;
      return count;
    },
  };
}
