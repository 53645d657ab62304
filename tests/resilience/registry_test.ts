import assert from "node:assert/strict";
import { MAX_BREAKERS, ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock } from "./fake_clock.ts";
import { provider } from "./helpers.ts";

const KEY = "sk-secret-value-00009999";

Deno.test("ResilienceRegistry", async (t) => {
  await t.step("builds one pool and limiter per provider id, lazily", () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock() });
    const config = provider("groq", { apiKeys: [KEY] });
    assert.equal(registry.provider(config), registry.provider(config));
    assert.deepEqual(Object.keys(registry.snapshot().providers), ["groq"]);
  });
  await t.step("a reload with the same keys and limits keeps cool-downs", () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock() });
    const first = registry.provider(provider("groq", { apiKeys: [KEY] }));
    const reloaded = registry.provider(provider("groq", { apiKeys: [KEY], models: ["x"] }));
    assert.equal(first, reloaded);
  });
  await t.step("new keys or limits start a fresh pool (no inherited blocks)", () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock() });
    const first = registry.provider(provider("groq", { apiKeys: [KEY] }));
    const pick = first.keys.pick();
    assert.ok(pick.ok);
    first.keys.rejected(pick.key, 401, "bad");
    const fresh = registry.provider(provider("groq", { apiKeys: ["sk-new-key-000000000001"] }));
    assert.notEqual(first, fresh);
    assert.equal(fresh.keys.pick().ok, true);
    const limited = registry.provider(provider("groq", {
      apiKeys: ["sk-new-key-000000000001"],
      maxConcurrency: 2,
    }));
    assert.notEqual(fresh, limited);
  });
  await t.step(
    "a request still retrying on the config before a reload keeps its own pool",
    async () => {
      const registry = new ResilienceRegistry({ clock: new FakeClock() });
      const before = provider("groq", { apiKeys: [KEY], maxConcurrency: 1 });
      const old = registry.provider(before);
      const after = provider("groq", { apiKeys: ["sk-new-key-000000000001"], maxConcurrency: 1 });
      const reloaded = registry.provider(after);
      assert.notEqual(old, reloaded);
      // A request of the reloaded config holds the one slot; one begun before the reload retries.
      const release = await reloaded.limiter.acquire();
      assert.equal(registry.provider(before), old);
      // The reloaded config's state is untouched: its slot is still held, its key still shown.
      assert.equal(registry.provider(after), reloaded);
      assert.deepEqual(registry.snapshot().providers.groq?.limiter, {
        active: 1,
        queued: 0,
        inWindow: 0,
      });
      assert.deepEqual(registry.snapshot().providers.groq?.keys.map((k) => k.label), [
        "key 1 (…0001)",
      ]);
      release();
    },
  );
  await t.step(
    "a reload that changes the rate limit counts the requests already sent",
    async () => {
      const clock = new FakeClock();
      const registry = new ResilienceRegistry({ clock });
      const before = provider("groq", {
        apiKeys: [KEY],
        rateLimit: { requests: 3, windowMs: 60_000 },
      });
      const { limiter } = registry.provider(before);
      for (let i = 0; i < 3; i++) (await limiter.acquire())();
      // The user lowers the limit after the provider's 429s; the window is not over.
      await clock.advance(10_000);
      const after = provider("groq", {
        apiKeys: [KEY],
        rateLimit: { requests: 2, windowMs: 60_000 },
      });
      assert.deepEqual(registry.provider(after).limiter.snapshot(), {
        active: 0,
        queued: 0,
        inWindow: 2,
      });
    },
  );
  await t.step("a reload that moves a provider to another address closes its circuits", () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock(), breaker: { threshold: 1 } });
    const wrong = provider("groq", { apiKeys: [KEY], baseUrl: "http://127.0.0.1:1" });
    registry.provider(wrong);
    registry.breaker("groq", "m").failed("cannot connect");
    registry.breaker("other", "m").failed("cannot connect");
    // A reload that changes only a limit leaves the circuit as it is.
    registry.provider({ ...wrong, maxConcurrency: 4 });
    assert.equal(registry.breaker("groq", "m").state, "open");
    // The user fixes the base URL and reloads: the target is tried again at once.
    registry.provider({ ...wrong, maxConcurrency: 4, baseUrl: "http://127.0.0.1:2" });
    assert.equal(registry.breaker("groq", "m").state, "closed");
    assert.equal(registry.breaker("other", "m").state, "open");
  });
  await t.step("one breaker per provider+model", () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock() });
    assert.equal(registry.breaker("a", "m1"), registry.breaker("a", "m1"));
    assert.notEqual(registry.breaker("a", "m1"), registry.breaker("a", "m2"));
  });
  await t.step("breaker options apply to every breaker", () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock(), breaker: { threshold: 1 } });
    registry.breaker("a", "m").failed("x");
    assert.equal(registry.breaker("a", "m").state, "open");
  });
  await t.step("the health snapshot shows state and never a key", () => {
    const clock = new FakeClock();
    const registry = new ResilienceRegistry({ clock });
    const { keys } = registry.provider(provider("groq", { apiKeys: [KEY], maxConcurrency: 4 }));
    const pick = keys.pick();
    assert.ok(pick.ok);
    keys.rateLimited(pick.key, 9000);
    for (let i = 0; i < 3; i++) registry.breaker("groq", "llama").failed("upstream answered 502");
    const snapshot = registry.snapshot();
    assert.deepEqual(snapshot, {
      providers: {
        groq: {
          keys: [{
            label: "key 1 (…9999)",
            state: "cooling",
            uses: 0,
            until: clock.now() + 9000,
            status: 429,
            reason: "rate limited (429)",
          }],
          limiter: { active: 0, queued: 0, inWindow: 0 },
        },
      },
      targets: {
        "groq/llama": {
          state: "open",
          failures: 3,
          opens: 1,
          openUntil: clock.now() + 5000,
          lastError: "upstream answered 502",
        },
      },
      learned_params: {},
    });
    assert.ok(!JSON.stringify(snapshot).includes("secret"));
  });
});

Deno.test("ResilienceRegistry.follow: what a config no longer names is let go, renames still take over", async (t) => {
  const OTHER = "sk-other-value-0000aaaa";
  await t.step("hundreds of reloads renaming a provider keep one provider's state", () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock(), breaker: { threshold: 1 } });
    let name = "p0";
    const at = { apiKeys: [KEY], baseUrl: "https://one.example/v1" };
    registry.follow({ [name]: provider(name, at) });
    registry.breaker(name, "m").failed("upstream answered 502");
    for (let i = 1; i <= 300; i++) {
      name = `p${i}`;
      registry.follow({ [name]: provider(name, at), [`gone${i}`]: provider(`gone${i}`) });
      registry.breaker(`gone${i}`, "m");
    }
    registry.follow({ [name]: provider(name, at) });
    assert.deepEqual(Object.keys(registry.snapshot().providers), [name]);
    assert.deepEqual(Object.keys(registry.snapshot().targets), [`${name}/m`]);
    assert.equal(registry.breakers, 1);
    // The circuit the first name's failures opened went with each rename.
    assert.equal(registry.breaker(name, "m").state, "open");
  });
  await t.step(
    "a name renamed away and back gets the state it has now, not its old one",
    async () => {
      const clock = new FakeClock();
      const registry = new ResilienceRegistry({ clock });
      const limits = {
        apiKeys: [KEY],
        baseUrl: "https://one.example/v1",
        rateLimit: { requests: 5, windowMs: 60_000 },
      };
      registry.follow({ a: provider("a", limits) });
      (await registry.provider(provider("a", limits)).limiter.acquire())();
      registry.follow({ b: provider("b", limits) });
      const b = registry.provider(provider("b", limits)).limiter;
      for (let i = 0; i < 3; i++) (await b.acquire())();
      registry.follow({ a: provider("a", limits) });
      assert.equal(registry.provider(provider("a", limits)).limiter.snapshot().inWindow, 4);
    },
  );
  await t.step("keys listed in another order keep circuits and a renamed rate window", async () => {
    const registry = new ResilienceRegistry({ clock: new FakeClock(), breaker: { threshold: 1 } });
    const limits = { rateLimit: { requests: 5, windowMs: 60_000 } };
    registry.follow({ g: provider("g", { apiKeys: [KEY, OTHER], ...limits }) });
    registry.breaker("g", "m").failed("upstream answered 502");
    (await registry.provider(provider("g", { apiKeys: [KEY, OTHER], ...limits })).limiter
      .acquire())();
    registry.follow({ g: provider("g", { apiKeys: [OTHER, KEY], ...limits }) });
    assert.equal(registry.breaker("g", "m").state, "open");
    registry.follow({ h: provider("g", { id: "h", apiKeys: [KEY, OTHER], ...limits }) });
    const h = registry.provider(provider("g", { id: "h", apiKeys: [KEY, OTHER], ...limits }));
    assert.equal(h.limiter.snapshot().inWindow, 1);
    assert.equal(registry.breaker("h", "m").state, "open");
  });
});

Deno.test("ResilienceRegistry keeps at most MAX_BREAKERS breakers, the recently used ones", () => {
  const registry = new ResilienceRegistry({ clock: new FakeClock() });
  // A target in steady use, open after its failures: it must outlive the flood of new names.
  const busy = registry.breaker("up", "busy-model");
  for (let i = 0; i < 3; i++) busy.failed("503");
  for (let i = 0; i < MAX_BREAKERS * 5; i++) {
    // Each invented model failed once: not idle, so never dropped as idle.
    registry.breaker("up", `invented-model-${i}`).failed("404 no such model");
    if (i % 100 === 0) registry.breaker("up", "busy-model");
  }
  assert.ok(registry.breakers <= MAX_BREAKERS, `${registry.breakers} breakers`);
  assert.equal(registry.breaker("up", "busy-model"), busy);
  assert.equal(registry.snapshot().targets["up/busy-model"]?.state, "open");
  const newest = registry.snapshot().targets[`up/invented-model-${MAX_BREAKERS * 5 - 1}`];
  assert.equal(newest?.failures, 1);
});
