/**
 * The guard rules on a fake clock: guards only reorder and skip while an alternative is left;
 * when none is, set-aside keys get one re-try and the guard that ends first gets a probe.
 */

import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { MAX_WAIT_MS } from "../../src/resilience/last_resort.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock } from "./fake_clock.ts";
import { h, type Ok, provider, scripted, type Step } from "./helpers.ts";

const KEY = "sk-live-aaaaaaaaaaaa1111";

function setup(script: Record<string, Step[]>, probeAnnouncedWaits?: boolean) {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted(script);
  const dispatcher = new Dispatcher<Ok>({
    registry,
    attempt,
    clock,
    backoff: { random: () => 0 },
    ...(probeAnnouncedWaits === undefined ? {} : { probeAnnouncedWaits }),
  });
  const run = async (chain: DispatchTarget[]) => {
    const got = await clock.run(dispatcher.dispatch(chain, new AbortController().signal));
    got.done();
    return got;
  };
  const fail = async (chain: DispatchTarget[]) => {
    try {
      await run(chain);
    } catch (error) {
      assert.ok(error instanceof UpstreamError, String(error));
      return error;
    }
    throw new Error("expected the dispatch to fail");
  };
  return { clock, calls, run, fail, registry };
}

const nim = provider("nim", { apiKeys: [KEY] });
const at = (model: string): DispatchTarget => ({ provider: nim, model });
const rateLimited = (seconds: number): Step => ({
  status: 429,
  headers: h({ "retry-after": String(seconds) }),
  bodyText: '{"status":429,"title":"Too Many Requests"}',
});

Deno.test("same provider, one key: a 429 for m1 does not stop m2", async (t) => {
  // The scripted transport answers per provider: m1's 429, then m2's success.
  const { run, calls, registry } = setup({ nim: [rateLimited(30), "ok"] });
  const got = await run([at("m1"), at("m2")]);
  await t.step("m2 answered", () => assert.equal(got.target.model, "m2"));
  await t.step("both models were asked, with the same key", () => {
    assert.deepEqual(calls, [`nim/m1 ${KEY}`, `nim/m2 ${KEY}`]);
  });
  await t.step("the key cools down for m1 only", () => {
    const [key] = registry.provider(nim).keys.snapshot();
    assert.equal(key?.state, "ready");
    assert.deepEqual(Object.keys(key?.models ?? {}), ["m1"]);
  });
  await t.step("the next request skips m1 and goes straight to m2", async () => {
    await run([at("m1"), at("m2")]);
    assert.deepEqual(calls.slice(2), [`nim/m2 ${KEY}`]);
  });
});

Deno.test("a 429 that says the whole key is spent cools every model", async () => {
  const spent: Step = {
    status: 429,
    headers: h({ "retry-after": "600" }),
    bodyText: '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota"}}',
  };
  const other = provider("other", { apiKeys: [] });
  const { run, calls } = setup({ nim: [spent], other: ["ok"] });
  const got = await run([at("m1"), at("m2"), { provider: other, model: "x" }]);
  assert.equal(got.target.provider.id, "other");
  assert.deepEqual(calls, [`nim/m1 ${KEY}`, "other/x"], "m2 was skipped: same spent key");
});

Deno.test("a single-target route always tries its target", async (t) => {
  const refused = new TypeError("fetch failed", {
    cause: new Error("client error (Connect): refused"),
  });
  const { run, fail, calls, clock, registry } = setup({
    nim: [
      { error: refused },
      { error: refused },
      { error: refused },
      { error: refused },
      { error: refused },
      { error: refused },
      "ok",
    ],
  });
  await t.step("six failures in a row each reach the upstream", async () => {
    for (let i = 0; i < 6; i++) {
      const error = await fail([at("m")]);
      assert.equal(error.status, 502);
      assert.match(error.message, /refused/);
    }
    assert.equal(calls.length, 6, "no request refused without an upstream attempt");
    assert.equal(registry.breaker("nim", "m").snapshot().state, "open", "the breaker did open");
  });
  await t.step(
    "the upstream recovers: the next request is served and the circuit closes",
    async () => {
      await clock.advance(100);
      const got = await run([at("m")]);
      assert.equal(got.target.model, "m");
      assert.equal(calls.length, 7);
      assert.equal(registry.breaker("nim", "m").snapshot().state, "closed");
    },
  );
});

Deno.test("an announced short cool-down is waited out inside ccp", async (t) => {
  const { run, calls, clock } = setup({ nim: [rateLimited(2), "ok"] });
  const started = clock.now();
  const got = await run([at("m")]);
  await t.step("served after the wait, not bounced to the client", () => {
    assert.equal(got.target.model, "m");
    assert.deepEqual(calls, [`nim/m ${KEY}`, `nim/m ${KEY}`]);
    assert.equal(clock.now() - started, 2000);
  });
});

Deno.test("an announced long cool-down is model_cooldown; the next request still tries once", async () => {
  const long = MAX_WAIT_MS / 1000 + 25;
  const { fail, run, calls } = setup({ nim: [rateLimited(long), rateLimited(long), "ok"] });
  const error = await fail([at("m")]);
  assert.equal(error.status, 429);
  assert.equal(error.extra.code, "model_cooldown");
  assert.equal(error.headers["Retry-After"], String(long));
  assert.equal(calls.length, 1, "no second attempt within the request that met the 429");
  // A later request is not refused on ccp's memory alone: the one target is tried at once.
  const again = await fail([at("m")]);
  assert.equal(again.extra.code, "model_cooldown");
  assert.equal(calls.length, 2);
  // The upstream lifted its limit early: the next request is served.
  const served = await run([at("m")]);
  assert.equal(served.target.model, "m");
  assert.equal(calls.length, 3);
});

Deno.test("a probe's 429 without Retry-After keeps the wait the upstream announced", async () => {
  const long = MAX_WAIT_MS / 1000 + 55;
  const { fail, calls } = setup({ nim: [rateLimited(long), { status: 429, bodyText: "slow" }] });
  await fail([at("m")]);
  const probed = await fail([at("m")]);
  assert.equal(calls.length, 2);
  // Still the upstream's wait, not ccp's own 1-2 s guess: model_cooldown, and no probe storm.
  assert.equal(probed.extra.code, "model_cooldown");
  assert.equal(probed.headers["Retry-After"], String(long));
});

Deno.test("a probe that is answered ends the cool-down", async () => {
  const long = MAX_WAIT_MS / 1000 + 55;
  const { fail, run, calls, registry } = setup({ nim: [rateLimited(long), "ok"] });
  await fail([at("m")]);
  await run([at("m")]);
  assert.deepEqual(registry.provider(nim).keys.snapshot()[0]?.models ?? {}, {});
  await run([at("m")]);
  assert.equal(calls.length, 3);
});

Deno.test("a caller with a local fallback never probes an announced wait", async () => {
  const long = MAX_WAIT_MS / 1000 + 25;
  const { fail, calls } = setup({ nim: [rateLimited(long), "ok"] }, false);
  await fail([at("m")]);
  const again = await fail([at("m")]);
  assert.equal(again.extra.code, "model_cooldown");
  assert.equal(calls.length, 1, "count_tokens counts locally instead");
});

Deno.test("a cool-down ccp guessed (no Retry-After) is probed when nothing else is left", async () => {
  const { run, fail, calls, clock } = setup({
    nim: [{ status: 429, bodyText: "slow down" }, "ok"],
  });
  const error = await fail([at("m")]);
  assert.equal(error.status, 429);
  assert.notEqual(error.extra.code, "model_cooldown", "only an announced wait is model_cooldown");
  await clock.advance(200); // still inside ccp's 1 s guess
  const got = await run([at("m")]);
  assert.equal(got.target.model, "m");
  assert.equal(calls.length, 2);
});

Deno.test("guards still reorder while an alternative is left", async () => {
  const refused = new TypeError("fetch failed", {
    cause: new Error("client error (Connect): refused"),
  });
  const backup = provider("backup");
  const { run, calls } = setup({ nim: [{ error: refused }], backup: ["ok"] });
  for (let i = 0; i < 3; i++) await run([at("m"), { provider: backup, model: "b" }]);
  assert.equal(calls.filter((c) => c.startsWith("nim")).length, 3);
  await run([at("m"), { provider: backup, model: "b" }]);
  assert.deepEqual(calls.slice(6), ["backup/b"], "the open circuit is skipped: backup answers");
});

Deno.test("a set-aside key whose re-try answers 429 is model_cooldown, not auth_unavailable", async (t) => {
  const two = provider("two", { apiKeys: [KEY, "sk-live-bbbbbbbbbbbb2222"] });
  const on = (model: string): DispatchTarget => ({ provider: two, model });
  // Both keys refused for m1 (an upstream that refuses that model with 401), then m2's re-tries
  // are rate limited: the keys were accepted, so the client hears of the 429 and its wait.
  const { fail, calls } = setup({ two: [{ status: 401 }, { status: 401 }, rateLimited(30)] });
  const refused = await fail([on("m1")]);
  await t.step("the 401s set both keys aside", () => {
    assert.equal(refused.status, 503);
    assert.equal(refused.extra.code, "auth_unavailable");
  });
  const limited = await fail([on("m2")]);
  await t.step("each key had its re-try", () => assert.equal(calls.length, 4));
  await t.step("the answer is the 429 with the upstream's wait", () => {
    assert.equal(limited.status, 429);
    assert.equal(limited.extra.code, "model_cooldown");
    assert.equal(limited.headers["Retry-After"], "30");
  });
  await t.step("the next request for m2 is told the same, not 'set aside after 401'", async () => {
    const again = await fail([on("m2")]);
    assert.equal(again.status, 429);
    assert.equal(again.extra.code, "model_cooldown");
    assert.doesNotMatch(again.message, /set aside|refused with/);
  });
});

Deno.test("a set-aside key gets its re-try when the last other key answers 429", async (t) => {
  const KEY_B = "sk-live-bbbbbbbbbbbb2222";
  const two = provider("two", { apiKeys: [KEY, KEY_B] });
  const on: DispatchTarget = { provider: two, model: "m" };
  const slow: Step = { status: 429, bodyText: "slow down" };
  await t.step("fixed upstream since: the set-aside key answers", async () => {
    // Key 1 refused (set aside), key 2 serves; then key 2 is rate limited without saying when.
    const { run, calls } = setup({ two: [{ status: 401 }, "ok", slow, "ok"] });
    await run([on]);
    const got = await run([on]);
    assert.equal(got.target.model, "m");
    assert.deepEqual(calls, [`two/m ${KEY}`, `two/m ${KEY_B}`, `two/m ${KEY_B}`, `two/m ${KEY}`]);
  });
  await t.step(
    "refused again: the 429 is the answer, its key not asked again at once",
    async () => {
      const { run, fail, calls } = setup({ two: [{ status: 401 }, "ok", slow, { status: 401 }] });
      await run([on]);
      const error = await fail([on]);
      assert.equal(error.status, 429);
      assert.deepEqual(calls.slice(2), [`two/m ${KEY_B}`, `two/m ${KEY}`]);
    },
  );
  await t.step(
    "refused again: a short announced wait of the other key is still waited out",
    async () => {
      const { run, calls, clock } = setup({
        two: [{ status: 401 }, "ok", rateLimited(2), { status: 401 }, "ok"],
      });
      await run([on]);
      const started = clock.now();
      const got = await run([on]);
      assert.equal(got.target.model, "m");
      assert.deepEqual(calls.slice(2), [`two/m ${KEY_B}`, `two/m ${KEY}`, `two/m ${KEY_B}`]);
      assert.equal(clock.now() - started, 2000);
    },
  );
});

Deno.test("a set-aside key refused again on its re-try is waited for from that refusal", async () => {
  const { fail, calls, clock } = setup({ nim: [{ status: 401 }] });
  await fail([at("m")]);
  await clock.advance(20 * 60_000); // the set-aside has 10 of its 30 minutes left
  const error = await fail([at("m")]);
  assert.equal(error.extra.code, "auth_unavailable");
  assert.equal(calls.length, 2, "the re-try reached the upstream");
  assert.equal(error.headers["Retry-After"], String(30 * 60), "30 minutes from the re-try");
});

Deno.test("a set-aside key whose re-try fails on the way leaves the other key's short wait to wait out", async (t) => {
  const KEY_B = "sk-live-bbbbbbbbbbbb2222";
  const two = provider("two", { apiKeys: [KEY, KEY_B] });
  const on: DispatchTarget = { provider: two, model: "m" };
  const broken: Step = { status: 500, bodyText: "internal error" };
  await t.step(
    "the re-try answers 500: key 2's announced 2 s are waited out, and it serves",
    async () => {
      const { run, calls, clock } = setup({
        two: [{ status: 401 }, "ok", rateLimited(2), broken, "ok"],
      });
      await run([on]);
      const started = clock.now();
      const got = await run([on]);
      assert.equal(got.target.model, "m");
      assert.deepEqual(calls.slice(2), [`two/m ${KEY_B}`, `two/m ${KEY}`, `two/m ${KEY_B}`]);
      assert.equal(clock.now() - started, 2000);
    },
  );
  await t.step("a long announced wait: the client is told the 429 and its wait", async () => {
    const { run, fail } = setup({ two: [{ status: 401 }, "ok", rateLimited(60), broken] });
    await run([on]);
    const error = await fail([on]);
    assert.equal(error.status, 429);
    assert.equal(error.headers["Retry-After"], "60");
  });
});

Deno.test("every key set aside and the re-try fails on the way: the client hears that failure, not a 30-minute set-aside", async () => {
  // The one key was refused; its re-try 20 minutes later meets a server error. Whether the key
  // works again is unknown: the server's trouble is the newest word, and a 5xx is retried soon,
  // where auth_unavailable would tell the client to come back in 30 minutes.
  const { fail, calls, clock } = setup({ nim: [{ status: 401 }, { status: 500 }] });
  await fail([at("m")]);
  await clock.advance(20 * 60_000); // set aside for 10 more minutes
  const error = await fail([at("m")]);
  assert.equal(calls.length, 2, "the re-try reached the upstream");
  assert.notEqual(error.extra.code, "auth_unavailable");
  assert.ok(error.status >= 500, `status ${error.status}`);
});

Deno.test("the last key refused while another cools for a short announced wait: it is waited out", async () => {
  const KEY_B = "sk-live-bbbbbbbbbbbb2222";
  const two = provider("two", { apiKeys: [KEY, KEY_B] });
  const on: DispatchTarget = { provider: two, model: "m" };
  // Key 1 answers 429 for 2 s, key 2 is refused: key 1's wait is short enough to wait out.
  const { run, calls, clock } = setup({ two: [rateLimited(2), { status: 401 }, "ok"] });
  const started = clock.now();
  const got = await run([on]);
  assert.equal(got.target.model, "m");
  assert.deepEqual(calls, [`two/m ${KEY}`, `two/m ${KEY_B}`, `two/m ${KEY}`]);
  assert.equal(clock.now() - started, 2000);
});
