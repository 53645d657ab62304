import assert from "node:assert/strict";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { type RegistryOptions, ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock, flush } from "./fake_clock.ts";
import { h, type Ok, provider, scripted, type Step } from "./helpers.ts";
import type { ProviderConfig } from "../../src/config/types.ts";

const K1 = "sk-aaaa-0000000000000001";
const K2 = "sk-bbbb-0000000000000002";
const refused = new TypeError("fetch failed", {
  cause: new Error("client error (Connect): tcp connect error: Connection refused (os error 111)"),
});

function setup(script: Record<string, Step[]>, registryOptions: RegistryOptions = {}) {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock, ...registryOptions });
  const { calls, attempt } = scripted(script);
  const dispatcher = new Dispatcher<Ok>({
    registry,
    attempt,
    clock,
    backoff: { random: () => 0.5 },
  });
  const run = (chain: DispatchTarget[], signal = new AbortController().signal) =>
    clock.run(dispatcher.dispatch(chain, signal));
  return { clock, registry, calls, dispatcher, run };
}

const to = (config: ProviderConfig, model = "m"): DispatchTarget => ({ provider: config, model });

Deno.test("Dispatcher failover", async (t) => {
  await t.step("the chain reaches the third target", async () => {
    const a = provider("a");
    const b = provider("b", { fallbackOn: [503] });
    const c = provider("c");
    const { calls, run } = setup({ a: [{ error: refused }], b: [{ status: 503 }], c: ["ok"] });
    const got = await run([to(a), to(b), to(c)]);
    assert.deepEqual(calls, ["a/m", "b/m", "c/m"]);
    assert.equal(got.target.provider.id, "c");
    assert.equal(got.attempts, 3);
    assert.equal(await got.result.response.text(), "hello from c");
    got.done();
  });

  await t.step("a 429 rotates to the provider's next key before moving target", async () => {
    const a = provider("a", { apiKeys: [K1, K2] });
    const { calls, run } = setup({ a: [{ status: 429 }, "ok"] });
    const got = await run([to(a), to(provider("b"))]);
    assert.deepEqual(calls, [`a/m ${K1}`, `a/m ${K2}`]);
    assert.equal(got.keyLabel, "key 2 (…0002)");
    got.done();
  });

  await t.step(
    "key_usage_limit from the provider config rotates keys across requests",
    async () => {
      const a = provider("a", { apiKeys: [K1, K2], keyUsageLimit: 1 });
      const { calls, run } = setup({});
      for (let i = 0; i < 3; i++) (await run([to(a)])).done();
      assert.deepEqual(calls, [`a/m ${K1}`, `a/m ${K2}`, `a/m ${K1}`]);
    },
  );

  await t.step("Retry-After: 0 on every key cannot loop forever", async () => {
    const a = provider("a", { apiKeys: [K1, K2] });
    const { calls, run } = setup({ a: [{ status: 429, headers: h({ "retry-after": "0" }) }] });
    await assert.rejects(run([to(a)]), (error: Error & { status?: number }) => {
      assert.equal(error.status, 429);
      return true;
    });
    assert.equal(calls.length, 3);
  });

  await t.step("429 on every key, then the next target", async () => {
    const a = provider("a", { apiKeys: [K1, K2] });
    const { calls, run } = setup({ a: [{ status: 429 }], b: ["ok"] });
    const got = await run([to(a), to(provider("b"))]);
    assert.deepEqual(calls, [`a/m ${K1}`, `a/m ${K2}`, "b/m"]);
    got.done();
  });

  await t.step("a 401 sets the key aside; later requests start on the next key", async () => {
    const a = provider("a", { apiKeys: [K1, K2] });
    const { calls, run } = setup({ a: [{ status: 401 }, "ok"] });
    (await run([to(a)])).done();
    (await run([to(a)])).done();
    assert.deepEqual(calls, [`a/m ${K1}`, `a/m ${K2}`, `a/m ${K2}`]);
  });

  await t.step(
    "retryable errors are retried with backoff up to max_retries, then move on",
    async () => {
      const a = provider("a", { maxRetries: 2 });
      const { calls, run, clock } = setup({ a: [{ status: 500 }], b: ["ok"] });
      const start = clock.now();
      (await run([to(a), to(provider("b"))])).done();
      assert.deepEqual(calls, ["a/m", "a/m", "a/m", "b/m"]);
      // Full jitter with random 0.5: 0.5·1 s + 0.5·2 s.
      assert.equal(clock.now() - start, 1500);
    },
  );

  await t.step("a provider's retry_delay sets the backoff; Retry-After still wins", async () => {
    const a = provider("a", { maxRetries: 3, retryDelay: { baseMs: 100, maxMs: 150 } });
    const { calls, run, clock } = setup({
      a: [
        { status: 500 },
        { status: 500 },
        { status: 503, headers: h({ "retry-after": "7" }) },
        "ok",
      ],
    });
    const start = clock.now();
    (await run([to(a)])).done();
    assert.equal(calls.length, 4);
    // Full jitter with random 0.5: 0.5·100 ms + 0.5·150 ms (capped), then the announced 7 s.
    assert.equal(clock.now() - start, 50 + 75 + 7000);
  });

  await t.step("a retry can succeed on the same target", async () => {
    const a = provider("a", { maxRetries: 3 });
    const { calls, run } = setup({ a: [{ status: 502 }, { error: new TypeError("reset") }, "ok"] });
    const got = await run([to(a), to(provider("b"))]);
    assert.deepEqual(calls, ["a/m", "a/m", "a/m"]);
    assert.equal(got.target.provider.id, "a");
    got.done();
  });

  await t.step("Retry-After sets the retry delay", async () => {
    const a = provider("a", { maxRetries: 1 });
    const { run, clock } = setup({
      a: [{ status: 503, headers: h({ "retry-after": "7" }) }, "ok"],
    });
    const start = clock.now();
    (await run([to(a)])).done();
    assert.equal(clock.now() - start, 7000);
  });

  await t.step("a Retry-After beyond the wait cap moves on without waiting", async () => {
    const a = provider("a", { maxRetries: 3 });
    const { calls, run, clock } = setup({
      a: [{ status: 503, headers: h({ "retry-after": "3600" }) }],
      b: ["ok"],
    });
    const start = clock.now();
    (await run([to(a), to(provider("b"))])).done();
    assert.deepEqual(calls, ["a/m", "b/m"]);
    assert.equal(clock.now(), start);
  });

  await t.step("a request error goes to the client at once, without failover", async () => {
    const { calls, run } = setup({
      a: [{ status: 400, bodyText: '{"error":{"message":"max_tokens is too large"}}' }],
    });
    await assert.rejects(run([to(provider("a")), to(provider("b"))]), (error: Error) => {
      assert.match(
        error.message,
        /provider "a" model "m" rejected the request: .*max_tokens is too large/,
      );
      return true;
    });
    assert.deepEqual(calls, ["a/m"]);
  });

  await t.step("keyless providers get no key", async () => {
    const { calls, run } = setup({});
    (await run([to(provider("local"), "qwen")])).done();
    assert.deepEqual(calls, ["local/qwen"]);
  });

  await t.step("a full limiter queue moves on to the next target", async () => {
    const a = provider("a", { maxConcurrency: 1 });
    const { calls, run } = setup({}, { maxQueue: 0 });
    const held = await run([to(a)]);
    const got = await run([to(a), to(provider("b"))]);
    assert.deepEqual(calls, ["a/m", "b/m"]);
    held.done();
    got.done();
  });
});

Deno.test("Dispatcher circuit breaker", async (t) => {
  await t.step("three failures open the target; requests then skip it until a trial", async () => {
    const a = provider("a");
    const { calls, run, clock } = setup({ a: [{ error: refused }] });
    const chain = [to(a), to(provider("b"))];
    for (let i = 0; i < 3; i++) (await run(chain)).done();
    assert.deepEqual(calls.splice(0), ["a/m", "b/m", "a/m", "b/m", "a/m", "b/m"]);
    (await run(chain)).done();
    assert.deepEqual(calls.splice(0), ["b/m"]);
    await clock.advance(5000);
    (await run(chain)).done();
    assert.deepEqual(calls.splice(0), ["a/m", "b/m"], "one trial after the open period");
  });

  await t.step("while the trial runs, concurrent requests skip the target", async () => {
    const a = provider("a");
    let finishTrial!: (result: Ok) => void;
    const { calls, run, clock, dispatcher } = setup({
      a: [
        { error: refused },
        { error: refused },
        { error: refused },
        () => new Promise<Ok>((resolve) => finishTrial = resolve),
        "ok",
      ],
    });
    const chain = [to(a), to(provider("b"))];
    for (let i = 0; i < 3; i++) (await run(chain)).done();
    await clock.advance(5000);
    calls.length = 0;
    const trial = dispatcher.dispatch(chain, new AbortController().signal);
    await flush();
    (await run(chain)).done();
    assert.deepEqual(calls, ["a/m", "b/m"]);
    finishTrial({ ok: true, response: new Response("trial ok") });
    const won = await trial;
    assert.equal(won.target.provider.id, "a");
    won.done();
    (await run(chain)).done();
    assert.deepEqual(calls, ["a/m", "b/m", "a/m"], "a success closed the circuit at once");
  });

  await t.step(
    "an answer admitted before the circuit opened does not end the trial by failing",
    async () => {
      const a = provider("a");
      let finishTrial!: (result: Ok) => void;
      const { run, clock, dispatcher, registry } = setup({
        a: [
          "ok",
          { error: refused },
          { error: refused },
          { error: refused },
          () => new Promise<Ok>((resolve) => finishTrial = resolve),
          "ok",
        ],
      });
      const chain = [to(a), to(provider("b"))];
      // A long stream, answered while the circuit was closed, is still open when a's failures open it.
      const early = await run(chain);
      for (let i = 0; i < 3; i++) (await run(chain)).done();
      const breaker = registry.breaker("a", "m");
      assert.equal(breaker.state, "open");
      await clock.advance(5000);
      const trial = dispatcher.dispatch(chain, new AbortController().signal);
      await flush();
      // The early stream breaks while the trial waits for its answer: it was not the trial.
      early.done("idle timeout");
      assert.equal(breaker.state, "half_open", "the trial still decides");
      assert.equal(breaker.snapshot().opens, 1, "the open period did not grow");
      await clock.advance(10_000);
      assert.equal(breaker.admit().ok, false, "no second trial while the first runs");
      finishTrial({ ok: true, response: new Response("trial ok") });
      (await trial).done();
      assert.equal(breaker.state, "closed");
    },
  );

  await t.step(
    "an answer sent before the circuit opened does not close it by succeeding",
    async () => {
      const a = provider("a");
      const { run, calls, registry } = setup({
        a: ["ok", { error: refused }, { error: refused }, { error: refused }],
      });
      const chain = [to(a), to(provider("b"))];
      // A long stream, answered while the circuit was closed, ends well after a's failures opened it.
      const early = await run(chain);
      for (let i = 0; i < 3; i++) (await run(chain)).done();
      const breaker = registry.breaker("a", "m");
      assert.equal(breaker.state, "open");
      early.done();
      assert.equal(breaker.state, "open", "the failures came after the early stream was sent");
      calls.length = 0;
      const next = await run(chain);
      assert.equal(next.target.provider.id, "b");
      assert.deepEqual(calls, ["b/m"], "a is skipped, not tried again");
      next.done();
    },
  );

  await t.step("done(failure) counts against the target; a client abort does not", async () => {
    const a = provider("a");
    const { run, registry } = setup({});
    for (let i = 0; i < 3; i++) (await run([to(a)])).done("idle timeout");
    assert.equal(registry.breaker("a", "m").state, "open");

    const b = provider("b");
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) {
      const got = await run([to(b)], controller.signal);
      if (i === 2) controller.abort();
      got.done("aborted by client");
    }
    assert.equal(registry.breaker("b", "m").snapshot().failures, 2);
  });
});

Deno.test("Dispatcher slots and abort", async (t) => {
  await t.step("the slot is held until the answer ends, then released once", async () => {
    const a = provider("a", { maxConcurrency: 1 });
    const { run, registry } = setup({});
    const got = await run([to(a)]);
    const limiter = registry.provider(a).limiter;
    assert.equal(limiter.snapshot().active, 1);
    assert.equal(await got.result.response.text(), "hello from a");
    got.done();
    assert.equal(limiter.snapshot().active, 0);
    got.done(); // idempotent
    assert.equal(limiter.snapshot().active, 0);
  });

  await t.step("the slot is released after a failed attempt, before any retry", async () => {
    const a = provider("a", { maxConcurrency: 1, maxRetries: 1 });
    const active: number[] = [];
    const { run, registry } = setup({
      a: [
        () => {
          active.push(registry.provider(a).limiter.snapshot().active);
          return Promise.resolve({ ok: false, status: 500 });
        },
      ],
    });
    await assert.rejects(run([to(a)]));
    assert.deepEqual(active, [1, 1]);
    assert.equal(registry.provider(a).limiter.snapshot().active, 0);
  });

  await t.step("an abort during backoff stops retries at once and frees everything", async () => {
    const a = provider("a", { maxConcurrency: 1, maxRetries: 5 });
    const { calls, dispatcher, registry, clock } = setup({ a: [{ status: 500 }] });
    const controller = new AbortController();
    const pending = dispatcher.dispatch([to(a), to(provider("b"))], controller.signal);
    await flush();
    assert.deepEqual(calls, ["a/m"]);
    const reason = new DOMException("client disconnected", "AbortError");
    controller.abort(reason);
    await assert.rejects(pending, (error) => error === reason);
    await clock.advance(60_000);
    assert.deepEqual(calls, ["a/m"]);
    assert.equal(registry.provider(a).limiter.snapshot().active, 0);
    assert.equal(clock.pending, 0);
  });

  await t.step("an abort during an attempt frees the slot and tries nothing else", async () => {
    const a = provider("a", { maxConcurrency: 1 });
    const { calls, dispatcher, registry } = setup({
      a: [
        (signal) =>
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
      ],
    });
    const controller = new AbortController();
    const pending = dispatcher.dispatch([to(a), to(provider("b"))], controller.signal);
    await flush();
    controller.abort(new Error("gone"));
    await assert.rejects(pending, /gone/);
    assert.deepEqual(calls, ["a/m"]);
    assert.equal(registry.provider(a).limiter.snapshot().active, 0);
  });

  await t.step("a success that lands after the abort is discarded and its slot freed", async () => {
    const a = provider("a", { maxConcurrency: 1 });
    const controller = new AbortController();
    let cancelled = false;
    const body = new ReadableStream({ cancel: () => void (cancelled = true) });
    const { dispatcher, registry } = setup({
      a: [() => {
        controller.abort(new Error("left"));
        return Promise.resolve({ ok: true, response: new Response(body) });
      }],
    });
    await assert.rejects(dispatcher.dispatch([to(a)], controller.signal), /left/);
    await flush();
    assert.ok(cancelled);
    assert.equal(registry.provider(a).limiter.snapshot().active, 0);
  });

  await t.step("an abort while queued for a slot leaves the queue", async () => {
    const a = provider("a", { maxConcurrency: 1 });
    const { run, dispatcher, registry, calls } = setup({});
    const held = await run([to(a)]);
    const controller = new AbortController();
    const pending = dispatcher.dispatch([to(a)], controller.signal);
    await flush();
    assert.equal(registry.provider(a).limiter.snapshot().queued, 1);
    controller.abort(new Error("bye"));
    await assert.rejects(pending, /bye/);
    assert.equal(registry.provider(a).limiter.snapshot().queued, 0);
    held.done();
    assert.equal(registry.provider(a).limiter.snapshot().active, 0);
    assert.deepEqual(calls, ["a/m"]);
  });

  await t.step("an aborted trial does not keep the circuit half-open", async () => {
    const a = provider("a");
    const { run, dispatcher, registry, clock } = setup({
      a: [
        { error: refused },
        { error: refused },
        { error: refused },
        (signal) =>
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
        "ok",
      ],
    });
    for (let i = 0; i < 3; i++) await assert.rejects(run([to(a)]));
    await clock.advance(5000);
    const controller = new AbortController();
    const trial = dispatcher.dispatch([to(a)], controller.signal);
    await flush();
    controller.abort(new Error("bye"));
    await assert.rejects(trial);
    assert.equal(registry.breaker("a", "m").admit().ok, true, "the next request may probe");
  });
});

Deno.test("a side call takes no circuit trial when the open period ends between two clock reads", async () => {
  // A count is no verdict on the target: if it took the half-open trial, its answer would never
  // give it back, and Messages requests would skip the target until the trial went stale.
  let now = Date.UTC(2026, 0, 1);
  const reads: number[] = [];
  const clock = { now: () => reads.shift() ?? now, timer: () => () => {} };
  const registry = new ResilienceRegistry({ clock });
  const breaker = registry.breaker("a", "m");
  for (let i = 0; i < 3; i++) breaker.failed("upstream answered 503");
  const until = breaker.snapshot().openUntil!;
  // The first read still sees the circuit open; every later one is past its end.
  now = until;
  reads.push(until - 1);
  const { attempt } = scripted({ a: ["ok"] });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, judgesTarget: false });
  const answered = await dispatcher.dispatch([to(provider("a"))], new AbortController().signal);
  answered.done();
  assert.deepEqual(breaker.admit(), { ok: true, trial: true }, "the trial is still free");
});
