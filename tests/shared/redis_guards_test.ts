/**
 * Three ccp instances sharing guard state through a real Redis: one rate window across them,
 * cool-downs and set-asides learned by one honoured by the others, and Redis going away and
 * coming back in `open` and `closed` modes.
 */

import assert from "node:assert/strict";
import { pacedStream, textMessage } from "../mocks/anthropic_fixtures.ts";
import { runCheck } from "../../src/cli/check.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { redisTest, until } from "./engines.ts";
import { keyedUpstream, refusal } from "./keyed_upstream.ts";
import { postMessages } from "../helpers/ccp.ts";

const message = textMessage("m", { input_tokens: 10, output_tokens: 5 });

/** An upstream that refuses some keys: `limited-*` with 429 (Retry-After 30), `revoked-*` with 401. */
function startUpstream() {
  const seen: { key: string; at: number; model: string }[] = [];
  const slow = { inFlight: 0, most: 0 };
  const flaky = { limited: false };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const { model, stream } = await req.json();
    const key = req.headers.get("x-api-key") ?? "";
    seen.push({ key, at: Date.now(), model });
    if (stream) {
      // ~0.5 s: long enough for Redis to go away in the middle of it.
      const parts = [0, 1, 2, 3, 4].map((i) => `part ${i} `);
      const paced = pacedStream(model, parts, () => new Promise((r) => setTimeout(r, 100)));
      return new Response(paced, { headers: { "content-type": "text/event-stream" } });
    }
    if (key.startsWith("slow-")) {
      slow.most = Math.max(slow.most, ++slow.inFlight);
      await new Promise((r) => setTimeout(r, 200));
      slow.inFlight--;
    }
    if (key.startsWith("limited-") || (key.startsWith("flaky-") && flaky.limited)) {
      return refusal("limit");
    }
    if (key.startsWith("revoked-")) return refusal("refuse");
    return Response.json({ ...message, model });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    slow,
    flaky,
    close: () => server.shutdown(),
  };
}

async function streamText(url: string, model: string): Promise<string> {
  const res = await postMessages(url, {
    model,
    max_tokens: 10,
    stream: true,
    messages: [{ role: "user", content: "hi" }],
  });
  return `${res.status} ${await res.text()}`;
}

async function send(url: string, model: string) {
  const res = await postMessages(url, {
    model,
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }],
  });
  return { status: res.status, body: await res.json() };
}

redisTest(
  "shared.redis: one rate window and shared slots across instances, learned guards, outages",
  async (redis) => {
    const up = startUpstream();
    const dir = await Deno.makeTempDir({ prefix: "ccp_redis_" });
    const config = (mode: string) =>
      `server: { data_dir: data }
usage: { enabled: false }
shared: { redis: "${redis.url}", on_unavailable: ${mode} }
providers:
  paced:
    type: anthropic
    base_url: "${up.url}"
    api_key: good-paced-0123456789
    rate_limit: { requests: 10, window: 3s }
  pool:
    type: anthropic
    base_url: "${up.url}"
    api_keys: [limited-0123456789, revoked-0123456789, good-pool-0123456789]
  flaky:
    type: anthropic
    base_url: "${up.url}"
    api_keys: [flaky-0123456789, good-flaky-0123456789]
  narrow:
    type: anthropic
    base_url: "${up.url}"
    api_key: slow-0123456789
    max_concurrency: 2
routes:
  default: paced/m
  haiku: pool/m
  opus: narrow/m
`;
    await Deno.writeTextFile(`${dir}/open.yaml`, config("open"));
    await Deno.writeTextFile(`${dir}/closed.yaml`, config("closed"));
    const servers = await Promise.all(
      ["open.yaml", "open.yaml", "closed.yaml"].map((file) =>
        startServer({ ctx: testContext(dir), flags: { config: file, port: 0 } })
      ),
    );
    try {
      // 1. Fifteen requests at once over three instances: ten go now, five wait for the window.
      const start = Date.now();
      const results = await Promise.all(
        Array.from({ length: 15 }, (_, i) => send(servers[i % 3]!.url, "claude-sonnet-4-5")),
      );
      assert.deepEqual(results.map((r) => r.status), Array(15).fill(200));
      const paced = up.seen.filter((s) => s.key.startsWith("good-paced"));
      const early = paced.filter((s) => s.at - start < 2500).length;
      assert.equal(
        early,
        10,
        `${early} requests went upstream in the first window (limit 10 across 3 instances)`,
      );

      // Two concurrency slots for three instances: never more than two at the upstream at once.
      const narrow = await Promise.all(
        Array.from({ length: 6 }, (_, i) => send(servers[i % 3]!.url, "claude-opus-4-5")),
      );
      assert.deepEqual(narrow.map((r) => r.status), Array(6).fill(200));
      assert.equal(
        up.slow.most,
        2,
        `at most ${up.slow.most} requests were at the upstream at once`,
      );

      // 2. Instance A meets the 429 key and the 401 key; B and C never try them.
      up.seen.length = 0;
      assert.equal((await send(servers[0]!.url, "claude-haiku-4-5")).status, 200);
      assert.deepEqual(up.seen.map((s) => s.key.split("-")[0]), ["limited", "revoked", "good"]);
      await new Promise((r) => setTimeout(r, 100));
      up.seen.length = 0;
      assert.equal((await send(servers[1]!.url, "claude-haiku-4-5")).status, 200);
      assert.equal((await send(servers[2]!.url, "claude-haiku-4-5")).status, 200);
      assert.deepEqual(up.seen.map((s) => s.key.split("-")[0]), ["good", "good"], "learned from A");

      // B has just asked Redis about this provider; a 429 that A meets afterwards still holds on
      // B 100 ms later (B's last answer from Redis is not reused past 50 ms).
      assert.equal((await send(servers[1]!.url, "flaky/m")).status, 200);
      up.flaky.limited = true;
      assert.equal((await send(servers[0]!.url, "flaky/m")).status, 200);
      await new Promise((r) => setTimeout(r, 100));
      up.seen.length = 0;
      assert.equal((await send(servers[1]!.url, "flaky/m")).status, 200);
      assert.deepEqual(up.seen.map((s) => s.key.split("-")[0]), ["good"], "B learned from A");

      const health = await (await fetch(`${servers[0]!.url}/health`)).json();
      assert.deepEqual(health.shared, { redis: { reachable: true } });

      // 3. Redis goes away while streams are in flight: they end normally. Then open mode serves
      // on local state, closed mode answers 503.
      const streams = [servers[0]!, servers[2]!].map((s) => streamText(s.url, "claude-haiku-4-5"));
      await new Promise((r) => setTimeout(r, 150));
      await redis.stop();
      for (const text of await Promise.all(streams)) {
        assert.match(text, /^200 /);
        assert.match(text, /part 4 [\s\S]*event: message_stop/);
        assert.doesNotMatch(text, /event: error/);
      }
      const lost = await until(
        async () => (await send(servers[2]!.url, "claude-haiku-4-5")).status === 503,
        5000,
        "closed mode answering 503",
      );
      const refused = await send(servers[2]!.url, "claude-haiku-4-5");
      assert.match(refused.body.error.message, /Redis at .* \(shared\.redis\) is unreachable/);
      // A load balancer's check sees it too: closed mode's /health is 503, open mode's stays 200.
      const closedHealth = await fetch(`${servers[2]!.url}/health`);
      assert.equal(closedHealth.status, 503);
      assert.equal(closedHealth.headers.get("retry-after"), "5");
      const closedBody = await closedHealth.json();
      assert.equal(closedBody.status, "unavailable");
      assert.deepEqual(closedBody.shared, { redis: { reachable: false } });
      assert.match(closedBody.reason, /shared\.redis\) is unreachable/);
      const openHealth = await fetch(`${servers[0]!.url}/health`);
      assert.equal(openHealth.status, 200);
      assert.equal((await openHealth.json()).status, "ok");
      assert.equal(
        (await send(servers[0]!.url, "claude-haiku-4-5")).status,
        200,
        "open mode keeps serving",
      );
      assert.equal((await send(servers[1]!.url, "claude-sonnet-4-5")).status, 200);
      // 4. Redis comes back: everyone serves again.
      await redis.start();
      const back = await until(
        async () => (await send(servers[2]!.url, "claude-haiku-4-5")).status === 200,
        10_000,
        "closed mode serving again",
      );
      assert.ok(lost <= 5000 && back <= 10_000, `503 after ${lost} ms, back after ${back} ms`);
      assert.equal((await fetch(`${servers[2]!.url}/health`)).status, 200);
    } finally {
      for (const s of servers) await s.stop();
      await up.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

redisTest(
  "shared.redis: budget spent through two instances routes the third away 100 ms later",
  async (redis) => {
    const up = startUpstream();
    const dir = await Deno.makeTempDir({ prefix: "ccp_redis_budget_" });
    // Each instance has its own embedded ledger: only Redis knows what the others spent.
    for (const name of ["a", "b", "c"]) {
      await Deno.writeTextFile(
        `${dir}/${name}.yaml`,
        `server: { data_dir: data-${name} }
shared: { redis: "${redis.url}" }
providers:
  up: { type: anthropic, base_url: "${up.url}", api_key: good-up-0123456789 }
  spare: { type: anthropic, base_url: "${up.url}", api_key: good-spare-0123456789 }
routes:
  default: [up/main, spare/backup]
budgets:
  - { target: up, tokens: 80, per: day }
`,
      );
    }
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((name) =>
        startServer({ ctx: testContext(dir), flags: { config: `${name}.yaml`, port: 0 } })
      ),
    );
    try {
      // 15 tokens a request: six requests through A and B spend 90 of the 80 tokens.
      for (const s of [a, b, a, b, a, b]) {
        assert.equal((await send(s!.url, "claude-sonnet-4-5")).status, 200);
      }
      assert.deepEqual(up.seen.map((s) => s.model), Array(6).fill("main"));
      await new Promise((r) => setTimeout(r, 100));
      const third = await send(c!.url, "claude-sonnet-4-5");
      assert.equal(third.status, 200);
      assert.equal(up.seen.at(-1)!.model, "backup", "C routed away from the spent target");
      // C, which served nothing itself, shows the shared spend: 90 of 80 tokens.
      const metrics = await (await fetch(`${c!.url}/metrics`)).text();
      assert.match(metrics, /ccp_budget_used_ratio\{budget="up"\} 1\.125/);
      // `ccp check` on C's config shows the spend of every instance.
      const ctx = testContext(dir);
      await runCheck(ctx, { config: "c.yaml" });
      assert.match(ctx.io.stdout.join("\n"), /up: 90 tokens of 80 tokens per day .*SPENT/);
      assert.match(ctx.io.stdout.join("\n"), /spend of every instance, from Redis/);
      assert.match(ctx.io.stdout.join("\n"), /Shared with other instances: Redis redis:\/\/127/);
      assert.match(ctx.io.stdout.join("\n"), /Redis at redis:\/\/127\.0\.0\.1:\d+: answers/);
    } finally {
      for (const s of [a, b, c]) await s!.stop();
      await up.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);

redisTest(
  "shared.redis: a key that answers again is not put aside again, here or on another instance",
  async (redis) => {
    // `flip-*` is refused (401) and `spare-*` limited (429, no Retry-After) while the flags say so.
    const flags = { refused: true, limited: false };
    const upstream = keyedUpstream((key) =>
      key.startsWith("flip-") && flags.refused
        ? "refuse"
        : key.startsWith("spare-") && flags.limited
        ? "limit-briefly"
        : "answer"
    );
    const dir = await Deno.makeTempDir({ prefix: "ccp_redis_cleared_" });
    await Deno.writeTextFile(
      `${dir}/ccp.yaml`,
      `usage: { enabled: false }
shared: { redis: "${redis.url}" }
providers:
  pool:
    type: anthropic
    base_url: "${upstream.url}"
    api_keys: [flip-0123456789, spare-0123456789]
routes:
  haiku: pool/m
`,
    );
    const [a, b] = await Promise.all(
      [0, 1].map(() =>
        startServer({ ctx: testContext(dir), flags: { config: "ccp.yaml", port: 0 } })
      ),
    );
    const sent = async (server: { url: string }) => {
      upstream.seen.length = 0;
      const { status } = await send(server.url, "claude-haiku-4-5");
      return `${status} ${upstream.roles().join(",")}`;
    };
    try {
      assert.equal(await sent(a!), "200 flip,spare", "A sets the refused key aside");
      // The refused key is fixed upstream; the spare one is limited for a moment, so A is left with
      // the set-aside key alone, and its re-try answers (today in the request after the 429).
      flags.refused = false;
      flags.limited = true;
      const tries = [await sent(a!), await sent(a!)];
      assert.ok(tries.some((t) => /^200 (spare,)?flip$/.test(t)), tries.join(" | "));
      flags.limited = false;
      // The spare key's one-second cool-down ends; the first key is the one each instance uses.
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(await sent(b!), "200 flip", "B does not take the key that answered for refused");
      assert.equal(await sent(a!), "200 flip", "nor does A, from what it wrote to Redis earlier");
    } finally {
      for (const s of [a, b]) await s!.stop();
      await upstream.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
