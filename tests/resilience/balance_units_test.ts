/** Session ids, the session affinity store's bounds, the weighted spread, and the key choice. */

import assert from "node:assert/strict";
import { SessionAffinity } from "../../src/resilience/affinity.ts";
import { chooseKey, type KeyAffinity } from "../../src/resilience/key_choice.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { TargetSpread } from "../../src/resilience/spread.ts";
import { sessionIdOf } from "../../src/routing/session_id.ts";
import { conversationIdOf } from "../../src/routing/conversation_id.ts";
import { FakeClock } from "./fake_clock.ts";

Deno.test("sessionIdOf: the header first, then what metadata.user_id says", async (t) => {
  const none = new Headers();
  const rows: Array<[string, Headers, Record<string, unknown>, string | undefined]> = [
    ["header", new Headers({ "x-claude-code-session-id": " abc " }), {}, "abc"],
    [
      "header over body",
      new Headers({ "x-claude-code-session-id": "h" }),
      { metadata: { user_id: "user_x_account_y_session_z" } },
      "h",
    ],
    ["older user_id", none, { metadata: { user_id: "user_1f_account_a-b_session_s-1" } }, "s-1"],
    [
      "JSON user_id",
      none,
      { metadata: { user_id: '{"device_id":"d","account_uuid":"a","session_id":"s-2"}' } },
      "s-2",
    ],
    [
      "JSON without a session: the user's id",
      none,
      { metadata: { user_id: '{"device_id":"d"}' } },
      '{"device_id":"d"}',
    ],
    ["plain user id", none, { metadata: { user_id: "alice" } }, "alice"],
    ["unreadable JSON is text", none, { metadata: { user_id: "{oops" } }, "{oops"],
    ["too long", none, { metadata: { user_id: "x".repeat(300) } }, undefined],
    ["no metadata", none, {}, undefined],
    ["metadata not an object", none, { metadata: "s" }, undefined],
    ["user_id not text", none, { metadata: { user_id: 7 } }, undefined],
    ["empty header falls to the body", new Headers({ "x-claude-code-session-id": "" }), {
      metadata: { user_id: "u" },
    }, "u"],
  ];
  for (const [name, headers, body, expected] of rows) {
    await t.step(name, () => assert.equal(sessionIdOf(headers, body), expected));
  }
});

Deno.test("conversationIdOf: the system prompt and first user message, by their text only", () => {
  const user = (content: unknown) => ({ role: "user", content });
  const base = conversationIdOf({ system: "Be brief.", messages: [user("fix a")] });
  assert.match(base!, /^conversation:[0-9a-f]{16}$/);
  assert.ok(!base!.includes("fix"), "no prompt text in the id");
  const same = [
    { system: [{ type: "text", text: "Be brief." }], messages: [user("fix a")] },
    {
      system: "Be brief.",
      messages: [
        user([{ type: "text", text: "fix a", cache_control: { type: "ephemeral" } }]),
        { role: "assistant", content: "done" },
        user("more"),
      ],
    },
  ];
  for (const body of same) assert.equal(conversationIdOf(body), base, JSON.stringify(body));
  const other = [
    { system: "Be long.", messages: [user("fix a")] },
    { system: "Be brief.", messages: [user("fix b")] },
    { messages: [user("fix a")] },
    { system: "Be brief.fix a", messages: [user("")] },
  ];
  for (const body of other) assert.notEqual(conversationIdOf(body), base, JSON.stringify(body));
  assert.equal(conversationIdOf({ messages: [] }), undefined);
  assert.equal(
    conversationIdOf({ system: "", messages: [user([{ type: "image" }])] }) !== undefined,
    true,
  );
  // Bounded: past the hashed head, a long prompt's tail does not change the id.
  const long = "x".repeat(200_000);
  assert.equal(
    conversationIdOf({ system: `${long}1`, messages: [user("a")] }),
    conversationIdOf({ system: `${long}2`, messages: [user("a")] }),
  );
});

Deno.test("SessionAffinity: a session's choices last ttl after its last use", async () => {
  const clock = new FakeClock();
  const store = new SessionAffinity({ clock });
  store.session("s", 1000).keepKey("p", 2);
  await clock.advance(900);
  assert.equal(store.session("s", 1000).keyOf("p"), 2, "each use renews the ttl");
  await clock.advance(900);
  const again = store.session("s", 1000);
  assert.equal(again.keyOf("p"), 2);
  again.keepTarget("default", "a/m");
  await clock.advance(1000);
  const late = store.session("s", 1000);
  assert.equal(late.keyOf("p"), undefined, "expired");
  assert.equal(late.targetOf("default"), undefined);
});

Deno.test("SessionAffinity.peek reads a session without keeping, renewing or creating it", async () => {
  const clock = new FakeClock();
  const store = new SessionAffinity({ clock });
  assert.equal(store.peek("none"), undefined);
  assert.equal(store.size, 0, "a peek creates no session");
  store.session("s", 1000).keepKey("p", 1);
  const seen = store.peek("s")!;
  assert.equal(seen.keyOf("p"), 1);
  seen.keepKey("p", 0);
  seen.keepTarget("default", "a/m");
  assert.equal(store.peek("s")!.keyOf("p"), 1, "a peek rebinds nothing");
  assert.equal(store.peek("s")!.targetOf("default"), undefined);
  await clock.advance(600);
  store.peek("s");
  await clock.advance(600);
  assert.equal(store.peek("s"), undefined, "a peek does not renew the ttl");
});

Deno.test("SessionAffinity: bounded; the expired go first, then the least recently used", async () => {
  const clock = new FakeClock();
  const store = new SessionAffinity({ clock, maxSessions: 3 });
  for (const id of ["a", "b", "c"]) store.session(id, 1000).keepKey("p", 1);
  store.session("a", 1000); // a is the most recent now
  store.session("d", 1000);
  assert.equal(store.size, 3);
  assert.equal(store.session("a", 1000).keyOf("p"), 1, "recently used a stays");
  assert.equal(store.session("b", 1000).keyOf("p"), undefined, "least recently used b went");
  await clock.advance(2000);
  store.session("e", 1000);
  assert.equal(store.size, 1, "expired sessions are dropped as new ones come");
  for (let i = 0; i < 100; i++) store.session(`n${i}`, 1000);
  assert.equal(store.size, 3);
});

Deno.test("TargetSpread: smooth weighted turns; a session's target first; ordered chains unchanged", () => {
  const spread = new TargetSpread();
  const a = { provider: "a", model: "m", weight: 2 };
  const b = { provider: "b", model: "m", weight: 1 };
  const z = { provider: "z", model: "m", weight: 0 };
  const firsts = Array.from({ length: 6 }, () => spread.order("r", [a, b, z])[0]!.provider);
  assert.deepEqual(firsts, ["a", "b", "a", "a", "b", "a"]);
  assert.deepEqual(
    spread.order("r", [a, b, z], "z/m"),
    [z, a, b],
    "a session's own, even weight 0",
  );
  assert.deepEqual(spread.order("r", [a, b, z], "gone/m").length, 3, "an unknown one is ignored");
  const ordered = [{ provider: "a", model: "m" }, { provider: "b", model: "m" }];
  assert.equal(spread.order("o", ordered, "b/m"), ordered, "no weights: as written");
  // Failover follows the written order behind the chosen target.
  const c = { provider: "c", model: "m", weight: 5 };
  assert.deepEqual(spread.order("q", [a, b, c]).map((t) => t.provider), ["c", "a", "b"]);
});

Deno.test("chooseKey: round robin hands out keys in turn, past cooling ones; fill-first stays", () => {
  const ref = { provider: "p", model: "m" };
  const rr = new KeyPool(["k1", "k2", "k3"], { strategy: "round_robin" });
  const take = (pool: KeyPool, affinity?: KeyAffinity) => {
    const pick = chooseKey(pool, ref, affinity);
    return pick.ok ? pick.key.value : "none";
  };
  // Requests in flight together: no answer in between, each still gets the next key.
  assert.deepEqual([take(rr), take(rr), take(rr), take(rr)], ["k1", "k2", "k3", "k1"]);
  const k2 = rr.pick().ok ? rr.usable(1)! : assert.fail();
  rr.rateLimited(k2, 60_000, "m");
  assert.deepEqual([take(rr), take(rr), take(rr)], ["k3", "k1", "k3"]);
  const ff = new KeyPool(["k1", "k2"]);
  assert.deepEqual([take(ff), take(ff), take(ff)], ["k1", "k1", "k1"]);
});

Deno.test("chooseKey: a session keeps its key while usable, then keeps the one it moved to", () => {
  const ref = { provider: "p", model: "m" };
  const pool = new KeyPool(["k1", "k2", "k3"], { strategy: "round_robin" });
  const store = new SessionAffinity();
  const take = (session: string) => {
    const pick = chooseKey(pool, ref, store.session(session, 60_000));
    return pick.ok ? pick.key.value : "none";
  };
  assert.deepEqual([take("a"), take("b"), take("a"), take("b")], ["k1", "k2", "k1", "k2"]);
  pool.rateLimited(pool.usable(0)!, 60_000, "m");
  assert.equal(take("a"), "k3", "a moved to the next usable key");
  assert.equal(take("b"), "k2", "b did not move");
  assert.equal(take("a"), "k3", "a stays where it moved");
  // A keyless provider remembers nothing.
  const keyless = new KeyPool([]);
  const session = store.session("c", 60_000);
  chooseKey(keyless, { provider: "q", model: "m" }, session);
  assert.equal(session.keyOf("q"), undefined);
});

Deno.test("chooseKey: a session's key past its key_usage_limit is left, by that session alone", () => {
  const ref = { provider: "p", model: "m" };
  const pool = new KeyPool(["k1", "k2", "k3"], { usageLimit: 2 });
  const store = new SessionAffinity();
  // Each request is answered: the answer is what counts against a key's turn.
  const take = (session: string) => {
    const pick = chooseKey(pool, ref, store.session(session, 60_000));
    if (!pick.ok) return "none";
    pool.succeeded(pick.key, "m");
    return pick.key.value;
  };
  store.session("c", 60_000).keepKey("p", 2); // c was given k3 (on another instance, say)
  assert.deepEqual(
    ["a", "c", "a", "a", "c", "c"].map(take),
    ["k1", "k3", "k1", "k2", "k3", "k2"],
    "a leaves k1 at its limit (the pool turned to k2); c leaves k3 at its own, to the pool's k2",
  );
  // k2 gave its two answers: the pool turned to k3, whose count starts afresh.
  assert.deepEqual(["a", "c", "a"].map(take), ["k3", "k3", "k1"]);
});

Deno.test("chooseKey: a session's key is held to every guard a fresh pick honours", async (t) => {
  const ref = { provider: "p", model: "m" };
  const guards: Array<[string, (pool: KeyPool) => void]> = [
    ["a 429 for the model", (pool) => pool.rateLimited(pool.usable(1)!, 60_000, "m")],
    ["a 429 for the whole key", (pool) => pool.rateLimited(pool.usable(1)!, 60_000)],
    ["a 401 set-aside", (pool) => pool.rejected(pool.usable(1)!, 401, "bad key")],
    ["a 403 for the model", (pool) => pool.rejected(pool.usable(1)!, 403, "no access", "m")],
    [
      "another instance's cool-down",
      (pool) => pool.adoptCooling(1, "m", Date.now() + 60_000, true),
    ],
    [
      "another instance's set-aside",
      (pool) => pool.adoptSetAside(1, Date.now() + 60_000, 401, "bad key"),
    ],
  ];
  for (const [name, guard] of guards) {
    await t.step(name, () => {
      const pool = new KeyPool(["k1", "k2", "k3"]);
      const store = new SessionAffinity();
      store.session("a", 60_000).keepKey("p", 1);
      store.session("b", 60_000).keepKey("p", 2);
      guard(pool);
      const take = (s: string) => {
        const pick = chooseKey(pool, ref, store.session(s, 60_000));
        return pick.ok ? pick.key.value : "none";
      };
      assert.deepEqual(["a", "b", "a"].map(take), ["k1", "k3", "k1"]);
    });
  }
});

Deno.test("SessionAffinity.adopt takes in only choices newer than the session's own", async () => {
  const clock = new FakeClock();
  const store = new SessionAffinity({ clock });
  const held = store.session("s", 60_000);
  const at = held.keepKey("p", 1);
  assert.equal(at, clock.now());
  held.keepTarget("r", "a/m");
  await clock.advance(10);
  assert.equal(held.keepKey("p", 1), at, "kept again as it is: the time of the choice stays");
  held.adopt({
    keys: new Map([["p", { value: 0, at: at - 1 }], ["q", { value: 2, at: -1 }]]),
    targets: new Map([["r", { value: "b/m", at: clock.now() + 1 }]]),
  });
  assert.equal(held.keyOf("p"), 1, "an older choice read elsewhere does not undo this one");
  assert.equal(held.keyOf("q"), 2, "a choice of a provider this session had none on is taken");
  assert.equal(held.targetOf("r"), "b/m", "a newer choice is taken");
});
