// deno-lint-ignore-file no-console -- a benchmark reports on stdout
/**
 * What the usage ledger costs: CPU per request (as a share of a whole request's CPU), size on
 * disk per 100,000 requests, `ccp usage` time over 100,000 records, RSS with the ledger on and off.
 *
 *   deno task bench:ledger
 */

import process from "node:process";
import { configFromYaml } from "../src/config/from_yaml.ts";
import { createApp } from "../src/server/app.ts";
import { silentLogger } from "../src/core/log.ts";
import { ResilienceRegistry } from "../src/resilience/registry.ts";
import { TRANSPORTS } from "../src/server/compose.ts";
import { Ledger } from "../src/usage/ledger.ts";
import { openKvStore } from "../src/usage/kv_store.ts";
import type { RequestRecord } from "../src/pipeline/record.ts";
import { textMessage } from "../tests/mocks/anthropic_fixtures.ts";

const parseConfigText = (text: string) => configFromYaml({ text, file: "bench.yaml", env: {} });

const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

function record(i: number): RequestRecord {
  return {
    id: `req_${i}`,
    startedAt: Date.now(),
    method: "POST",
    path: "/v1/messages",
    session: `session-${i % 50}`,
    client: "default",
    clientModel: "claude-sonnet-4-5",
    route: ["default", "opus", "haiku"][i % 3]!,
    stream: true,
    provider: ["anth", "nim", "groq", "local"][i % 4]!,
    model: ["claude-sonnet-4-5", "z-ai/glm4.7", "llama-3.3-70b-versatile", "qwen3-coder"][i % 4]!,
    keyLabel: "key 1 (…abcd)",
    attempts: [],
    status: i % 50 === 0 ? 502 : 200,
    outcome: i % 50 === 0 ? "error" : "ok",
    usage: { inputTokens: 30_000 + i % 997, outputTokens: 400, cacheReadInputTokens: 25_000 },
    durationMs: 1234.5,
    ttftMs: 321.1,
  };
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for await (const e of Deno.readDir(dir)) total += (await Deno.stat(`${dir}/${e.name}`)).size;
  return total;
}

const CONFIG = `providers:
  anth: { type: anthropic, base_url: "http://127.0.0.1:PORT", api_key: sk-ant-bench-0123456789 }
routes:
  default: anth/claude-sonnet-4-5
`;

/** `deno` arguments that run this checkout's ccp; its own arguments follow. */
const RUN_CCP = [
  "run",
  "-A",
  "--config",
  new URL("../deno.json", import.meta.url).pathname,
  new URL("../src/main.ts", import.meta.url).pathname,
];

/** An Anthropic upstream answering every request "hello". */
function startHelloUpstream(): Deno.HttpServer<Deno.NetAddr> {
  const answer = textMessage("m", { input_tokens: 100, output_tokens: 5 }, "hello");
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json(answer),
  );
}

/** Whole-request CPU through an in-process ccp and mock (client, ccp and mock in one process). */
async function requestCpu(ledger: boolean, n: number, dir: string): Promise<number> {
  const mock = startHelloUpstream();
  const config = parseConfigText(CONFIG.replace("PORT", String(mock.addr.port)));
  const store = ledger
    ? await openKvStore(`${dir}/req.kv`, { retentionMs: 86_400_000 })
    : undefined;
  const led = store ? new Ledger(store, () => config, silentLogger) : undefined;
  const app = createApp({
    config: () => config,
    fetch,
    log: silentLogger,
    transports: TRANSPORTS,
    registry: new ResilienceRegistry(),
    countTokens: () => Promise.resolve(7),
    now: () => performance.now(),
    startedAt: new Date(),
    version: "bench",
    ...(led ? { ledger: led } : {}),
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}/v1/messages`;
  const body = JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }],
  });
  const send = async () => {
    const res = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    await res.arrayBuffer();
  };
  for (let i = 0; i < 200; i++) await send(); // warm-up
  await led?.flush();
  const start = cpuUs();
  for (let i = 0; i < n; i += 8) await Promise.all(Array.from({ length: 8 }, send));
  await led?.flush();
  const per = (cpuUs() - start) / n;
  await server.shutdown();
  await mock.shutdown();
  await led?.close();
  return per;
}

/** RSS (MiB) of a `ccp serve` process after 500 requests through it, with or without a ledger. */
async function serverRss(dir: string, ledger: boolean): Promise<number> {
  const mock = startHelloUpstream();
  const yaml = CONFIG.replace("PORT", String(mock.addr.port)) +
    `usage: { enabled: ${ledger} }\nserver: { data_dir: ${dir}/rss-data }\n`;
  await Deno.writeTextFile(`${dir}/rss.yaml`, yaml);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...RUN_CCP,
      "--config",
      `${dir}/rss.yaml`,
      "--port",
      "0",
      "--log-level",
      "info",
    ],
    env: { XDG_CONFIG_HOME: dir },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    let text = "";
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let url: string | undefined;
    while (!url) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`ccp exited: ${text}`);
      text += value;
      url = /listening on (http:\/\/[\d.:]+)/.exec(text)?.[1];
    }
    void (async () => {
      while (!(await reader.read()).done) { /* drain */ }
    })();
    const body = JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    });
    for (let i = 0; i < 500; i += 10) {
      await Promise.all(Array.from({ length: 10 }, async () => {
        const res = await fetch(`${url}/v1/messages`, {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
        });
        await res.arrayBuffer();
      }));
    }
    await new Promise((r) => setTimeout(r, 500));
    const ps = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(child.pid)] })
      .output();
    return Number(new TextDecoder().decode(ps.stdout).trim()) / 1024;
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await mock.shutdown();
  }
}

const dir = await Deno.makeTempDir({ prefix: "ccp_bench_ledger_" });
try {
  // 1. The ledger's own cost per request: the observer call plus its share of the batched writes.
  const config = parseConfigText(CONFIG.replace("PORT", "9"));
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 90 * 86_400_000 });
  const ledger = new Ledger(store, () => config, silentLogger);
  const N = 100_000;
  const t0 = cpuUs();
  const w0 = performance.now();
  for (let i = 0; i < N; i++) {
    ledger.ended(record(i));
    if (i % 500 === 499) await ledger.flush();
  }
  await ledger.flush();
  const writeUs = (cpuUs() - t0) / N;
  const writeWallMs = performance.now() - w0;
  const size = await dirSize(dir);

  // 2. `ccp usage` over those 100,000 records (the query, and the whole CLI process).
  const since = Date.now() - 30 * 86_400_000;
  const q0 = performance.now();
  const rows = await store.grouped(since, "model");
  const queryMs = performance.now() - q0;
  ledger.store.close();
  const cli = new Deno.Command(Deno.execPath(), {
    args: [
      ...RUN_CCP,
      "usage",
      "--since",
      "30d",
      "--by",
      "model",
      "--json",
    ],
    env: { CCP_DATA_DIR: dir, XDG_CONFIG_HOME: dir },
    stdout: "piped",
    stderr: "piped",
  });
  const c0 = performance.now();
  const out = await cli.output();
  const cliMs = performance.now() - c0;
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const report = JSON.parse(new TextDecoder().decode(out.stdout));
  if (report.total.requests !== N) {
    throw new Error(`usage counted ${report.total.requests}, not ${N}`);
  }
  // A bare `deno run` of a tiny script: the runtime's own start-up, for scale.
  const bare0 = performance.now();
  await new Deno.Command(Deno.execPath(), { args: ["eval", "1"], stdout: "null" }).output();
  const bareMs = performance.now() - bare0;

  // 3. Whole request CPU with the ledger off and on (in-process client + ccp + mock).
  const offs: number[] = [];
  const ons: number[] = [];
  for (let round = 0; round < 3; round++) {
    offs.push(await requestCpu(false, 2000, dir));
    ons.push(await requestCpu(true, 2000, dir));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const off = median(offs);
  const on = median(ons);

  // 4. RSS of a real server process after 500 requests, ledger on and off.
  const rssOn = await serverRss(dir, true);
  const rssOff = await serverRss(dir, false);
  console.log(
    `ledger: ${N.toLocaleString("en-US")} records written (groups read back: ${rows.size})`,
  );
  console.log(
    `  ledger CPU per request (observer + batched write): ${writeUs.toFixed(1)} µs` +
      ` (${(writeWallMs / N * 1000).toFixed(1)} µs wall)`,
  );
  console.log(
    `  whole request CPU, in-process client+ccp+mock, c8: ledger off ${off.toFixed(0)} µs,` +
      ` on ${on.toFixed(0)} µs (+${((on / off - 1) * 100).toFixed(1)} %; rounds off ${
        offs.map((x) => x.toFixed(0)).join("/")
      }, on ${ons.map((x) => x.toFixed(0)).join("/")})`,
  );
  console.log(`  ledger share of a request's CPU: ${(writeUs / off * 100).toFixed(1)} %`);
  console.log(
    `  size on disk per 100,000 requests: ${(size / 1024 / 1024 * (100_000 / N)).toFixed(1)} MiB`,
  );
  console.log(
    `  usage query over ${N.toLocaleString("en-US")} records (30d by model): ${
      queryMs.toFixed(1)
    } ms;` +
      ` whole \`ccp usage --json\` process ${cliMs.toFixed(0)} ms (a bare \`deno eval\` ${
        bareMs.toFixed(0)
      } ms)`,
  );
  console.log(
    `  server RSS after 500 requests: ledger on ${rssOn.toFixed(1)} MiB, off ${
      rssOff.toFixed(1)
    } MiB`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
