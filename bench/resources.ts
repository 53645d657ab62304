/**
 * Resource scenarios: ccp's RSS idle and with many open streams (read from /proc, beside the
 * mock's as a bare-Deno baseline), and ccp's CPU per relayed upstream frame.
 */

import {
  FLAGS,
  jobFor,
  type Path,
  type Rig,
  runLoad,
  serverOf,
  startRunner,
  usageOf,
} from "./rig.ts";
import type { RelayMode } from "./relay_runner.ts";
import type { Child } from "./child.ts";
import type { Usage } from "./control.ts";
import { sampleProc } from "./proc.ts";
import { median } from "./stats.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** RSS of ccp and of the mock (a bare Deno.serve process) at one moment, MB (10⁶ bytes). */
export interface RssPair {
  ccpMB: number;
  mockMB: number;
  /** The private part of each (RssAnon), the rest being shared file-backed pages. */
  ccpAnonMB: number;
  mockAnonMB: number;
}

const NO_SAMPLE: RssPair = { ccpMB: NaN, mockMB: NaN, ccpAnonMB: NaN, mockAnonMB: NaN };

/** Both processes' RSS now. */
export async function rssNow(rig: Rig): Promise<RssPair> {
  const [ccp, mock] = await Promise.all([sampleProc(rig.ccp.pid), sampleProc(rig.mock.pid)]);
  return { ccpMB: ccp.rssMB, mockMB: mock.rssMB, ccpAnonMB: ccp.anonMB, mockAnonMB: mock.anonMB };
}

/** RSS while `streams` slow streams are open through ccp. */
export interface OpenStreamsRss {
  streams: number;
  /** When every stream had its first byte. */
  atOpen: RssPair;
  /** The highest ccp RSS sampled while the streams ran, with the mock's at that moment. */
  peak: RssPair;
  /** ccp's own view when every stream was open: JS heap and external (ArrayBuffer) memory. */
  ccpHeapUsedMB: number;
  ccpExternalMB: number;
  samples: number;
  failed: number;
}

/** Opens `streams` streams that last ~`holdMs`, sampling RSS every 100 ms until they end. */
export async function openStreamsRss(
  rig: Rig,
  streams: number,
  holdMs: number,
): Promise<OpenStreamsRss> {
  const delayMs = 100;
  const shape = { frames: Math.ceil(holdMs / delayMs), delayMs };
  const load = { requests: streams, concurrency: streams, announceOpen: true };
  const job = jobFor(rig, { upstream: "anthropic", via: "ccp" }, shape, "small", load);
  let opened: () => void = () => {};
  const open = new Promise<void>((resolve) => (opened = resolve));
  let done = false;
  const samples: RssPair[] = [];
  let inside: Usage | undefined;
  const sampler = (async () => {
    await open;
    inside = await usageOf(rig.ccp).catch(() => undefined);
    while (!done) {
      samples.push(await rssNow(rig).catch(() => ({ ...NO_SAMPLE })));
      await sleep(100);
    }
  })();
  const result = await runLoad(rig, job, opened).finally(() => {
    done = true;
    opened();
  });
  await sampler;
  const valid = samples.filter((s) => !Number.isNaN(s.ccpMB));
  const atOpen = valid[0];
  if (!atOpen) throw new Error(`no RSS sample while ${streams} streams were open`);
  const peak = valid.reduce((a, b) => (b.ccpMB > a.ccpMB ? b : a));
  return {
    streams,
    atOpen,
    peak,
    ccpHeapUsedMB: (inside?.heapUsedBytes ?? NaN) / 1e6,
    ccpExternalMB: (inside?.externalBytes ?? NaN) / 1e6,
    samples: valid.length,
    failed: result.failed,
  };
}

/**
 * The floor of the open-streams row: the same streams through a fresh bare relay process (so no
 * earlier load has grown its heap), its RSS sampled like ccp's. `ccpMB` is the relay's.
 */
export async function relayOpenStreamsRss(
  rig: Rig,
  mode: RelayMode,
  streams: number,
  holdMs: number,
): Promise<RssPair> {
  const relay = await startRunner(rig.root, `relay-${mode}`, FLAGS.relay, "bench/relay_runner.ts", [
    "--upstream",
    rig.mockUrl,
    "--port",
    "0",
  ]);
  try {
    const fresh: Rig = { ...rig, relay: relay.child, relayUrl: `http://127.0.0.1:${relay.port}` };
    const delayMs = 100;
    const shape = { frames: Math.ceil(holdMs / delayMs), delayMs };
    const load = { requests: streams, concurrency: streams, announceOpen: true };
    const job = jobFor(
      fresh,
      { upstream: "anthropic", via: `relay:${mode}` },
      shape,
      "small",
      load,
    );
    let done = false;
    let peak: RssPair | undefined;
    const sample = async () => {
      const [server, mock] = await Promise.all([
        sampleProc(relay.child.pid),
        sampleProc(rig.mock.pid),
      ]);
      if (!peak || server.rssMB > peak.ccpMB) {
        peak = {
          ccpMB: server.rssMB,
          mockMB: mock.rssMB,
          ccpAnonMB: server.anonMB,
          mockAnonMB: mock.anonMB,
        };
      }
    };
    let opened: () => void = () => {};
    const open = new Promise<void>((resolve) => (opened = resolve));
    const sampler = (async () => {
      await open;
      while (!done) {
        await sample().catch(() => {});
        await sleep(100);
      }
    })();
    await runLoad(fresh, job, opened).finally(() => {
      done = true;
      opened();
    });
    await sampler;
    if (!peak) throw new Error(`no RSS sample of the ${mode} relay with ${streams} streams open`);
    return peak;
  } finally {
    await relay.child.stop();
  }
}

/** CPU of one batch of streams, idle time subtracted. */
export interface CpuRun {
  path: Path;
  streams: number;
  framesPerStream: number;
  /** CPU of the process in the middle (ccp or the relay), µs. */
  serverCpuUs: number;
  mockCpuUs: number;
  elapsedMs: number;
  /** Body reads the client saw per stream (≈ chunks ccp relayed, if nothing coalesced). */
  clientReads: number;
}

/** CPU per relayed frame, all-in and split into per-frame and per-request parts. */
export interface CpuResult {
  path: Path;
  /** All-in: CPU of the long runs ÷ their frames. */
  usPerFrame: number;
  /** Marginal: (long − short) ÷ extra frames, i.e. without the per-request part. */
  marginalUsPerFrame: number;
  /** What is left per request once the per-frame part is taken out. */
  usPerRequest: number;
  /** The mock's CPU per frame it wrote in the same runs (a bare Deno server producing them). */
  mockUsPerFrame: number;
  runs: CpuRun[];
}

const cpuOf = (a: Usage, b: Usage) => b.cpuUs - a.cpuUs;

/** Idle CPU rates (µs of CPU per ms of wall time) of ccp, relay and mock, to subtract. */
export async function idleRate(rig: Rig, ms: number): Promise<Map<Child, number>> {
  const children = [rig.ccp, rig.ccpUnguarded, rig.ccpServe, rig.relay, rig.mock];
  const before = await Promise.all(children.map(usageOf));
  const t0 = performance.now();
  await sleep(ms);
  const after = await Promise.all(children.map(usageOf));
  const wall = performance.now() - t0;
  return new Map(children.map((c, i) => [c, cpuOf(before[i]!, after[i]!) / wall]));
}

async function cpuRun(
  rig: Rig,
  path: Path,
  framesPerStream: number,
  options: { streams: number; concurrency: number; delayMs: number },
  idle: Map<Child, number>,
): Promise<CpuRun> {
  const shape = { frames: framesPerStream, delayMs: options.delayMs };
  const load = { requests: options.streams, concurrency: options.concurrency, timeoutMs: 40_000 };
  const job = jobFor(rig, path, shape, "small", load);
  const server = serverOf(rig, path.via);
  const [s0, m0] = await Promise.all([usageOf(server), usageOf(rig.mock)]);
  const t0 = performance.now();
  const result = await runLoad(rig, job);
  const [s1, m1] = await Promise.all([usageOf(server), usageOf(rig.mock)]);
  const wall = performance.now() - t0;
  if (result.failed > 0) throw new Error(`CPU run had failures: ${result.errors.join("; ")}`);
  return {
    path,
    streams: options.streams,
    framesPerStream,
    serverCpuUs: cpuOf(s0, s1) - (idle.get(server) ?? 0) * wall,
    mockCpuUs: cpuOf(m0, m1) - (idle.get(rig.mock) ?? 0) * wall,
    elapsedMs: wall,
    clientReads: median(result.reads),
  };
}

/** Options of {@link cpuPerFrame}: `long` and `short` are frames per stream. */
export interface CpuOptions {
  streams: number;
  long: number;
  short: number;
  concurrency: number;
  delayMs: number;
}

/**
 * Measures each path over `rounds`, rotating them. Figures are the best round: other work on
 * the shared cores only ever adds CPU time (cache and core contention), never removes it.
 */
export async function cpuPerFrame(
  rig: Rig,
  paths: readonly Path[],
  options: CpuOptions,
  rounds: number,
): Promise<CpuResult[]> {
  const idle = await idleRate(rig, 1000);
  const runs: CpuRun[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[(i + round) % paths.length]!;
      runs.push(await cpuRun(rig, path, options.long, options, idle));
      runs.push(await cpuRun(rig, path, options.short, options, idle));
    }
  }
  const resultFor = (path: Path): CpuResult => {
    const mine = runs.filter((r) => r.path === path);
    const long = mine.filter((r) => r.framesPerStream === options.long);
    const short = mine.filter((r) => r.framesPerStream === options.short);
    const perFrame = (r: CpuRun, us: number) => us / (r.streams * r.framesPerStream);
    const best = (values: number[]) => Math.min(...values);
    const allIn = best(long.map((r) => perFrame(r, r.serverCpuUs)));
    const extra = options.streams * (options.long - options.short);
    const marginal = best(long.map((r, i) => (r.serverCpuUs - short[i]!.serverCpuUs) / extra));
    const shortPerRequest = best(short.map((r) => r.serverCpuUs / r.streams));
    return {
      path,
      usPerFrame: allIn,
      marginalUsPerFrame: marginal,
      usPerRequest: shortPerRequest - options.short * marginal,
      mockUsPerFrame: best(long.map((r) => perFrame(r, r.mockCpuUs))),
      runs: mine,
    };
  };
  return paths.map(resultFor);
}
