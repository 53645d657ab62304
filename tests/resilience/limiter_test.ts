import assert from "node:assert/strict";
import {
  Limiter,
  LimiterFullError,
  type Place,
  type Release,
} from "../../src/resilience/limiter.ts";
import { FakeClock, flush } from "./fake_clock.ts";

/** Starts an acquire and records when it resolves, in order. */
function enqueue(limiter: Limiter, name: string, order: string[], signal?: AbortSignal) {
  const state: { release?: Release; error?: unknown } = {};
  limiter.acquire(signal).then(
    (release) => {
      order.push(name);
      state.release = release;
    },
    (error) => state.error = error,
  );
  return state;
}

Deno.test("Limiter concurrency", async (t) => {
  await t.step("without limits every acquire is immediate", async () => {
    const limiter = new Limiter({ provider: "p", clock: new FakeClock() });
    const releases = await Promise.all([1, 2, 3].map(() => limiter.acquire()));
    assert.equal(limiter.snapshot().active, 3);
    for (const release of releases) release();
    assert.equal(limiter.snapshot().active, 0);
  });
  await t.step("waiters are served in FIFO order as slots are released", async () => {
    const clock = new FakeClock();
    const limiter = new Limiter({ provider: "p", maxConcurrency: 1, clock });
    const order: string[] = [];
    const a = enqueue(limiter, "a", order);
    const b = enqueue(limiter, "b", order);
    const c = enqueue(limiter, "c", order);
    const d = enqueue(limiter, "d", order);
    await flush();
    assert.deepEqual(order, ["a"]);
    assert.equal(limiter.snapshot().queued, 3);
    a.release?.();
    await flush();
    b.release?.();
    await flush();
    c.release?.();
    await flush();
    assert.deepEqual(order, ["a", "b", "c", "d"]);
    d.release?.();
    assert.deepEqual(limiter.snapshot(), { active: 0, queued: 0, inWindow: 0 });
    // Waiting on a release schedules no timer at all: nothing polls.
    assert.equal(clock.scheduled, 0);
  });
  await t.step("release is idempotent", async () => {
    const limiter = new Limiter({ provider: "p", maxConcurrency: 2, clock: new FakeClock() });
    const first = await limiter.acquire();
    await limiter.acquire();
    first();
    first();
    first();
    assert.equal(limiter.snapshot().active, 1);
  });
  await t.step(
    "past the queue bound a request is refused at once, with a clear reason",
    async () => {
      const limiter = new Limiter({
        provider: "groq",
        maxConcurrency: 1,
        maxQueue: 2,
        clock: new FakeClock(),
      });
      await limiter.acquire();
      const order: string[] = [];
      enqueue(limiter, "a", order);
      enqueue(limiter, "b", order);
      await assert.rejects(limiter.acquire(), (error: unknown) => {
        assert.ok(error instanceof LimiterFullError);
        assert.match(
          error.message,
          /provider "groq" is full \(2 requests waiting; max_concurrency 1\)/,
        );
        return true;
      });
    },
  );
  await t.step("an aborted waiter leaves the queue at once and the next one moves up", async () => {
    const limiter = new Limiter({ provider: "p", maxConcurrency: 1, clock: new FakeClock() });
    const held = await limiter.acquire();
    const order: string[] = [];
    const controller = new AbortController();
    const a = enqueue(limiter, "a", order, controller.signal);
    enqueue(limiter, "b", order);
    await flush();
    assert.equal(limiter.snapshot().queued, 2);
    controller.abort(new Error("client left"));
    await flush();
    assert.equal(limiter.snapshot().queued, 1);
    assert.equal((a.error as Error).message, "client left");
    held();
    await flush();
    assert.deepEqual(order, ["b"]);
  });
  await t.step("an already aborted signal is refused without queueing", async () => {
    const limiter = new Limiter({ provider: "p", maxConcurrency: 1, clock: new FakeClock() });
    await assert.rejects(limiter.acquire(AbortSignal.abort(new Error("gone"))), /gone/);
    assert.equal(limiter.snapshot().queued, 0);
  });
});

Deno.test("Limiter taking over from the one a reload replaced", async (t) => {
  await t.step("the slots still held there count until they are freed", async () => {
    const clock = new FakeClock();
    const old = new Limiter({ provider: "p", maxConcurrency: 2, clock });
    const order: string[] = [];
    const streaming = [enqueue(old, "s1", order), enqueue(old, "s2", order)];
    await flush();
    // The user lowers max_concurrency to 1 and reloads while both streams run.
    const next = new Limiter({ provider: "p", maxConcurrency: 1, clock });
    next.takeOver(old);
    assert.equal(next.snapshot().active, 2);
    const a = enqueue(next, "a", order);
    const b = enqueue(next, "b", order);
    await flush();
    assert.deepEqual(order, ["s1", "s2"]);
    streaming[0]!.release?.();
    await flush();
    // One slot of the old limiter is still held: the limit of 1 is reached.
    assert.deepEqual(order, ["s1", "s2"]);
    streaming[1]!.release?.();
    await flush();
    assert.deepEqual(order, ["s1", "s2", "a"]);
    a.release?.();
    await flush();
    assert.deepEqual(order, ["s1", "s2", "a", "b"]);
    b.release?.();
    assert.deepEqual(next.snapshot(), { active: 0, queued: 0, inWindow: 0 });
  });
  await t.step("over several reloads, every older limiter's slots count", async () => {
    const clock = new FakeClock();
    const first = new Limiter({ provider: "p", maxConcurrency: 3, clock });
    const held = await first.acquire();
    const second = new Limiter({ provider: "p", maxConcurrency: 3, clock });
    second.takeOver(first);
    const alsoHeld = await second.acquire();
    const third = new Limiter({ provider: "p", maxConcurrency: 2, clock });
    third.takeOver(second);
    const order: string[] = [];
    const waiting = enqueue(third, "w", order);
    await flush();
    assert.deepEqual(order, []);
    held();
    await flush();
    assert.deepEqual(order, ["w"]);
    alsoHeld();
    waiting.release?.();
    assert.equal(third.snapshot().active, 0);
  });
});

Deno.test("Limiter rate window", async (t) => {
  await t.step("at most N grants in any window; the next waits for one timer", async () => {
    const clock = new FakeClock();
    const limiter = new Limiter({
      provider: "p",
      rateLimit: { requests: 2, windowMs: 1000 },
      clock,
    });
    (await limiter.acquire())();
    await clock.advance(300);
    (await limiter.acquire())();
    const order: string[] = [];
    enqueue(limiter, "third", order);
    enqueue(limiter, "fourth", order);
    await flush();
    assert.deepEqual(order, []);
    assert.equal(clock.pending, 1);
    await clock.advance(699);
    assert.deepEqual(order, []);
    await clock.advance(1); // the first grant leaves the window at t=1000
    assert.deepEqual(order, ["third"]);
    await clock.advance(299);
    assert.deepEqual(order, ["third"]);
    await clock.advance(1); // the second leaves at t=1300
    assert.deepEqual(order, ["third", "fourth"]);
    assert.ok(clock.scheduled <= 4, `timers scheduled: ${clock.scheduled}`);
    assert.equal(clock.pending, 0);
  });
  await t.step("rate and concurrency together", async () => {
    const clock = new FakeClock();
    const limiter = new Limiter({
      provider: "p",
      rateLimit: { requests: 1, windowMs: 1000 },
      maxConcurrency: 1,
      clock,
    });
    const first = await limiter.acquire();
    const order: string[] = [];
    enqueue(limiter, "next", order);
    await clock.advance(1000);
    assert.deepEqual(order, [], "the window is free but the slot is still held");
    first();
    await flush();
    assert.deepEqual(order, ["next"]);
  });
  await t.step("an aborted waiter does not leave a timer behind", async () => {
    const clock = new FakeClock();
    const limiter = new Limiter({
      provider: "p",
      rateLimit: { requests: 1, windowMs: 1000 },
      clock,
    });
    await limiter.acquire();
    const controller = new AbortController();
    const waiter = limiter.acquire(controller.signal);
    await flush();
    assert.equal(clock.pending, 1);
    controller.abort();
    await assert.rejects(waiter);
    assert.equal(clock.pending, 0);
  });
});

Deno.test("Limiter: a request that comes back keeps its place", async (t) => {
  await t.step("it queues before later arrivals, and a full queue does not refuse it", async () => {
    const limiter = new Limiter({
      provider: "p",
      maxConcurrency: 1,
      maxQueue: 1,
      clock: new FakeClock(),
    });
    const place: Place = {};
    const held = await limiter.acquire(undefined, place);
    const order: string[] = [];
    enqueue(limiter, "later", order);
    await assert.rejects(limiter.acquire(), LimiterFullError);
    const back = limiter.acquire(undefined, place).then((release) => {
      order.push("back");
      return release;
    });
    held();
    (await back)();
    await flush();
    assert.deepEqual(order, ["back", "later"]);
  });
});
