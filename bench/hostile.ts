// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * `deno task bench:hostile [--root DIR]`: what hostile clients cost a running ccp. Starts
 * `ccp serve` (from this checkout, or from `--root`, e.g. an older checkout for a before/after
 * comparison) in its own process against a mock upstream, then measures:
 *   1. RSS while 50 clients trickle request bodies (declared 1 MB, a byte every 10 ms, 10 s);
 *   2. connections still open 3 s after 1,000 idle sockets were opened;
 *   3. how long a request that the client abandoned before the first byte keeps its
 *      concurrency slot (max_concurrency 1): when the next request reaches the upstream.
 * Everything runs on 127.0.0.1, bounded in time; every child is stopped on exit.
 */

const args = Deno.args;
const rootAt = args.indexOf("--root");
const ROOT = rootAt >= 0 ? args[rootAt + 1]! : new URL("..", import.meta.url).pathname;
const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** An upstream that holds every request until the caller hangs up (or 20 s). */
function startHangingUpstream() {
  const arrivals: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    arrivals.push(performance.now());
    await req.text();
    await Promise.race([
      new Promise((r) => req.signal.addEventListener("abort", r, { once: true })),
      sleep(20_000),
    ]);
    return new Response("{}", { headers: { "content-type": "application/json" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, arrivals, close: () => server.shutdown() };
}

// `ps`, since Deno reads another process's /proc entries only with every permission.
async function rssMiB(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
    stdout: "piped",
  })
    .output();
  return Number(new TextDecoder().decode(out.stdout).trim() || 0) / 1024;
}

async function startCcp(upstream: string) {
  const dir = await Deno.makeTempDir({ prefix: "ccp_bench_hostile_" });
  const port = freePort();
  // Older checkouts refuse keys they do not know: the limits go in only when supported.
  const newer = (await Deno.readTextFile(`${ROOT}/src/config/schema/config.ts`).catch(() => ""))
    .includes("max_connections");
  const limits = newer ? "  timeouts: { headers: 2s, body: 3s, idle: 2s }\n" : "";
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    `server:\n  log_level: error\n${limits}providers:\n` +
      `  up: { type: anthropic, base_url: ${upstream}, api_key: k-1234567890, max_concurrency: 1, ` +
      `max_retries: 0, timeouts: { first_byte: 30s } }\nroutes:\n  default: up/m\n`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}/src/main.ts`,
      "serve",
      "--config",
      `${dir}/c.yaml`,
      "--port",
      String(port),
    ],
    cwd: dir,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      await r.body?.cancel();
      break;
    } catch {
      await sleep(100);
    }
  }
  return {
    port,
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function trickle(port: number, clients: number, seconds: number, pid: number) {
  const before = await rssMiB(pid);
  const conns = await Promise.all(
    Array.from({ length: clients }, () => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  for (const c of conns) {
    await c.write(encoder.encode(
      "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{",
    )).catch(() => {});
  }
  let peak = before;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await Promise.all(conns.map((c) => c.write(encoder.encode(" ")).catch(() => 0)));
    peak = Math.max(peak, await rssMiB(pid));
    await sleep(10);
  }
  for (const c of conns) {
    try {
      c.close();
    } catch {
      // Closed by the server already.
    }
  }
  await sleep(2000);
  return { before, peak, after: await rssMiB(pid) };
}

async function idleSockets(port: number, count: number): Promise<number> {
  const conns: Deno.Conn[] = [];
  for (let i = 0; i < count; i++) conns.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  await sleep(3000);
  // A socket the server closed reads as the end of the stream.
  const buffer = new Uint8Array(1024);
  const stillOpen = await Promise.all(conns.map(async (c) => {
    const n = await Promise.race([c.read(buffer).catch(() => null), sleep(50).then(() => "open")]);
    return n === "open" ? 1 : 0;
  }));
  for (const c of conns) {
    try {
      c.close();
    } catch {
      // Closed already.
    }
  }
  return stillOpen.reduce((a: number, b: number) => a + b, 0);
}

async function abandonedSlot(port: number, upstream: { arrivals: number[] }): Promise<number> {
  const body = JSON.stringify({
    model: "m",
    max_tokens: 100,
    stream: true,
    messages: [{ role: "user", content: "x".repeat(5000) }],
  });
  const head =
    `POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
    `content-length: ${encoder.encode(body).byteLength}\r\n\r\n`;
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  await first.write(encoder.encode(head + body));
  while (upstream.arrivals.length === 0) await sleep(5);
  await sleep(200);
  first.close();
  const left = performance.now();
  const second = fetch(`http://127.0.0.1:${port}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  }).catch(() => undefined);
  while (upstream.arrivals.length < 2 && performance.now() - left < 25_000) await sleep(10);
  const waited = upstream.arrivals.length >= 2 ? upstream.arrivals[1]! - left : Infinity;
  void second.then((r) => r?.body?.cancel());
  return waited;
}

const upstream = startHangingUpstream();
const ccp = await startCcp(upstream.url);
const watchdog = setTimeout(async () => {
  console.error("bench:hostile: watchdog fired");
  await ccp.stop();
  Deno.exit(1);
}, 120_000);
try {
  console.error(`· measuring ${ROOT}`);
  const rss = await trickle(ccp.port, 50, 10, ccp.pid);
  const open = await idleSockets(ccp.port, 1000);
  const slotMs = await abandonedSlot(ccp.port, upstream);
  console.log(`checkout: ${ROOT}`);
  console.log(
    `1. RSS with 50 trickling clients (MiB): before ${rss.before.toFixed(0)}, peak ${
      rss.peak.toFixed(0)
    }, 2 s after they left ${rss.after.toFixed(0)}`,
  );
  console.log(`2. idle sockets still open 3 s after opening 1,000: ${open}`);
  console.log(
    `3. abandoned request's slot freed after: ${
      Number.isFinite(slotMs) ? `${slotMs.toFixed(0)} ms` : "> 25 s"
    }`,
  );
} finally {
  clearTimeout(watchdog);
  await ccp.stop();
  await upstream.close();
}
