/** Turns the measurements into the table's sections, with the issue's targets and peer figures. */

import type { Comparison, Side } from "./latency.ts";
import type { Row, Section } from "./report.ts";
import type { CpuOptions, CpuResult, OpenStreamsRss, RssPair } from "./resources.ts";
import type { StartupResult, StartupResults } from "./startup.ts";
import type { PathCost, Spread } from "./per_request.ts";
import { median } from "./stats.ts";

/** Everything the benchmark measured (also written to results.json). */
export interface Results {
  idleRss: RssPair;
  /** Idle again one second after ccp's first answer. */
  firstRss: RssPair;
  afterRss: RssPair;
  /** Non-streaming small requests, c16: direct, bare relay, ccp, `ccp serve` with its defaults. */
  small: PathCost[];
  /** Non-streaming 47 KB Claude Code requests, c8. */
  claudeCode: PathCost[];
  /** Non-streaming small requests at c64: throughput. */
  rate: PathCost[];
  /** 200-frame streams at c64: throughput. */
  streamRate: PathCost[];
  /** A session's 10 turns from each size on: direct, relay, ccp passthrough, ccp translated. */
  growth: { kb: number; turns: number; costs: PathCost[] }[];
  /** A session from its first turn to `turns`, one request per turn. */
  growing: { turns: number; costs: PathCost[] };
  /** ccp's VmHWM at the end: its peak RSS over the whole run. */
  ccpPeakMB: number;
  open: OpenStreamsRss;
  /** The same streams through fresh bare relays: the runtime's floor, and one JS layer's. */
  openFloor: { native: RssPair; byob: RssPair };
  startup: StartupResults;
  ttfb: Comparison;
  ttfbAlone: Comparison;
  ttfbBig: Comparison;
  ttft: Comparison;
  ttftAlone: Comparison;
  ttftBig: Comparison;
  gaps: Comparison;
  gapsTranslated: Comparison;
  /** Paced frames: each one reaches ccp alone (the worst case per frame). */
  cpu: {
    passthrough: CpuResult;
    translated: CpuResult;
    /** ccp passthrough with `server.connection_guard: false`. */
    unguarded: CpuResult;
    relayNative: CpuResult;
    relayJs: CpuResult;
    relayByob: CpuResult;
  };
  cpuOptions: CpuOptions;
  /** Frames back to back at c16, as the issue's table measures. */
  burst: Pick<Results["cpu"], "passthrough" | "translated" | "unguarded" | "relayNative">;
  burstOptions: CpuOptions;
  wallSeconds: number;
}

/** The most popular peer's published figures, for context only. */
const PEER = { latency: "~5 ms added", cpu: "~28 µs", idle: "~525 MB", startup: "~4 s" };

const under = (limit: number, unit: string, value: number, orEqual = false) => ({
  text: `${orEqual ? "≤" : "<"} ${limit} ${unit}`,
  met: orEqual ? value <= limit : value < limit,
});

function failures(c: Comparison): string | undefined {
  const sides = [c.direct, c.ccp, c.relay].filter((s): s is Side => s !== undefined);
  const failed = sides.reduce((n, s) => n + s.failed, 0);
  if (failed === 0) return undefined;
  return `${failed} requests failed: ${sides.flatMap((s) => s.errors)[0] ?? ""}`;
}

/** p50 and p99 of `key`, direct vs ccp (and the bare relay when measured), target on p50. */
function latencyRows(c: Comparison, key: "ttfb" | "ttft", label: string, target = false): Row[] {
  const rows: Row[] = (["p50", "p99"] as const).map((p) => ({
    measure: `${label} ${p}`,
    direct: c.direct[key][p],
    ccp: c.ccp[key][p],
    unit: "ms",
    showAdded: true,
    target: target && p === "p50"
      ? { text: "added < 1 ms", met: c.ccp[key].p50 - c.direct[key].p50 < 1 }
      : undefined,
    peer: target && p === "p50" ? PEER.latency : undefined,
  }));
  if (c.relay) {
    rows.push({
      measure: `${label} p50, bare Deno relay`,
      direct: c.direct[key].p50,
      ccp: c.relay[key].p50,
      unit: "ms",
      showAdded: true,
      note: "the floor of any Deno proxy: fetch → new Response(upstream.body), no JS per chunk",
    });
  }
  rows[rows.length - 1]!.note ??= failures(c);
  return rows;
}

function gapRows(c: Comparison, label: string): Row[] {
  const { direct, ccp, relay } = c;
  const floor: Row[] = relay
    ? [{
      measure: `${label} token gap p99, bare Deno relay`,
      direct: direct.gaps.p99,
      ccp: relay.gaps.p99,
      unit: "ms",
      showAdded: true,
      note:
        "the same streams through fetch → new Response(upstream.body): the runtime's own jitter",
    }]
    : [];
  return [
    {
      measure: `${label} token gap p50`,
      direct: direct.gaps.p50,
      ccp: ccp.gaps.p50,
      unit: "ms",
      showAdded: true,
    },
    {
      measure: `${label} token gap p99`,
      direct: direct.gaps.p99,
      ccp: ccp.gaps.p99,
      unit: "ms",
      showAdded: true,
      target: { text: "added ≤ 2 ms", met: ccp.gaps.p99 - direct.gaps.p99 <= 2 },
    },
    ...floor,
    {
      measure: `${label} token reads/stream`,
      direct: direct.tokenReads.p50,
      ccp: ccp.tokenReads.p50,
      unit: "reads",
      note: failures(c) ?? "equal counts: every token arrived in its own read (nothing buffered)",
    },
  ];
}

function cpuRows(cpu: Results["cpu"]): Row[] {
  const { passthrough: pass, translated: tran, unguarded, relayNative, relayJs, relayByob } = cpu;
  const ratio = tran.usPerFrame / pass.usPerFrame;
  return [
    floorRow(
      "bare relay, native",
      relayNative,
      "new Response(upstream.body): Deno moves bytes, no JS",
    ),
    floorRow(
      "bare relay, one JS layer",
      relayJs,
      "reader.read() → enqueue: a fresh 64 KiB buffer per read",
    ),
    floorRow(
      "bare relay, one BYOB layer",
      relayByob,
      "BYOB read into a reused buffer, exact copy out",
    ),
    floorRow("ccp passthrough", pass, "as `ccp serve` runs: behind the connection guard"),
    floorRow("ccp passthrough, guard off", unguarded, "server.connection_guard: false"),
    {
      ...floorRow("ccp translated", tran, "OpenAI SSE → Anthropic SSE"),
      target: under(5, "µs", tran.usPerFrame, true),
      peer: PEER.cpu,
    },
    {
      measure: "translated ÷ passthrough",
      ccp: ratio,
      unit: "×",
      target: { text: "< 2×", met: ratio < 2 },
    },
    {
      measure: "ccp passthrough − JS-layer relay",
      ccp: pass.usPerFrame - relayJs.usPerFrame,
      unit: "µs",
      note: "ccp's own code per frame, beyond reading each chunk in JS once",
    },
    {
      measure: "ccp translated − JS-layer relay",
      ccp: tran.usPerFrame - relayJs.usPerFrame,
      unit: "µs",
    },
    { measure: "ccp passthrough, marginal per frame", ccp: pass.marginalUsPerFrame, unit: "µs" },
    { measure: "ccp translated, marginal per frame", ccp: tran.marginalUsPerFrame, unit: "µs" },
    {
      measure: "bare relay native, per request",
      ccp: relayNative.usPerRequest,
      unit: "µs",
      note: "per request = short-run CPU − 20 × marginal: a difference of two runs, noisy",
    },
    { measure: "ccp passthrough, per request", ccp: pass.usPerRequest, unit: "µs" },
    { measure: "ccp translated, per request", ccp: tran.usPerRequest, unit: "µs" },
  ];
}

function startupRow(measure: string, base: StartupResult, own: StartupResult): Row {
  if (own.skipped) return { measure, ccp: NaN, unit: "ms", note: `skipped: ${own.skipped}` };
  return {
    measure,
    direct: base.medianMs,
    ccp: own.medianMs,
    unit: "ms",
    showAdded: true,
    target: under(1000, "ms", own.medianMs),
    peer: PEER.startup,
  };
}

/** The private part of both RSS figures (the rest is shared file-backed pages). */
function privateNote(pair: RssPair): string {
  return `private (RssAnon): ccp ${pair.ccpAnonMB.toFixed(1)} MB, bare ${
    pair.mockAnonMB.toFixed(1)
  } MB; the rest is file-backed, mostly the deno executable's shared code pages`;
}

function rssRows(r: Results): Row[] {
  const { open } = r;
  const rss = (measure: string, pair: RssPair, target?: Row["target"], note?: string): Row => ({
    measure,
    direct: pair.mockMB,
    ccp: pair.ccpMB,
    unit: "MB",
    showAdded: true,
    target,
    note,
  });
  return [
    {
      ...rss("idle after start", r.idleRss, under(60, "MB", r.idleRss.ccpMB, true)),
      peer: PEER.idle,
    },
    rss(
      "idle after the first answer",
      r.firstRss,
      under(50, "MB", r.firstRss.ccpMB, true),
      privateNote(r.firstRss),
    ),
    rss(
      `${open.streams} open streams`,
      open.atOpen,
      under(120, "MB", open.atOpen.ccpMB, true),
      `inside ccp: JS heap ${open.ccpHeapUsedMB.toFixed(1)} MB, external (ArrayBuffers) ` +
        `${open.ccpExternalMB.toFixed(1)} MB` +
        (open.failed ? `; ${open.failed} streams failed` : ""),
    ),
    rss(
      `${open.streams} open streams, peak`,
      open.peak,
      under(120, "MB", open.peak.ccpMB, true),
      privateNote(open.peak),
    ),
    {
      measure: `${open.streams} open streams, peak, bare Deno relay`,
      ccp: r.openFloor.native.ccpMB,
      unit: "MB",
      note: "a fresh relay process, new Response(upstream.body): the runtime's floor, no JS per " +
        "chunk",
    },
    {
      measure: `${open.streams} open streams, peak, bare relay with one BYOB layer`,
      ccp: r.openFloor.byob.ccpMB,
      unit: "MB",
      note: "a fresh relay process reading each chunk in JS once: the floor of any proxy that " +
        "looks at the stream",
    },
    rss("idle after the whole run", r.afterRss),
    { measure: "peak over the whole run (VmHWM)", ccp: r.ccpPeakMB, unit: "MB" },
  ];
}

const spreadText = (s: Spread, digits = 2) =>
  `median of rounds; spread ${s.min.toFixed(digits)}–${s.max.toFixed(digits)}`;

function costOf(costs: PathCost[], via: string, upstream = "anthropic"): PathCost {
  const cost = costs.find((c) => c.path.via === via && c.path.upstream === upstream);
  if (!cost) throw new Error(`no measurement for ${upstream} via ${via}`);
  return cost;
}

/** CPU ms per request: the relay's and ccp's own, beside the mock's (direct) in the same runs. */
function cpuRequestRows(label: string, costs: PathCost[], target?: number): Row[] {
  const rows: Row[] = [];
  for (
    const [via, upstream, name] of [
      ["relay:native", "anthropic", "bare Deno relay"],
      ["ccp", "anthropic", "ccp passthrough"],
      ["ccp", "openai", "ccp translated"],
      [
        "ccp:serve",
        "anthropic",
        "ccp passthrough with `ccp serve`'s defaults (log at info + ledger)",
      ],
    ] as const
  ) {
    const cost = costs.find((c) => c.path.via === via && c.path.upstream === upstream);
    if (!cost) continue;
    const isCcp = via === "ccp" && upstream === "anthropic";
    rows.push({
      measure: `${label}, ${name}`,
      direct: costOf(costs, "direct").cpuMs.median,
      ccp: cost.cpuMs.median,
      unit: "ms",
      target: isCcp && target !== undefined
        ? under(target, "ms", cost.cpuMs.median, true)
        : undefined,
      note: spreadText(cost.cpuMs, 3) + (cost.failed ? `; ${cost.failed} failed` : ""),
    });
  }
  return rows;
}

/** Section 7's CPU per small request at c16 (with `ccp serve`'s defaults when measured). */
export function smallRows(small: PathCost[]): Row[] {
  return cpuRequestRows("CPU per request, small body, c16", small, 0.3);
}

function rateRows(label: string, costs: PathCost[], target: number): Row[] {
  const direct = costOf(costs, "direct").perSecond.median;
  return (["relay:native", "ccp"] as const).map((via) => {
    const own = costOf(costs, via).perSecond;
    const ratio = own.median / direct;
    return {
      measure: `${label}, ${via === "ccp" ? "ccp" : "bare Deno relay"} ÷ direct`,
      ccp: ratio,
      unit: "×",
      target: via === "ccp" ? { text: `≥ ${target}×`, met: ratio >= target } : undefined,
      note: `${own.median.toFixed(0)}/s vs direct ${direct.toFixed(0)}/s; ` + spreadText(own, 0),
    };
  });
}

function growthRows(r: Results): Row[] {
  const rows: Row[] = [];
  for (const { kb, turns, costs } of r.growth) {
    rows.push(...cpuRequestRows(`${kb} KB (turns ${turns}–${turns + 9})`, costs, 10));
  }
  const first = r.growth[0]!;
  const last = r.growth.at(-1)!;
  for (
    const [upstream, name] of [["anthropic", "passthrough"], ["openai", "translated"]] as const
  ) {
    const ratio = costOf(last.costs, "ccp", upstream).cpuMs.median /
      costOf(first.costs, "ccp", upstream).cpuMs.median;
    rows.push({
      measure: `ccp ${name}: ${last.kb} KB ÷ ${first.kb} KB`,
      ccp: ratio,
      unit: "×",
      target: { text: "≤ 8×", met: ratio <= 8 },
      note: `the bodies are ${last.kb / first.kb}× larger`,
    });
  }
  rows.push(
    ...cpuRequestRows(`turns 1–${r.growing.turns}, one request per turn`, r.growing.costs),
  );
  return rows;
}

function floorRow(measure: string, r: CpuResult, note: string): Row {
  return { measure, direct: r.mockUsPerFrame, ccp: r.usPerFrame, unit: "µs", note };
}

function burstRows(burst: Results["burst"]): Row[] {
  return [
    floorRow("bare relay, native", burst.relayNative, "no JS per chunk: the runtime's floor"),
    floorRow("ccp passthrough", burst.passthrough, "as `ccp serve` runs: behind the guard"),
    floorRow("ccp passthrough, guard off", burst.unguarded, "server.connection_guard: false"),
    floorRow("ccp translated", burst.translated, "OpenAI SSE → Anthropic SSE"),
  ];
}

/** The issue's table: one line per measure, from the sections above. */
function issueRows(r: Results): Row[] {
  const ccpSmall = costOf(r.small, "ccp").cpuMs.median;
  const ccpBig = costOf(r.claudeCode, "ccp").cpuMs.median;
  const rate = costOf(r.rate, "ccp").perSecond.median / costOf(r.rate, "direct").perSecond.median;
  const streams = costOf(r.streamRate, "ccp").perSecond.median /
    costOf(r.streamRate, "direct").perSecond.median;
  const first = r.startup.cli.firstAnswerMs ?? [];
  const firstMs = first.length ? median(first) : NaN;
  return [
    {
      measure: "CPU µs per streamed chunk (200-chunk streams, c16, ccp process)",
      ccp: r.burst.passthrough.usPerFrame,
      unit: "µs",
      target: under(4, "µs", r.burst.passthrough.usPerFrame, true),
      note: `guard off ${r.burst.unguarded.usPerFrame.toFixed(1)} µs; translated ` +
        `${r.burst.translated.usPerFrame.toFixed(1)} µs; bare relay (native) ` +
        `${r.burst.relayNative.usPerFrame.toFixed(1)} µs; paced 5 ms: ` +
        `${r.cpu.passthrough.usPerFrame.toFixed(1)} µs`,
    },
    {
      measure: "CPU ms per non-stream request, small body, c16",
      direct: costOf(r.small, "direct").cpuMs.median,
      ccp: ccpSmall,
      unit: "ms",
      target: under(0.3, "ms", ccpSmall, true),
    },
    {
      measure: "CPU ms per request, 47 KB Claude Code body, c8",
      direct: costOf(r.claudeCode, "direct").cpuMs.median,
      ccp: ccpBig,
      unit: "ms",
      target: under(0.7, "ms", ccpBig, true),
    },
    {
      measure: "added latency c1 p50 (TTFB, 20 frames)",
      ccp: r.ttfbAlone.ccp.ttfb.p50 - r.ttfbAlone.direct.ttfb.p50,
      unit: "ms",
      target: under(0.3, "ms", r.ttfbAlone.ccp.ttfb.p50 - r.ttfbAlone.direct.ttfb.p50, true),
    },
    {
      measure: "added latency c1 p99 (TTFB, 20 frames)",
      ccp: r.ttfbAlone.ccp.ttfb.p99 - r.ttfbAlone.direct.ttfb.p99,
      unit: "ms",
      target: under(1, "ms", r.ttfbAlone.ccp.ttfb.p99 - r.ttfbAlone.direct.ttfb.p99, true),
    },
    {
      measure: "added time to first token, stream c16, p50 (translated)",
      ccp: r.ttft.ccp.ttft.p50 - r.ttft.direct.ttft.p50,
      unit: "ms",
      target: under(4, "ms", r.ttft.ccp.ttft.p50 - r.ttft.direct.ttft.p50, true),
      note: `passthrough: ${(r.ttfb.ccp.ttfb.p50 - r.ttfb.direct.ttfb.p50).toFixed(2)} ms`,
    },
    {
      measure: "non-stream requests/s at c64, × direct",
      ccp: rate,
      unit: "×",
      target: { text: "≥ 0.5×", met: rate >= 0.5 },
    },
    {
      measure: "streams/s at c64 (200 chunks), × direct",
      ccp: streams,
      unit: "×",
      target: { text: "≥ 0.6×", met: streams >= 0.6 },
    },
    idleServerRow(r),
    {
      measure: `RSS with ${r.open.streams} streams open (server process)`,
      direct: r.open.peak.mockMB,
      ccp: r.open.peak.ccpMB,
      unit: "MB",
      target: under(120, "MB", r.open.peak.ccpMB, true),
      note: `bare relays in fresh processes: native ${r.openFloor.native.ccpMB.toFixed(1)} MB, ` +
        `one BYOB layer ${r.openFloor.byob.ccpMB.toFixed(1)} MB`,
    },
    {
      measure: "cold start to first answer, `src/main.ts serve` from source",
      ccp: firstMs,
      unit: "ms",
      target: under(200, "ms", firstMs, true),
    },
    {
      measure: "chunk inter-arrival − 20 ms pacing, p99 (passthrough)",
      direct: r.gaps.direct.gaps.p99 - 20,
      ccp: r.gaps.ccp.gaps.p99 - 20,
      unit: "ms",
      target: under(3.2, "ms", r.gaps.ccp.gaps.p99 - 20, true),
      note: r.gaps.relay
        ? `bare Deno relay ${(r.gaps.relay.gaps.p99 - 20).toFixed(2)} ms in the same rounds`
        : undefined,
    },
  ];
}

/**
 * The server process idle after its first answer: `src/main.ts serve` itself when the start-up
 * section could sample it, else the benchmark's ccp runner (the same server, without the CLI's
 * stores and signal handling).
 */
function idleServerRow(r: Results): Row {
  const cli = r.startup.cli.idleAfterAnswer;
  const runner = `ccp runner ${r.firstRss.ccpMB.toFixed(1)} MB (private ${
    r.firstRss.ccpAnonMB.toFixed(1)
  } MB)`;
  const ccp = cli?.rssMB ?? r.firstRss.ccpMB;
  return {
    measure: cli
      ? "RSS idle after the first answer (`src/main.ts serve`)"
      : "RSS idle after the first answer (server process)",
    direct: r.firstRss.mockMB,
    ccp,
    unit: "MB",
    target: under(50, "MB", ccp, true),
    note: cli
      ? `private (RssAnon) ${cli.anonMB.toFixed(1)} MB, bare ${
        r.firstRss.mockAnonMB.toFixed(1)
      } MB; ${runner}`
      : privateNote(r.firstRss),
  };
}

/** The table's sections, numbered as in the issue. */
export function buildSections(r: Results): Section[] {
  const { startup, cpuOptions: c } = r;
  return [
    {
      title: "1. Anthropic passthrough, time to first byte (direct = straight to the mock)",
      rows: [
        ...latencyRows(r.ttfb, "ttfb", "TTFB c16, 200 frames back to back,", true),
        ...latencyRows(r.ttfbAlone, "ttfb", "TTFB c1 (one at a time), 20 frames,"),
        ...latencyRows(r.ttfbBig, "ttfb", "TTFB c16, 45 KB Claude Code body,"),
      ],
    },
    {
      title: "2. Inter-arrival, 60 frames at 20 ms/frame, 16 streams (direct = the mock)",
      rows: [...gapRows(r.gaps, "passthrough"), ...gapRows(r.gapsTranslated, "translated")],
    },
    {
      title: "3. RSS, /proc VmRSS (direct = the mock: a bare Deno.serve at the same moment)",
      rows: rssRows(r),
    },
    {
      title:
        `4. CPU per upstream frame, ${c.streams} streams × ${c.long} frames (and × ${c.short}), ` +
        `c${c.concurrency}, ${c.delayMs} ms/frame, best of 3 (direct = the mock's CPU per frame)`,
      rows: cpuRows(r.cpu),
    },
    {
      title: `4b. CPU per upstream frame as the issue measures it: ${r.burstOptions.streams} ` +
        `streams × ${r.burstOptions.long} frames back to back, c${r.burstOptions.concurrency}, ` +
        "best of 3 (direct = the mock's CPU per frame)",
      rows: burstRows(r.burst),
    },
    {
      title:
        "5. OpenAI → Anthropic translation, time to first token (direct = the mock's OpenAI stream)",
      rows: [
        ...latencyRows(r.ttft, "ttft", "TTFT c16, 200 frames back to back,", true),
        ...latencyRows(r.ttftAlone, "ttft", "TTFT c1 (one at a time), 20 frames,"),
        ...latencyRows(r.ttftBig, "ttft", "TTFT c16, 45 KB Claude Code body,"),
      ],
    },
    {
      title: `6. Start-up, spawn → listening, median of ${startup.runner.runs.length} ` +
        "(direct = a bare Deno.serve script)",
      rows: [
        startupRow("bench/ccp_runner.ts", startup.baseline, startup.runner),
        startupRow("src/main.ts serve", startup.baseline, startup.cli),
        {
          measure: "src/main.ts serve, spawn → first answer",
          ccp: startup.cli.firstAnswerMs?.length ? median(startup.cli.firstAnswerMs) : NaN,
          unit: "ms",
        },
      ],
    },
    {
      title: "7. Per request, non-streaming unless said (direct = the mock's own CPU per request)",
      rows: [
        ...smallRows(r.small),
        ...cpuRequestRows("CPU per request, 47 KB Claude Code body, c8", r.claudeCode, 0.7),
        ...rateRows("requests/s at c64, small body", r.rate, 0.5),
        ...rateRows("streams/s at c64, 200 frames", r.streamRate, 0.6),
      ],
    },
    {
      title: "8. Growth: CPU per request of a Claude Code session's next turns, one at a time " +
        "(direct = the mock's CPU: it parses the body too)",
      rows: growthRows(r),
    },
    { title: "The issue's table (measures above)", rows: issueRows(r) },
  ];
}
