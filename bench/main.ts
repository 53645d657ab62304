// deno-lint-ignore-file no-console -- a benchmark reports on the console
/**
 * `deno task bench`: ccp's overhead as ratios against a direct-to-mock baseline. The mock
 * upstream, ccp, a bare Deno relay and the load generator each run in their own process (two
 * shared cores: one event loop must not time another). Prints a table, and keeps it as JSON in
 * a file of its own in the temp dir (the run's scratch directory goes at its end). The
 * in-process micro-benchmark of the translation stages stays in bench/translate_bench.ts.
 *
 * Columns: `direct` is the baseline (the client straight to the mock, or a bare Deno process
 * doing the same work), `via ccp` the same through ccp, `added` their difference and
 * `ccp/direct` their ratio. Ratios travel between machines; single timings on two shared
 * cores do not. A bare relay (bench/relay_runner.ts) shows the floor any Deno proxy pays.
 */

import { benchMain, keepJson } from "./frame.ts";
import { compare, warmUp } from "./latency.ts";
import { renderTable, type Section } from "./report.ts";
import { cpuPerFrame, openStreamsRss, relayOpenStreamsRss, rssNow } from "./resources.ts";
import { type Path, type Rig, startRig } from "./rig.ts";
import { sampleProc } from "./proc.ts";
import { buildSections, type Results, smallRows } from "./sections.ts";
import { type PathCost, perRequest, repeated, sessionTurns } from "./per_request.ts";
import { turnsFor } from "./bodies.ts";
import { askOnce, startup } from "./startup.ts";

/** Everything is bounded: past this the benchmark gives up and stops its children. */
const WATCHDOG_MS = 400_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let began = performance.now();
const step = (text: string) =>
  console.error(`· ${((performance.now() - began) / 1000).toFixed(1).padStart(5)} s  ${text}`);

/** `ccp serve` with its defaults: the log at `info` and the usage ledger. */
const SERVE_PATH: Path = { upstream: "anthropic", via: "ccp:serve" };

/** CPU per non-stream request with a small body at c16, by each of `paths`. */
function smallRequests(rig: Rig, paths: Path[]): Promise<PathCost[]> {
  const json = { frames: 20, delayMs: 0 };
  const load = { requests: 600, concurrency: 16, stream: false };
  return perRequest(rig, paths, repeated(rig, json, "small", load), 3);
}

/** `--only small`: the rig, then section 7's small-request rows alone (ccp's and `ccp serve`'s). */
async function onlySmall(root: string, tmp: string): Promise<Section[]> {
  step(
    "starting the mock upstream, ccp (bench runner and `ccp serve`) and the bare relay (one process each)",
  );
  const rig = await startRig(root, tmp);
  step("7. per request, non-streaming, small body, c16: direct, ccp, `ccp serve`'s defaults");
  const small = await smallRequests(rig, [
    { upstream: "anthropic", via: "direct" },
    { upstream: "anthropic", via: "ccp" },
    SERVE_PATH,
  ]);
  step("done");
  return [{
    title: "7. Per request (direct = the mock's own CPU per request)",
    rows: smallRows(small),
  }];
}

const HELP = `deno task bench [--only small]

Runs every scenario (~3-4 minutes) and prints the table, keeping it as JSON in the temp dir.
  --only small   only section 7's CPU per small non-stream request at c16: direct, ccp
                 (bench/ccp_runner.ts: no log, no ledger) and \`ccp serve\` with its defaults
                 (bench/serve_runner.ts: the log at info, the usage ledger)
  --help         this text`;

async function run(root: string, tmp: string): Promise<Results> {
  began = performance.now();
  step(
    "starting the mock upstream, ccp (bench runner and `ccp serve`) and the bare relay (one process each)",
  );
  const rig = await startRig(root, tmp);
  await sleep(1000);
  const idleRss = await rssNow(rig);
  step("3. RSS after the first answer, then with 500 open streams");
  await askOnce(Number(new URL(rig.ccpUrl).port));
  await sleep(1000);
  const firstRss = await rssNow(rig);
  const open = await openStreamsRss(rig, 500, 3000);
  step("3b. the same 500 streams through fresh bare relays (native, one BYOB layer)");
  const openFloor = {
    native: await relayOpenStreamsRss(rig, "native", 500, 3000),
    byob: await relayOpenStreamsRss(rig, "byob", 500, 3000),
  };
  // Five spawns: the median of three moved by ±20 % between runs.
  step("6. start-up (5 spawns of each program, after one uncounted)");
  const boot = await startup(root, rig.configPath, 5);
  step("warming up every path");
  await warmUp(rig);

  const c16 = { requests: 128, concurrency: 16 };
  const c16big = { requests: 48, concurrency: 16 };
  const c1 = { requests: 150, concurrency: 1 };
  const fast = { frames: 200, delayMs: 0 };
  const short = { frames: 20, delayMs: 0 };
  const withRelay = ["direct", "relay:native", "ccp"] as const;
  step("1. passthrough TTFB: concurrency 16, one at a time, Claude Code-sized body");
  const anthropic = { upstream: "anthropic", body: "small" } as const;
  const ttfb = await compare(rig, { ...anthropic, shape: fast, load: c16 }, 3, withRelay);
  const ttfbAlone = await compare(rig, { ...anthropic, shape: short, load: c1 }, 2, withRelay);
  const big = { upstream: "anthropic", body: "claude-code", shape: fast, load: c16big } as const;
  const ttfbBig = await compare(rig, big, 2);
  step("5. translated TTFT: concurrency 16, one at a time, Claude Code-sized body");
  const openai = { upstream: "openai", body: "small" } as const;
  const ttft = await compare(rig, { ...openai, shape: fast, load: c16 }, 3);
  const ttftAlone = await compare(rig, { ...openai, shape: short, load: c1 }, 2);
  const ttftBig = await compare(rig, { ...big, upstream: "openai" }, 2);
  step("2. chunk inter-arrival, 20 ms/frame upstream");
  const slow = {
    shape: { frames: 60, delayMs: 20 },
    body: "small",
    load: { requests: 16, concurrency: 16, gaps: true },
  } as const;
  const gaps = await compare(rig, { ...slow, upstream: "anthropic" }, 2, withRelay);
  const gapsTranslated = await compare(rig, { ...slow, upstream: "openai" }, 2);
  step("4. CPU per frame, paced: ccp (guard on and off), bare relay in three modes");
  const cpuOptions = { streams: 60, long: 200, short: 20, concurrency: 60, delayMs: 5 };
  const paths: Path[] = [
    { upstream: "anthropic", via: "ccp" },
    { upstream: "openai", via: "ccp" },
    { upstream: "anthropic", via: "ccp:unguarded" },
    { upstream: "anthropic", via: "relay:native" },
    { upstream: "anthropic", via: "relay:js" },
    { upstream: "anthropic", via: "relay:byob" },
  ];
  const [passthrough, translated, unguarded, native, js, byob] = await cpuPerFrame(
    rig,
    paths,
    cpuOptions,
    3,
  );
  step("4b. CPU per frame as the issue measures it: c16, frames back to back");
  const burstOptions = { streams: 64, long: 200, short: 20, concurrency: 16, delayMs: 0 };
  const [burstPassthrough, burstTranslated, burstUnguarded, burstNative] = await cpuPerFrame(
    rig,
    paths.slice(0, 4),
    burstOptions,
    3,
  );
  step("7. per request: CPU and throughput, non-streaming and streaming");
  const anthropicPaths: Path[] = withRelay.map((via) => ({ upstream: "anthropic", via }));
  const json = { frames: 20, delayMs: 0 };
  const small = await smallRequests(rig, [...anthropicPaths, SERVE_PATH]);
  const claudeCode = await perRequest(
    rig,
    anthropicPaths,
    repeated(rig, json, "claude-code", { requests: 200, concurrency: 8, stream: false }),
    3,
  );
  const rate = await perRequest(
    rig,
    anthropicPaths,
    repeated(rig, json, "small", { requests: 1500, concurrency: 64, stream: false }),
    3,
  );
  const streamRate = await perRequest(
    rig,
    anthropicPaths,
    repeated(rig, fast, "small", { requests: 192, concurrency: 64 }),
    3,
  );
  step(
    "8. growth: a Claude Code session's next 10 turns from 50, 200 and 800 KB, and turn by turn",
  );
  const growthPaths: Path[] = [...anthropicPaths, { upstream: "openai", via: "ccp" }];
  const growth: { kb: number; turns: number; costs: PathCost[] }[] = [];
  for (const kb of [50, 200, 800]) {
    const turns = turnsFor(kb * 1000);
    growth.push({
      kb,
      turns,
      costs: await perRequest(rig, growthPaths, sessionTurns(rig, turns, turns + 9), 3),
    });
  }
  const growingTo = turnsFor(200_000);
  const growing = await perRequest(rig, growthPaths, sessionTurns(rig, 1, growingTo), 2);
  await sleep(1000);
  const afterRss = await rssNow(rig);
  const ccpPeakMB = (await sampleProc(rig.ccp.pid)).hwmMB;
  step("done");
  return {
    idleRss,
    firstRss,
    afterRss,
    small,
    claudeCode,
    rate,
    streamRate,
    growth,
    growing: { turns: growingTo, costs: growing },
    ccpPeakMB,
    open,
    openFloor,
    startup: boot,
    ttfb,
    ttfbAlone,
    ttfbBig,
    ttft,
    ttftAlone,
    ttftBig,
    gaps,
    gapsTranslated,
    cpu: {
      passthrough: passthrough!,
      translated: translated!,
      unguarded: unguarded!,
      relayNative: native!,
      relayJs: js!,
      relayByob: byob!,
    },
    cpuOptions,
    burst: {
      passthrough: burstPassthrough!,
      translated: burstTranslated!,
      unguarded: burstUnguarded!,
      relayNative: burstNative!,
    },
    burstOptions,
    wallSeconds: (performance.now() - began) / 1000,
  };
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const only = Deno.args.includes("--only")
    ? Deno.args[Deno.args.indexOf("--only") + 1]
    : undefined;
  if (Deno.args.includes("--help") || (only !== undefined && only !== "small")) {
    console.log(HELP);
    Deno.exit(Deno.args.includes("--help") ? 0 : 2);
  }
  if (only === "small") {
    await benchMain("bench", WATCHDOG_MS, async (tmp) => {
      console.log(renderTable(await onlySmall(root, tmp)));
      return 0;
    });
  }
  await benchMain("bench", WATCHDOG_MS, async (tmp) => {
    const load = Deno.loadavg().map((n) => n.toFixed(2)).join(" ");
    console.log(
      `ccp bench — Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
        `load average ${load} at start`,
    );
    const results = await run(root, tmp);
    const sections = buildSections(results);
    console.log(renderTable(sections));
    const file = await keepJson("bench", { results, sections });
    console.log(`wall time ${results.wallSeconds.toFixed(1)} s; JSON summary: ${file}`);
    return 0;
  });
}
