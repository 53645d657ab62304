/**
 * Concurrency limits through the real server (startCcp) against fault-injecting upstreams on real
 * sockets: a client that leaves frees its limiter slot, max_concurrency queues in FIFO order
 * without polling, and a full wait queue answers 429 at once.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { rawPost } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import {
  assertComplete,
  at,
  type Events,
  expectError,
  messageBody,
  readStream,
  setup,
  until,
} from "./_resilience_env.ts";

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
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
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
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const wallMs = performance.now() - wallBefore;
  assert.ok(
    cpuMs < wallMs * 0.5,
    `CPU ${cpuMs.toFixed(0)} ms over ${wallMs.toFixed(0)} ms: busy loop?`,
  );
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
    /queue for provider "p" is full \(1 requests waiting; max_concurrency 1\)/,
  );
  assertComplete(await active, "claude-opus-5-5");
  assertComplete(await queued, "claude-opus-5-5");
  assert.equal(up.requests.length, 2);
});
