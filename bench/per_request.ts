/**
 * Per-request scenarios: CPU per request and throughput of ccp, the bare relay and the mock
 * itself (direct), non-streaming and streaming, and the cost of a Claude Code session's turns
 * as its history grows toward 800 KB. Each scenario runs every path in turn over several rounds;
 * the figures are the median of the rounds with their spread (min–max).
 */

import type { BodyKind } from "./bodies.ts";
import type { Child } from "./child.ts";
import type { Usage } from "./control.ts";
import type { LoadJob } from "./load_types.ts";
import { idleRate } from "./resources.ts";
import { jobFor, type Load, type Path, type Rig, runLoad, serverOf, usageOf } from "./rig.ts";
import { median } from "./stats.ts";
import { REQUEST_BPE_BUDGET } from "../src/tokens/text_counter.ts";
import type { StreamShape } from "./upstream_frames.ts";

/** A value over rounds: the median and the spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

function spread(values: readonly number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** What one path cost per request. */
export interface PathCost {
  path: Path;
  /** CPU of the process serving the path (the mock for direct, ccp, the relay), ms per request. */
  cpuMs: Spread;
  /** The mock's CPU per request in the same runs, ms (the upstream's own share). */
  mockCpuMs: Spread;
  /** Minor page faults of the serving process per request (fresh memory touched). */
  faults: Spread;
  /** Completed requests per second of wall time. */
  perSecond: Spread;
  failed: number;
}

const cpuOf = (a: Usage, b: Usage) => b.cpuUs - a.cpuUs;

/** Runs `job` once, returning the serving process's and the mock's CPU (µs, idle removed). */
async function measured(rig: Rig, server: Child, job: LoadJob, idle: Map<Child, number>) {
  const [s0, m0] = await Promise.all([usageOf(server), usageOf(rig.mock)]);
  const t0 = performance.now();
  const result = await runLoad(rig, job);
  const [s1, m1] = await Promise.all([usageOf(server), usageOf(rig.mock)]);
  const wall = performance.now() - t0;
  const less = (child: Child) => (idle.get(child) ?? 0) * wall;
  const serverUs = cpuOf(s0, s1) - less(server);
  return {
    serverUs,
    serverFaults: s1.minorFaults - s0.minorFaults,
    mockUs: server === rig.mock ? serverUs : cpuOf(m0, m1) - less(rig.mock),
    ok: result.ok,
    failed: result.failed,
    perSecond: (result.ok / result.elapsedMs) * 1000,
  };
}

/** The jobs one round sends by a path: an unmeasured warm-up, then the measured one. */
export interface Scenario {
  warm?: (path: Path) => LoadJob;
  job: (path: Path) => LoadJob;
}

/** Measures every path over `rounds`, rotating their order each round. */
export async function perRequest(
  rig: Rig,
  paths: readonly Path[],
  scenario: Scenario,
  rounds: number,
): Promise<PathCost[]> {
  const idle = await idleRate(rig, 500);
  const runs = new Map<Path, Awaited<ReturnType<typeof measured>>[]>(paths.map((p) => [p, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[(i + round) % paths.length]!;
      const warm = scenario.warm?.(path);
      if (warm) await runLoad(rig, warm);
      runs.get(path)!.push(await measured(rig, serverOf(rig, path.via), scenario.job(path), idle));
    }
  }
  return paths.map((path) => {
    const mine = runs.get(path)!;
    const per = (us: number, ok: number) => us / Math.max(1, ok) / 1000;
    return {
      path,
      cpuMs: spread(mine.map((r) => per(r.serverUs, r.ok))),
      mockCpuMs: spread(mine.map((r) => per(r.mockUs, r.ok))),
      faults: spread(mine.map((r) => r.serverFaults / Math.max(1, r.ok))),
      perSecond: spread(mine.map((r) => r.perSecond)),
      failed: mine.reduce((n, r) => n + r.failed, 0),
    };
  });
}

/**
 * The same request `load.requests` times along a path, after the same run unmeasured. Without
 * it a round measured the server's first requests of that kind as well: the 47 KB row read
 * 1.15 ms on a fresh rig and 0.87 ms run again right after, from V8 compiling and optimising the
 * code those requests take, which a session pays once.
 */
export function repeated(
  rig: Rig,
  shape: StreamShape,
  body: BodyKind,
  load: Load,
): Scenario {
  const job = (path: Path) => jobFor(rig, path, shape, body, load);
  return { warm: job, job };
}

/**
 * One Claude Code session's consecutive turns `from`..`to`, one request at a time, non-streaming:
 * each request's history was sent by the one before, as a session does. `to` − `from` + 1 requests
 * are measured.
 *
 * Turn `from` − 1 warms up unmeasured, sent until ccp has counted all of its history, as it has
 * in a session it followed from the start: one request counts at most REQUEST_BPE_BUDGET
 * characters of new text exactly, and leaves the rest for the next (a resumed session's first
 * turns). Warmed with one request, the 800 KB turns spent ~35 ms of their CPU on that catch-up.
 */
export function sessionTurns(rig: Rig, from: number, to: number): Scenario {
  const shape = { frames: 20, delayMs: 0 };
  const load: Load = { requests: to - from + 1, concurrency: 1, stream: false };
  // Every round is another session, so nothing new in a turn was cached by an earlier round.
  let session = 0;
  const jobOf = (path: Path, turns: number[]): LoadJob => {
    const body = (t: number) => jobFor(rig, path, shape, `session:${t}:${session}`, load).body;
    const bodies = turns.map(body);
    return { ...jobFor(rig, path, shape, "small", load), bodies, requests: bodies.length };
  };
  const before = Math.max(0, from - 1);
  return {
    warm: (path) => {
      session++;
      const chars = jobOf(path, [before]).bodies![0]!.length;
      const sends = 1 + Math.ceil(chars / REQUEST_BPE_BUDGET);
      return jobOf(path, Array.from({ length: sends }, () => before));
    },
    job: (path) => jobOf(path, Array.from({ length: to - from + 1 }, (_, i) => from + i)),
  };
}
