/**
 * A last resort sent past a half-open circuit while its trial runs goes beside the trial: its
 * success is no verdict on the circuit. Only the trial's own success, or one of a request sent
 * while the circuit was closed, closes it.
 */

import assert from "node:assert/strict";
import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock, flush } from "./fake_clock.ts";
import { type Ok, provider, scripted } from "./helpers.ts";

const refused = new TypeError("fetch failed", {
  cause: new Error("client error (Connect): tcp connect error: Connection refused (os error 111)"),
});

Deno.test("CircuitBreaker: a forced request beside a running trial does not close it", async () => {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ clock, threshold: 1, baseMs: 1000 });
  breaker.failed("down");
  await clock.advance(1000);
  const sentAt = breaker.openings;
  assert.deepEqual(breaker.admit(), { ok: true, trial: true });
  const beside = breaker.force();
  assert.deepEqual(beside, { ok: true, trial: false, beside: true });
  breaker.succeeded(sentAt, false, true);
  assert.equal(breaker.state, "half_open", "the trial still decides");
  assert.equal(breaker.admit().ok, false, "and still holds the slot");
  breaker.succeeded(sentAt, true);
  assert.equal(breaker.state, "closed");
});

Deno.test("a last resort answered during the trial leaves the circuit to the trial", async () => {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  let finishTrial!: (result: Ok | { ok: false; error: unknown }) => void;
  const { calls, attempt } = scripted({
    a: [
      { error: refused },
      { error: refused },
      { error: refused },
      () => new Promise((resolve) => finishTrial = resolve),
      "ok",
      { error: refused },
    ],
  });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock });
  const signal = new AbortController().signal;
  const a = provider("a");
  const alone: DispatchTarget[] = [{ provider: a, model: "m" }];
  const chain: DispatchTarget[] = [...alone, { provider: provider("b"), model: "m" }];
  for (let i = 0; i < 3; i++) (await clock.run(dispatcher.dispatch(chain, signal))).done();
  const breaker = registry.breaker("a", "m");
  assert.equal(breaker.state, "open");
  await clock.advance(5000);
  calls.length = 0;

  // The trial: a's answer is slow to come.
  const trial = dispatcher.dispatch(chain, signal);
  await flush();
  assert.deepEqual(calls, ["a/m"]);
  // A route with a alone tries it anyway, beside the trial, and is answered.
  const lastResort = await clock.run(dispatcher.dispatch(alone, signal));
  assert.equal(lastResort.target.provider.id, "a");
  lastResort.done();
  assert.equal(breaker.state, "half_open", "the last resort's answer is no verdict");
  // So a request with somewhere else to go still skips a while the trial runs.
  (await clock.run(dispatcher.dispatch(chain, signal))).done();
  assert.deepEqual(calls, ["a/m", "a/m", "b/m"]);

  // The trial fails: the circuit opens again, for longer.
  finishTrial({ ok: false, error: refused });
  (await trial).done();
  assert.equal(breaker.state, "open");
  assert.equal(breaker.snapshot().opens, 2);
});
