// deno-lint-ignore-file no-console -- a benchmark reports on stdout
/**
 * What sharing state costs and how well it holds: added latency per request with Redis vs
 * in-memory guards (p50/p99), PostgreSQL ledger write cost, requests per second through three
 * instances vs one, and the shared rate limit's accuracy under 200 concurrent requests.
 * Starts its own redis-server and PostgreSQL (as the tests do).
 *
 *   deno task bench:shared
 */

import process from "node:process";
import { startServer } from "../src/cli/serve.ts";
import { textMessage } from "../tests/mocks/anthropic_fixtures.ts";
import { openPgStore } from "../src/usage/pg_store.ts";
import type { LedgerEntry } from "../src/usage/entry.ts";
import { testContext } from "../tests/cli/helpers.ts";
import { startPostgres, startRedis } from "../tests/shared/engines.ts";

const MESSAGE = textMessage("m", { input_tokens: 10, output_tokens: 5 });
const BODY = JSON.stringify({
  model: "claude-sonnet-4-5",
  max_tokens: 10,
  messages: [{ role: "user", content: "hi" }],
});

function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function post(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/messages`, {
    method: "POST",
    body: BODY,
    headers: { "content-type": "application/json" },
  });
  await res.arrayBuffer();
  return res.status;
}

const redis = await startRedis();
const pg = await startPostgres();
const arrivals: number[] = [];
const mock = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  await req.body?.cancel();
  arrivals.push(Date.now());
  return Response.json(MESSAGE);
});
const dir = await Deno.makeTempDir({ prefix: "ccp_bench_shared_" });
const upstream = `http://127.0.0.1:${mock.addr.port}`;
const yaml = (shared: string, rate = "") =>
  `server: { data_dir: data }
usage: { enabled: false }
${shared}
providers:
  up: { type: anthropic, base_url: "${upstream}", api_key: sk-bench-0123456789${rate} }
routes:
  default: up/m
`;
try {
  // 1. Added latency, one request at a time: in-memory guards vs Redis.
  const latency = async (file: string) => {
    const s = await startServer({ ctx: testContext(dir), flags: { config: file, port: 0 } });
    try {
      for (let i = 0; i < 200; i++) await post(s.url);
      const times: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const t = performance.now();
        await post(s.url);
        times.push(performance.now() - t);
      }
      return times;
    } finally {
      await s.stop();
    }
  };
  // A limit no request reaches, so that every request takes a place in the shared window.
  const counted = ", rate_limit: { requests: 1000000, window: 1s }";
  await Deno.writeTextFile(`${dir}/local.yaml`, yaml(""));
  await Deno.writeTextFile(`${dir}/redis.yaml`, yaml(`shared: { redis: "${redis.url}" }`));
  await Deno.writeTextFile(`${dir}/local-rate.yaml`, yaml("", counted));
  await Deno.writeTextFile(
    `${dir}/redis-rate.yaml`,
    yaml(`shared: { redis: "${redis.url}" }`, counted),
  );
  const runs: Record<string, number[]> = {};
  const files = ["local.yaml", "redis.yaml", "local-rate.yaml", "redis-rate.yaml"];
  for (let round = 0; round < 3; round++) {
    for (const file of files) (runs[file] ??= []).push(...await latency(file));
  }
  const added = (base: string, shared: string, what: string) => {
    const l50 = quantile(runs[base]!, 0.5), l99 = quantile(runs[base]!, 0.99);
    const r50 = quantile(runs[shared]!, 0.5), r99 = quantile(runs[shared]!, 0.99);
    const sign = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(2)}`;
    console.log(
      `latency per request, c1, 3000 each, ${what}: local guards p50 ${l50.toFixed(2)} / p99 ` +
        `${l99.toFixed(2)} ms; Redis p50 ${r50.toFixed(2)} / p99 ${r99.toFixed(2)} ms → added ` +
        `p50 ${sign(r50 - l50)} / p99 ${sign(r99 - l99)} ms`,
    );
  };
  added("local.yaml", "redis.yaml", "no limits (Redis asked at most every 50 ms)");
  added("local-rate.yaml", "redis-rate.yaml", "with a rate_limit (one round trip each)");

  // 2. PostgreSQL ledger writes, in batches as the ledger makes them.
  const store = openPgStore(pg.url);
  await store.ping();
  const entry = (i: number): LedgerEntry => ({
    id: `req_bench_${i}`,
    at: Date.now(),
    session: `s${i % 20}`,
    client: "default",
    route: "default",
    provider: "up",
    model: "m",
    status: 200,
    error: false,
    stream: true,
    inputTokens: 1000,
    outputTokens: 100,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.001,
    durationMs: 100,
  });
  for (const batch of [1, 50]) {
    const n = batch === 1 ? 500 : 20_000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i += batch) {
      await store.append(Array.from({ length: batch }, (_, j) => entry(batch * 1_000_000 + i + j)));
    }
    const wall = (performance.now() - t0) / n * 1000;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `PostgreSQL ledger write, batches of ${batch}: ${
        ((cpu.user + cpu.system) / n).toFixed(1)
      } µs CPU in ccp, ` +
        `${wall.toFixed(0)} µs wall per record`,
    );
  }
  store.close();

  // 3. Throughput: three instances vs one, c24 for 3 s, sharing Redis and PostgreSQL.
  await Deno.writeTextFile(
    `${dir}/both.yaml`,
    yaml(`shared: { redis: "${redis.url}", postgres: "${pg.url}" }`),
  );
  const throughput = async (count: number) => {
    const servers = await Promise.all(
      Array.from(
        { length: count },
        () => startServer({ ctx: testContext(dir), flags: { config: "both.yaml", port: 0 } }),
      ),
    );
    try {
      let done = 0;
      const end = Date.now() + 3000;
      await Promise.all(Array.from({ length: 24 }, async (_, w) => {
        while (Date.now() < end) {
          await post(servers[w % count]!.url);
          done++;
        }
      }));
      return done / 3;
    } finally {
      for (const s of servers) await s.stop();
    }
  };
  const only = Deno.env.get("ONLY_ACCURACY") !== undefined;
  const one = only ? 1 : await throughput(1);
  const three = only ? 1 : await throughput(3);
  console.log(
    `throughput, c24, one process: 1 instance ${one.toFixed(0)} req/s, 3 instances ${
      three.toFixed(0)
    } req/s ` +
      `(${
        (three / one).toFixed(2)
      }×; all in one process on ${navigator.hardwareConcurrency} cores)`,
  );

  // 4. Accuracy: rate_limit 50 per 5 s, 200 requests at once over three instances.
  await Deno.writeTextFile(
    `${dir}/rate.yaml`,
    yaml(`shared: { redis: "${redis.url}" }`, ", rate_limit: { requests: 50, window: 5s }"),
  );
  await redis.stop();
  await redis.start(); // an empty window
  const servers = await Promise.all(
    [0, 1, 2].map(() =>
      startServer({ ctx: testContext(dir), flags: { config: "rate.yaml", port: 0 } })
    ),
  );
  try {
    arrivals.length = 0;
    const start = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => post(servers[i % 3]!.url).catch(() => 0)),
    );
    const firstWindow = arrivals.filter((t) => t - start < 5000).length;
    const counts = new Map<number, number>();
    for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    console.log(
      `rate_limit 50 per 5 s, 200 concurrent over 3 instances: ${firstWindow} reached the upstream in the first ` +
        `window; answers ${
          JSON.stringify(Object.fromEntries(counts))
        } (the rest waited in line, up to one window, then 429)`,
    );
  } finally {
    for (const s of servers) await s.stop();
  }
} finally {
  await mock.shutdown();
  await redis.remove();
  await pg.remove();
  await Deno.remove(dir, { recursive: true });
}
