import assert from "node:assert/strict";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { FakeClock } from "./fake_clock.ts";

function trip(breaker: CircuitBreaker, times = 3, retryAfterMs?: number): void {
  for (let i = 0; i < times; i++) {
    assert.ok(breaker.admit().ok);
    breaker.failed(`boom ${i}`, retryAfterMs);
  }
}

/** Waits out the open period, then fails the single trial. */
async function failTrial(clock: FakeClock, breaker: CircuitBreaker): Promise<number> {
  const admission = breaker.admit();
  assert.ok(!admission.ok);
  await clock.advance(admission.until - clock.now());
  const trial = breaker.admit();
  assert.deepEqual(trial, { ok: true, trial: true });
  breaker.failed("still down", undefined, true);
  const reopened = breaker.admit();
  assert.ok(!reopened.ok);
  return reopened.until - clock.now();
}

Deno.test("CircuitBreaker", async (t) => {
  await t.step("opens after 3 consecutive failures, not before", () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() });
    trip(breaker, 2);
    assert.equal(breaker.state, "closed");
    breaker.failed("third");
    assert.equal(breaker.state, "open");
    const admission = breaker.admit();
    assert.ok(!admission.ok);
    assert.equal(admission.lastError, "third");
  });
  await t.step("a success in between resets the count", () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() });
    trip(breaker, 2);
    breaker.succeeded();
    trip(breaker, 2);
    assert.equal(breaker.state, "closed");
  });
  await t.step("the open period grows 5 s, 10 s, 20 s … and stops at 5 min", async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    trip(breaker);
    const first = breaker.admit();
    assert.ok(!first.ok);
    const periods = [first.until - clock.now()];
    for (let i = 0; i < 8; i++) periods.push(await failTrial(clock, breaker));
    assert.deepEqual(periods, [
      5000,
      10_000,
      20_000,
      40_000,
      80_000,
      160_000,
      300_000,
      300_000,
      300_000,
    ]);
  });
  await t.step("after the period exactly one trial goes through", async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    trip(breaker);
    await clock.advance(4999);
    assert.equal(breaker.admit().ok, false);
    await clock.advance(1);
    assert.equal(breaker.state, "half_open");
    assert.deepEqual(breaker.admit(), { ok: true, trial: true });
    assert.equal(breaker.admit().ok, false);
    assert.equal(breaker.admit().ok, false);
  });
  await t.step("a successful trial closes it at once and resets the growth", async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    trip(breaker);
    await failTrial(clock, breaker); // now at 10 s
    await clock.advance(10_000);
    assert.deepEqual(breaker.admit(), { ok: true, trial: true });
    breaker.succeeded();
    assert.equal(breaker.state, "closed");
    assert.deepEqual(breaker.admit(), { ok: true, trial: false });
    trip(breaker);
    const again = breaker.admit();
    assert.ok(!again.ok);
    assert.equal(again.until - clock.now(), 5000);
  });
  await t.step("a success of a request sent before the circuit opened leaves it open", () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() });
    const sentAt = breaker.openings;
    trip(breaker);
    breaker.succeeded(sentAt);
    assert.equal(breaker.state, "open");
    assert.equal(breaker.snapshot().opens, 1);
  });
  await t.step("a success of a request sent while it was open closes it", () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() });
    trip(breaker);
    assert.deepEqual(breaker.force(), { ok: true, trial: false });
    breaker.succeeded(breaker.openings);
    assert.equal(breaker.state, "closed");
  });
  await t.step(
    "a trial sent before the circuit re-opened frees the slot, closes nothing",
    async () => {
      const clock = new FakeClock();
      const breaker = new CircuitBreaker({ clock });
      trip(breaker);
      await clock.advance(5000);
      const forced = breaker.openings;
      assert.deepEqual(breaker.force(), { ok: true, trial: true });
      // The trial fails, the circuit re-opens; the earlier request's success comes after that.
      breaker.failed("still down", undefined, true);
      breaker.succeeded(forced);
      assert.equal(breaker.state, "open");
      // Another instance's circuit, adopted while this instance's trial runs, outdates the trial.
      await clock.advance(10_000);
      const sentAt = breaker.openings;
      assert.deepEqual(breaker.admit(), { ok: true, trial: true });
      breaker.adoptOpen(clock.now() + 20_000, "down elsewhere");
      breaker.succeeded(sentAt, true);
      assert.equal(breaker.state, "open");
      await clock.advance(20_000);
      assert.deepEqual(breaker.admit(), { ok: true, trial: true }, "the trial slot is free");
    },
  );
  await t.step("its own period read back from shared state, rounded, is no new opening", () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() });
    trip(breaker, 3, 5000.6);
    const until = breaker.snapshot().openUntil!;
    assert.notEqual(until, Math.round(until));
    const sentAt = breaker.openings;
    breaker.adoptOpen(Math.round(until));
    assert.equal(breaker.openings, sentAt);
    assert.equal(breaker.snapshot().openUntil, until);
  });
  await t.step(
    "an open period adopted from shared state lasts no longer than its own cap",
    async () => {
      // Written while Redis's clock was a year off, then set right: the entry ends a year late.
      const clock = new FakeClock();
      const breaker = new CircuitBreaker({ clock });
      breaker.adoptOpen(clock.now() + 365 * 86_400_000, "down elsewhere");
      assert.equal(breaker.state, "open");
      await clock.advance(5 * 60_000);
      assert.deepEqual(breaker.admit(), { ok: true, trial: true });
    },
  );
  await t.step("Retry-After is honoured when larger, up to the cap", () => {
    const clock = new FakeClock();
    const a = new CircuitBreaker({ clock });
    trip(a, 3, 42_000);
    const admissionA = a.admit();
    assert.ok(!admissionA.ok);
    assert.equal(admissionA.until - clock.now(), 42_000);
    const b = new CircuitBreaker({ clock });
    trip(b, 3, 1000);
    const admissionB = b.admit();
    assert.ok(!admissionB.ok);
    assert.equal(admissionB.until - clock.now(), 5000);
    const c = new CircuitBreaker({ clock });
    trip(c, 3, 86_400_000);
    const admissionC = c.admit();
    assert.ok(!admissionC.ok);
    assert.equal(admissionC.until - clock.now(), 300_000);
  });
  await t.step("late failures of requests admitted before it opened do not extend it", async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    trip(breaker);
    await clock.advance(2000);
    breaker.failed("late");
    const admission = breaker.admit();
    assert.ok(!admission.ok);
    assert.equal(admission.until - clock.now(), 3000);
  });
  await t.step("a trial released without a verdict lets the next request probe", async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    trip(breaker);
    await clock.advance(5000);
    const trial = breaker.admit();
    assert.ok(trial.ok && trial.trial);
    breaker.released(true);
    assert.deepEqual(breaker.admit(), { ok: true, trial: true });
  });
  await t.step(
    "a trial that never reports stops holding the slot after trialTimeoutMs",
    async () => {
      const clock = new FakeClock();
      const breaker = new CircuitBreaker({ clock, trialTimeoutMs: 60_000 });
      trip(breaker);
      await clock.advance(5000);
      assert.ok(breaker.admit().ok);
      await clock.advance(59_999);
      assert.equal(breaker.admit().ok, false);
      await clock.advance(1);
      assert.deepEqual(breaker.admit(), { ok: true, trial: true });
    },
  );
  await t.step("snapshot for GET /health", async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    assert.deepEqual(breaker.snapshot(), { state: "closed", failures: 0, opens: 0 });
    trip(breaker);
    assert.deepEqual(breaker.snapshot(), {
      state: "open",
      failures: 3,
      opens: 1,
      openUntil: clock.now() + 5000,
      lastError: "boom 2",
    });
    await clock.advance(5000);
    assert.equal(breaker.snapshot().state, "half_open");
  });
  await t.step("threshold is configurable", () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock(), threshold: 1 });
    breaker.failed("once");
    assert.equal(breaker.state, "open");
  });
});
