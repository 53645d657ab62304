/**
 * The last-resort probe on a fake clock, where a target has more than one guard (an open
 * circuit and a cooling key) or the guard that ends first is an announced wait too long to
 * wait out: the probe must still reach an upstream whenever one can be tried.
 */

import assert from "node:assert/strict";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { MAX_WAIT_MS } from "../../src/resilience/last_resort.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { sleep } from "../../src/resilience/clock.ts";
import type { SharedGuards } from "../../src/resilience/shared_sync.ts";
import { FakeClock } from "./fake_clock.ts";
import { h, type Ok, provider, scripted, type Step } from "./helpers.ts";

const KEY = "sk-live-bbbbbbbbbbbb2222";
const nim = provider("nim", { apiKeys: [KEY] });
const at = (model: string): DispatchTarget => ({ provider: nim, model });

function setup() {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted({ nim: ["ok"] });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, backoff: { random: () => 0 } });
  const keys = registry.provider(nim).keys;
  const pick = keys.pick();
  assert.ok(pick.ok);
  /** Opens the circuit of `model` for `ms` (three failures, the last announcing the wait). */
  const open = (model: string, ms: number) => {
    const breaker = registry.breaker("nim", model);
    for (let i = 0; i < 3; i++) breaker.failed("upstream answered 503", ms);
    assert.equal(breaker.snapshot().state, "open");
  };
  /** Cools the one key for `model` as after a 429 with `Retry-After`. */
  const cool = (model: string, ms: number) => keys.rateLimited(pick.key, ms, model);
  const run = async (chain: DispatchTarget[]) => {
    const got = await clock.run(dispatcher.dispatch(chain, new AbortController().signal));
    got.done();
    return got;
  };
  return { clock, calls, open, cool, run, registry };
}

Deno.test("a target with an open circuit and a cooling key is probed when its key is back", async (t) => {
  const { clock, calls, open, cool, run, registry } = setup();
  open("m1", 5000);
  await clock.advance(3000); // the circuit of m1 has 2 s left
  cool("m1", 1000); // m1's key is back in 1 s (announced)
  cool("m2", 4000); // m2's key in 4 s (announced)
  const started = clock.now();
  const got = await run([at("m1"), at("m2")]);
  await t.step("m1 served after its key's announced wait, past its circuit", () => {
    assert.equal(got.target.model, "m1");
    assert.deepEqual(calls, [`nim/m1 ${KEY}`]);
    assert.equal(clock.now() - started, 1000);
  });
  await t.step("the answer closed m1's circuit", () => {
    assert.equal(registry.breaker("nim", "m1").snapshot().state, "closed");
  });
});

Deno.test("an announced wait too long to wait out does not keep a later guard from its probe", async (t) => {
  const { clock, calls, open, cool, run } = setup();
  const far = MAX_WAIT_MS + 25_000;
  cool("m1", far); // m1's key: the upstream said "not before `far`"
  open("m2", far + 10_000); // m2: ccp's own guess, ending later still
  const started = clock.now();
  const got = await run([at("m1"), at("m2")]);
  await t.step("m2 is probed at once past its circuit", () => {
    assert.equal(got.target.model, "m2");
    assert.deepEqual(calls, [`nim/m2 ${KEY}`]);
    assert.equal(clock.now(), started);
  });
});

Deno.test("when only announced long waits are left, the one ending first is tried at once", async () => {
  const { clock, calls, cool, run } = setup();
  cool("m1", MAX_WAIT_MS + 20_000);
  cool("m2", MAX_WAIT_MS + 10_000);
  const started = clock.now();
  // The upstream may lift a limit before it said: a request that reached no upstream yet is
  // not refused on ccp's memory alone.
  const got = await run([at("m1"), at("m2")]);
  assert.equal(got.target.model, "m2");
  assert.deepEqual(calls, [`nim/m2 ${KEY}`]);
  assert.equal(clock.now(), started, "not waited for");
});

Deno.test("a target with an open circuit and only set-aside keys re-tries them", async () => {
  const { calls, open, run, registry } = setup();
  open("m", 5000);
  const keys = registry.provider(nim).keys;
  const pick = keys.pick("m");
  assert.ok(pick.ok);
  keys.rejected(pick.key, 401, "upstream answered 401: invalid key");
  const got = await run([at("m")]);
  assert.equal(got.target.model, "m");
  assert.deepEqual(calls, [`nim/m ${KEY}`], "the set-aside key had its one re-try");
  assert.equal(keys.snapshot()[0]?.state, "ready", "and is back after answering");
});

Deno.test("a key whose cool-down ended while the next target was tried gets the probe", async () => {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const slow = provider("slow");
  const { calls, attempt } = scripted({
    nim: ["ok"],
    // The backup takes 3 s to fail: m1's 1 s cool-down is over by then.
    slow: [() => sleep(clock, 3000).then(() => ({ ok: false, status: 500 }) as const)],
  });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, backoff: { random: () => 0 } });
  const keys = registry.provider(nim).keys;
  const pick = keys.pick("m1");
  assert.ok(pick.ok);
  keys.rateLimited(pick.key, 1000, "m1");
  const got = await clock.run(
    dispatcher.dispatch([at("m1"), { provider: slow, model: "b" }], new AbortController().signal),
  );
  got.done();
  assert.equal(got.target.model, "m1");
  assert.deepEqual(calls, ["slow/b", `nim/m1 ${KEY}`]);
});

Deno.test("a key that answers past its guards has them cleared in shared state too", async (t) => {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const cleared: string[] = [];
  const shared: SharedGuards = {
    sync: () => Promise.resolve({ waitMs: 0 }),
    release: () => {},
    cooling: () => {},
    setAside: () => {},
    circuit: () => {},
    cleared: (provider, index, model, limits) =>
      void cleared.push(
        `${provider} ${index} ${model ?? "-"}${limits === false ? " (set-asides only)" : ""}`,
      ),
  };
  const script: Step[] = [];
  const { attempt } = scripted({ nim: script });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, shared });
  const keys = registry.provider(nim).keys;
  const pick = keys.pick("m");
  assert.ok(pick.ok);
  const run = async (...steps: Step[]) => {
    script.splice(0, script.length, ...steps);
    cleared.length = 0;
    try {
      (await clock.run(dispatcher.dispatch([at("m")], new AbortController().signal))).done();
    } catch {
      // A refusal is what some steps expect; what was cleared is what the test looks at.
    }
    return cleared;
  };
  await t.step("an answer past no guard clears nothing", async () => {
    assert.deepEqual(await run("ok"), []);
  });
  await t.step("a set-aside key's re-try that answers ends its set-aside everywhere", async () => {
    keys.rejected(pick.key, 401, "upstream answered 401: invalid key");
    assert.deepEqual(await run("ok"), ["nim 0 m"]);
  });
  await t.step("a cooling key's probe that answers ends its cool-downs everywhere", async () => {
    keys.rateLimited(pick.key, 60_000, "m");
    assert.deepEqual(await run("ok"), ["nim 0 m"]);
  });
  await t.step("a set-aside key that answers 429 is only cooling from then on", async () => {
    keys.rejected(pick.key, 401, "upstream answered 401: invalid key");
    assert.deepEqual(await run({ status: 429, headers: h({ "retry-after": "60" }) }), [
      "nim 0 m (set-asides only)",
    ]);
    assert.equal(keys.snapshot()[0]?.state, "ready");
    assert.ok(keys.snapshot()[0]?.models?.m, "cooling for m");
  });
});

Deno.test("lastResort false: a skipped target is left for what serves the rest of the route", async () => {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted({ nim: ["ok"] });
  const head = new Dispatcher<Ok>({ registry, attempt, clock, lastResort: false });
  const breaker = registry.breaker("nim", "m1");
  for (let i = 0; i < 3; i++) breaker.failed("upstream answered 503");
  const chain = [at("m1")];
  await assert.rejects(
    clock.run(head.dispatch(chain, new AbortController().signal)),
    /No target of this route is available.*paused after repeated failures/,
  );
  assert.deepEqual(calls, []);
  // The same chain with its last resort probes the target past its circuit.
  const whole = new Dispatcher<Ok>({ registry, attempt, clock });
  const got = await clock.run(whole.dispatch(chain, new AbortController().signal));
  got.done();
  assert.deepEqual(calls, [`nim/m1 ${KEY}`]);
});
