/**
 * Key strategies, weighted routes and session affinity through the real server: mock upstreams
 * record which key each request came with, and each session's requests must stay where they began
 * until their key or target stops being usable.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { silentLogger } from "../../src/core/log.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import type { UsageStore } from "../../src/usage/store.ts";
import { zeroCounters } from "../../src/usage/totals.ts";
import { postMessages, type RunningCcp, startCcp } from "../helpers/ccp.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

/** One request an upstream saw: which upstream, with which key, for which session. */
interface Seen {
  readonly upstream: string;
  readonly key: string;
  readonly session: string;
  /** A count_tokens request. */
  readonly count?: boolean;
}

interface Upstream {
  readonly url: string;
  /** Keys answered with 429 (Retry-After 60) while listed. */
  readonly refuse: Set<string>;
  /** Answer 503 to everything while true. */
  down: boolean;
  close(): Promise<void>;
}

const ANSWER = textMessage("m", { input_tokens: 1, output_tokens: 1 }, "ok");

function upstream(name: string, seen: Seen[]): Upstream {
  const state = { refuse: new Set<string>(), down: false };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    const key = req.headers.get("x-api-key") ?? "";
    const session = req.headers.get("x-claude-code-session-id") ?? "";
    const count = new URL(req.url).pathname.endsWith("/count_tokens");
    seen.push({ upstream: name, key, session, ...(count ? { count } : {}) });
    if (state.down) {
      return Response.json({ type: "error", error: { type: "api_error", message: "down" } }, {
        status: 503,
      });
    }
    if (state.refuse.has(key)) {
      return Response.json(
        { type: "error", error: { type: "rate_limit_error", message: "slow down" } },
        { status: 429, headers: { "retry-after": "60" } },
      );
    }
    return Response.json(count ? { input_tokens: 7 } : ANSWER);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    get refuse() {
      return state.refuse;
    },
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: () => server.shutdown(),
  };
}

function config(text: string) {
  return configFromYaml({ file: "c.yaml", env: {}, text });
}

/** What a request carries besides its session header. */
interface Sent {
  readonly userId?: string;
  readonly path?: string;
  readonly system?: string;
  readonly messages?: readonly Record<string, unknown>[];
}

let oneOffs = 0;
/** A request of a conversation of its own (no session id, a first message no other has). */
const oneOff = (): Sent => ({ messages: [{ role: "user", content: `one-off ${++oneOffs}` }] });

async function send(url: string, session?: string, sent: Sent = {}): Promise<Response> {
  const res = await fetch(`${url}/v1/${sent.path ?? "messages"}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(session ? { "x-claude-code-session-id": session } : {}),
    },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 16,
      messages: sent.messages ?? [{ role: "user", content: "hi" }],
      ...(sent.system ? { system: sent.system } : {}),
      ...(sent.userId ? { metadata: { user_id: sent.userId } } : {}),
    }),
  });
  await res.body?.cancel();
  return res;
}

/** Where each session's requests went, in order: `upstream key` per request. */
function bySession(seen: readonly Seen[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of seen) (out[s.session] ??= []).push(`${s.upstream} ${s.key}`);
  return out;
}

/**
 * Runs `test` against ccp in front of one upstream `a` whose `keys` are taken in turn, with
 * session affinity (`routing` as written), and closes both after.
 */
async function roundRobin(
  test: (ccp: RunningCcp, seen: Seen[], up: Upstream) => Promise<void>,
  keys = "k1, k2",
  routing = "{ session_affinity: true }",
): Promise<void> {
  const seen: Seen[] = [];
  const up = upstream("a", seen);
  const ccp = startCcp(config(`
providers:
  a: { type: anthropic, base_url: "${up.url}", api_keys: [${keys}], key_strategy: round_robin }
routes: { default: a/m }
routing: ${routing}
`));
  try {
    await test(ccp, seen, up);
  } finally {
    await ccp.close();
    await up.close();
  }
}

/** ccp in front of two upstreams, `a` and `b`, which record what they see in `seen`. */
interface TwoUpstreams {
  readonly ccp: RunningCcp;
  readonly seen: Seen[];
  readonly a: Upstream;
  readonly b: Upstream;
}

/** Runs `test` against ccp on the config `yaml` writes for `a` and `b`, and closes all after. */
async function twoUpstreams(
  yaml: (a: Upstream, b: Upstream) => string,
  test: (rig: TwoUpstreams) => Promise<void>,
): Promise<void> {
  const seen: Seen[] = [];
  const a = upstream("a", seen);
  const b = upstream("b", seen);
  const ccp = startCcp(config(yaml(a, b)));
  try {
    await test({ ccp, seen, a, b });
  } finally {
    await ccp.close();
    await a.close();
    await b.close();
  }
}

Deno.test("round robin spreads sessions over keys; each session keeps its key", async () => {
  await roundRobin(async (ccp, seen, up) => {
    for (let round = 0; round < 3; round++) {
      for (const session of ["s1", "s2", "s3"]) {
        assert.equal((await send(ccp.url, session)).status, 200);
      }
    }
    assert.deepEqual(bySession(seen), {
      s1: ["a k1", "a k1", "a k1"],
      s2: ["a k2", "a k2", "a k2"],
      s3: ["a k3", "a k3", "a k3"],
    });

    // k2 is rate limited mid-session: only s2 moves, and it stays on its new key.
    seen.length = 0;
    up.refuse.add("k2");
    for (let round = 0; round < 2; round++) {
      for (const session of ["s1", "s2", "s3"]) {
        assert.equal((await send(ccp.url, session)).status, 200);
      }
    }
    const after = bySession(seen);
    assert.deepEqual(after.s1, ["a k1", "a k1"]);
    assert.deepEqual(after.s3, ["a k3", "a k3"]);
    assert.equal(after.s2![0], "a k2", "s2 tried its own key first");
    const moved = after.s2![1]!;
    assert.notEqual(moved, "a k2");
    assert.deepEqual(after.s2!.slice(1), [moved, moved], "s2 stays on the key it moved to");
    assert.ok(!ccp.logs.some((l) => /\bs[123]\b/.test(l)), "a session id reached the log");
    const health = await (await fetch(`${ccp.url}/health`)).json();
    assert.equal(health.resilience.providers.a.key_strategy, "round_robin");
  }, "k1, k2, k3");
});

Deno.test("without affinity, round robin hands each request the next key", async () => {
  const seen: Seen[] = [];
  const up = upstream("a", seen);
  const ccp = startCcp(config(`
providers:
  a: { type: anthropic, base_url: "${up.url}", api_keys: [k1, k2], key_strategy: round_robin }
  b: { type: anthropic, base_url: "${up.url}", api_keys: [j1, j2] }
routes: { default: a/m, opus: b/m }
`));
  try {
    for (let i = 0; i < 4; i++) assert.equal((await send(ccp.url, "s1")).status, 200);
    assert.deepEqual(seen.map((s) => s.key), ["k1", "k2", "k1", "k2"]);
    seen.length = 0;
    // Fill-first stays the default: one key until it is refused.
    const opus = () =>
      postMessages(ccp.url, {
        model: "claude-opus-4-1",
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      }).then((r) => r.body?.cancel());
    for (let i = 0; i < 3; i++) await opus();
    assert.deepEqual(seen.map((s) => s.key), ["j1", "j1", "j1"]);
  } finally {
    await ccp.close();
    await up.close();
  }
});

Deno.test("a session's key is forgotten once its affinity ttl has passed", async () => {
  await roundRobin(
    async (ccp, seen) => {
      await send(ccp.url, "s1"); // k1; the next new choice is k2
      await send(ccp.url, undefined, oneOff()); // no session: k2, then k1
      await send(ccp.url, "s1"); // its own k1 (the turn does not move)
      await send(ccp.url, undefined, oneOff()); // k1, then k2
      await new Promise((r) => setTimeout(r, 450));
      await send(ccp.url, "s1"); // forgotten: the next in turn, k2
      assert.deepEqual(seen.map((s) => `${s.session || "-"} ${s.key}`), [
        "s1 k1",
        "- k2",
        "s1 k1",
        "- k1",
        "s1 k2",
      ]);
    },
    "k1, k2",
    "{ session_affinity: true, session_affinity_ttl: 300ms }",
  );
});

Deno.test("a weighted route spreads new sessions by weight and keeps each on its target", async () => {
  await twoUpstreams(
    (a, b) => `
providers:
  a: { type: anthropic, base_url: "${a.url}", api_key: ka, max_retries: 0 }
  b: { type: anthropic, base_url: "${b.url}", api_key: kb, max_retries: 0 }
routes:
  default:
    - { target: a/m, weight: 3 }
    - { target: b/m, weight: 1 }
routing: { session_affinity: true }
`,
    async ({ ccp, seen, b }) => {
      // Without a session each request takes the next weighted turn.
      for (let i = 0; i < 8; i++) await send(ccp.url, undefined, oneOff());
      assert.equal(seen.map((s) => s.upstream).join(""), "aabaaaba");

      seen.length = 0;
      const sessions = ["s1", "s2", "s3", "s4"];
      for (let round = 0; round < 3; round++) {
        for (const s of sessions) assert.equal((await send(ccp.url, s)).status, 200);
      }
      const first = bySession(seen);
      for (const s of sessions) {
        assert.equal(new Set(first[s]).size, 1, `${s} changed target: ${first[s]}`);
      }
      const onB = sessions.filter((s) => first[s]![0] === "b kb");
      assert.equal(onB.length, 1, "one session in four goes to the weight-1 target");

      // b fails: its session fails over to a and stays there once b is back.
      seen.length = 0;
      b.down = true;
      assert.equal((await send(ccp.url, onB[0])).status, 200);
      b.down = false;
      for (let i = 0; i < 2; i++) assert.equal((await send(ccp.url, onB[0])).status, 200);
      assert.deepEqual(bySession(seen)[onB[0]!], ["b kb", "a ka", "a ka", "a ka"]);
    },
  );
});

Deno.test("on a route without weights a moved session goes back to the first target once it serves", async () => {
  await twoUpstreams(
    (a, b) => `
providers:
  a: { type: anthropic, base_url: "${a.url}", api_key: ka, max_retries: 0 }
  b: { type: anthropic, base_url: "${b.url}", api_key: kb, max_retries: 0 }
routes:
  default: [a/m, b/m]
routing: { session_affinity: true }
`,
    async ({ ccp, seen, a }) => {
      // The chain's order decides every request, as a quota fallback wants: no target is the
      // session's own, so once the first target serves again, the session is back on it.
      assert.equal((await send(ccp.url, "s1")).status, 200);
      a.down = true;
      assert.equal((await send(ccp.url, "s1")).status, 200);
      a.down = false;
      for (let i = 0; i < 2; i++) assert.equal((await send(ccp.url, "s1")).status, 200);
      assert.deepEqual(bySession(seen).s1, ["a ka", "a ka", "b kb", "a ka", "a ka"]);
    },
  );
});

Deno.test("without the header, the session in metadata.user_id keeps its key", async () => {
  await roundRobin(async (ccp, seen) => {
    const older = "user_0f1e_account_7a7a_session_11111111-aaaa";
    const newer = JSON.stringify({ device_id: "d", account_uuid: "a", session_id: "2222-bbbb" });
    for (let i = 0; i < 3; i++) {
      await send(ccp.url, undefined, { userId: older });
      await send(ccp.url, undefined, { userId: newer });
      await send(ccp.url, undefined, oneOff()); // no session: takes its turn, and moves it on
    }
    assert.deepEqual(seen.map((s) => s.key), [
      "k1",
      "k2",
      "k1",
      "k1",
      "k2",
      "k2",
      "k1",
      "k2",
      "k1",
    ]);
  });
});

Deno.test("a forwarded count_tokens follows its session's target and key, and moves neither", async () => {
  await twoUpstreams(
    (a, b) => `
providers:
  a:
    type: anthropic
    base_url: "${a.url}"
    api_keys: [k1, k2]
    key_strategy: round_robin
    count_tokens: true
  b: { type: anthropic, base_url: "${b.url}", api_key: kb, count_tokens: true }
routes:
  default:
    - { target: a/m, weight: 1 }
    - { target: b/m, weight: 1 }
routing: { session_affinity: true }
`,
    async ({ ccp, seen }) => {
      const count = (session?: string) => send(ccp.url, session, { path: "messages/count_tokens" });
      for (const s of ["s1", "s2", "s3"]) assert.equal((await send(ccp.url, s)).status, 200);
      assert.deepEqual(seen.map((r) => `${r.session} ${r.upstream} ${r.key}`), [
        "s1 a k1",
        "s2 b kb",
        "s3 a k2",
      ]);
      seen.length = 0;
      for (const s of ["s3", "s2", "s1", "s3"]) assert.equal((await count(s)).status, 200);
      assert.deepEqual(seen.map((r) => `${r.session} ${r.upstream} ${r.key} ${r.count}`), [
        "s3 a k2 true",
        "s2 b kb true",
        "s1 a k1 true",
        "s3 a k2 true",
      ]);
      // A count with no session goes to the route's first written target, as it did.
      seen.length = 0;
      assert.equal((await count()).status, 200);
      assert.equal(seen[0]?.upstream, "a");
      // The counts moved no session.
      seen.length = 0;
      for (const s of ["s1", "s2", "s3"]) assert.equal((await send(ccp.url, s)).status, 200);
      assert.deepEqual(seen.map((r) => `${r.session} ${r.upstream} ${r.key}`), [
        "s1 a k1",
        "s2 b kb",
        "s3 a k2",
      ]);
    },
  );
});

Deno.test("without any session id, a conversation keeps its key by its system prompt and first message", async () => {
  await roundRobin(async (ccp, seen) => {
    // A turn of a conversation: its first message, then `turn` more exchanges; the cache marker on
    // the last message moves every turn, as SDK clients place it.
    const turn = (first: string, turn: number): Sent => {
      const messages: Record<string, unknown>[] = [{ role: "user", content: first }];
      for (let i = 0; i < turn; i++) {
        messages.push({ role: "assistant", content: `answer ${i}` });
        messages.push({ role: "user", content: `more ${i}` });
      }
      const last = messages.at(-1)!;
      messages[messages.length - 1] = {
        ...last,
        content: [{ type: "text", text: last.content, cache_control: { type: "ephemeral" } }],
      };
      return { system: "You review code.", messages };
    };
    for (const [first, n] of [["fix a", 0], ["fix a", 1], ["fix b", 0], ["fix b", 1]] as const) {
      assert.equal((await send(ccp.url, undefined, turn(first, n))).status, 200);
    }
    assert.equal((await send(ccp.url, undefined, turn("fix a", 2))).status, 200);
    // The same first message under another system prompt is another conversation: the next key.
    assert.equal(
      (await send(ccp.url, undefined, { ...turn("fix a", 0), system: "You write docs." })).status,
      200,
    );
    assert.deepEqual(seen.map((s) => s.key), ["k1", "k1", "k2", "k2", "k1", "k1"]);
    assert.ok(!ccp.logs.some((l) => l.includes("fix a")), "prompt text reached the log");
  });
});

Deno.test("a session whose own target spent its budget moves, alone, and keeps its key limits", async () => {
  const seen: Seen[] = [];
  const a = upstream("a", seen);
  const b = upstream("b", seen);
  const cfg = config(`
providers:
  a: { type: anthropic, base_url: "${a.url}", api_key: ka }
  b: { type: anthropic, base_url: "${b.url}", api_keys: [k1, k2], key_usage_limit: 2 }
routes:
  default:
    - { target: a/m, weight: 1 }
    - { target: b/m, weight: 1 }
budgets:
  - { target: a/m, tokens: 3, per: day }
routing: { session_affinity: true }
`);
  // An empty ledger kept in memory: budgets count what this run spends.
  const store = {
    description: "memory",
    totals: () => Promise.resolve(zeroCounters()),
    append: () => Promise.resolve(),
    prune: () => Promise.resolve(0),
    close() {},
  } as unknown as UsageStore;
  const ledger = new Ledger(store, () => cfg, silentLogger);
  await ledger.start();
  const ccp = startCcp(cfg, { ledger });
  try {
    for (const s of ["s1", "s2", "s1", "s1", "s2", "s2", "s1"]) {
      assert.equal((await send(ccp.url, s)).status, 200);
    }
    assert.deepEqual(bySession(seen), {
      // Two answers of 2 tokens spend a/m's 3: s1 moves to b, to the key of the pool's turn.
      s1: ["a ka", "a ka", "b k1", "b k1"],
      // s2 stays on b, and leaves k1 once k1 gave its 2 answers (its own and s1's).
      s2: ["b k1", "b k2", "b k2"],
    });
  } finally {
    await ccp.close();
    await ledger.close();
    await a.close();
    await b.close();
  }
});
