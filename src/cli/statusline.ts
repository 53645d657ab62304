/**
 * `ccp statusline`: the command Claude Code runs for its status line. Claude Code pipes a JSON
 * object (with `session_id`) to it after each turn; it prints one line: the provider/model that
 * really served the session's latest request (Claude Code's banner shows the Claude model it
 * asked for), and the session's tokens and cost. It reads the usage ledger in the data dir, so
 * no server needs to be running; with `--host` or `--port` it asks the ccp running there instead
 * (`ccp code` beside a ccp it did not start: that ccp's ledger may be in another data dir). It
 * never fails Claude Code's screen: any problem is one short line and exit 0.
 */

import { openUsageStore } from "../usage/open.ts";
import type { SessionUsage } from "../usage/store.ts";
import type { PassedNote } from "../resilience/passed_over.ts";
import { zeroCounters } from "../usage/totals.ts";
import type { Config } from "../config/types.ts";
import { environmentFetch } from "../upstream/http/clients.ts";
import type { CliFlags } from "./args.ts";
import { codeToken } from "./code_token.ts";
import type { CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";
import { clientHost, httpUrl } from "./startup.ts";
import { printable } from "../core/text.ts";
import { cost } from "../core/money.ts";

/** How long the status line waits for a running ccp (Claude Code redraws after each turn). */
const ASK_MS = 2000;

/** Reads all of standard input (Claude Code writes one JSON object and closes it). */
async function readStdin(): Promise<string> {
  if (Deno.stdin.isTerminal()) return "";
  return await new Response(Deno.stdin.readable).text();
}

/** `12.3k`, `1.2M`. */
function short(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** What the status line shows of a session: who served its latest request, and its totals. */
export type SessionView = {
  readonly latest?: {
    readonly route?: string;
    readonly provider?: string;
    readonly model?: string;
    readonly passed?: PassedNote;
    /** Its target runs on too little context (a running ccp says so; the ledger cannot). */
    readonly context?: string;
  };
  readonly totals: SessionUsage["totals"];
};

/**
 * The status line for a session's usage. A fallback that served because the route's first target
 * was passed says why, as the log line's `passed:` does: `instead of claude/claude-opus-5-5 (key
 * cooling until 14:32:05)`, the time on this machine's clock (the day too when it is not today).
 * It comes last: target names run long (`openrouter/anthropic/claude-sonnet-4.5`), and in a
 * terminal narrower than the line the totals, the line's purpose, stay whole and first. So does
 * a target on too little context, which a running ccp names (`ollama/qwen3: context 4096, too
 * small (see ccp check)`): it answers off-topic without an error.
 */
export function statusText(
  usage: SessionUsage | SessionView | undefined,
  now = new Date(),
): string {
  const latest = usage?.latest;
  if (!usage || !latest || usage.totals.requests === 0) {
    return "ccp · no requests yet in this session";
  }
  const served = latest.provider !== undefined
    ? printable(`${latest.provider}/${latest.model}`)
    : latest.route === "local"
    ? "answered locally"
    : "not served";
  const t = usage.totals;
  // `+`: some requests used a model without a known price, so the cost is only part of the spend
  // (a ccp from before this count sends none: no mark).
  const partial = t.unpriced > 0 ? "+" : "";
  const spent = t.priced > 0 ? ` · ${cost(t.costNanoUsd / 1e9)}${partial}` : "";
  const cache = t.cacheReadTokens > 0 ? ` (+${short(t.cacheReadTokens)} cached)` : "";
  const tokens = `${short(t.inputTokens)} in${cache} / ${short(t.outputTokens)} out`;
  const passed = latest.provider !== undefined ? passedText(latest.passed, now) : "";
  const context = "context" in latest && latest.context !== undefined
    ? ` · ${printable(latest.context)}`
    : "";
  return `ccp \u25b8 ${served} · ${tokens} · ${t.requests} req${spent}${passed}${context}`;
}

/** ` · instead of claude/m (key cooling until 14:32:05)`, or nothing when no target was passed. */
function passedText(passed: PassedNote | undefined, now: Date): string {
  if (passed === undefined) return "";
  const until = passed.until === undefined
    ? ""
    : ` until ${momentText(new Date(passed.until), now)}`;
  return ` · instead of ${printable(passed.target)} (${printable(passed.why)}${until})`;
}

/** `14:32:05` today, `2027-01-01 00:00:00` on another day (local time). */
function momentText(at: Date, now: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
  if (at.toDateString() === now.toDateString()) return time;
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${time}`;
}

/** Runs `ccp statusline`; `input` replaces standard input (tests). Always exits 0. */
export async function runStatusline(
  ctx: CliContext,
  flags: CliFlags,
  input?: string,
): Promise<number> {
  let session: string | undefined;
  try {
    const parsed: unknown = JSON.parse(input ?? await readStdin());
    const id = typeof parsed === "object" && parsed !== null
      ? Reflect.get(parsed, "session_id")
      : undefined;
    if (typeof id === "string" && id !== "") session = id;
  } catch {
    // No JSON: still print something useful.
  }
  if (session === undefined) {
    ctx.io.out("ccp · no session id from Claude Code");
    return 0;
  }
  try {
    const config = await loadCliConfig(ctx, flags);
    if (flags.host !== undefined || flags.port !== undefined) {
      ctx.io.out(await askRunning(config, session));
      return 0;
    }
    const opened = await openUsageStore(config);
    if (!opened.ok) {
      ctx.io.out("ccp · usage ledger unavailable");
      return 0;
    }
    try {
      ctx.io.out(statusText(await opened.store.session(session)));
    } finally {
      opened.store.close();
    }
  } catch (err) {
    ctx.io.out(`ccp · ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  return 0;
}

/**
 * The status line from the ccp running at the config's host and port, with the token `ccp code`
 * gives Claude Code. Never from a ledger of its own: that may not be the running ccp's.
 */
async function askRunning(config: Config, session: string): Promise<string> {
  const url = httpUrl(clientHost(config.server.host), config.server.port);
  let response: Response;
  try {
    response = await environmentFetch()(
      `${url}/v1/ccp/usage/session/${encodeURIComponent(session)}`,
      {
        headers: { authorization: `Bearer ${codeToken(config.server) ?? "ccp"}` },
        signal: AbortSignal.timeout(ASK_MS),
      },
    );
  } catch {
    return `ccp · the proxy at ${url} does not answer`;
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.status === 401) return `ccp · the proxy at ${url} refuses this ccp's token`;
  if (response.status === 404) {
    return `ccp · the proxy at ${url} is an older ccp: no session usage (update it)`;
  }
  if (response.status === 503) return `ccp · usage ledger unavailable at ${url}`;
  const view = sessionView(body);
  if (!response.ok || view === undefined) {
    return `ccp · the proxy at ${url} answered ${response.status}`;
  }
  return statusText(view);
}

/** A session answer as the status line reads it, or undefined when it is not one. */
function sessionView(body: unknown): SessionView | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const totals: unknown = Reflect.get(body, "totals");
  if (typeof totals !== "object" || totals === null) return undefined;
  const counters = zeroCounters();
  for (const name of Object.keys(counters) as (keyof typeof counters)[]) {
    const value: unknown = Reflect.get(totals, name);
    if (typeof value === "number" && Number.isFinite(value)) counters[name] = value;
  }
  const latest: unknown = Reflect.get(body, "latest");
  const text = (key: string) => {
    const value: unknown = typeof latest === "object" && latest !== null
      ? Reflect.get(latest, key)
      : undefined;
    return typeof value === "string" ? { [key]: value } : {};
  };
  const passed = typeof latest === "object" && latest !== null
    ? passedNote(Reflect.get(latest, "passed"))
    : undefined;
  return {
    ...(typeof latest === "object" && latest !== null
      ? {
        latest: {
          ...text("route"),
          ...text("provider"),
          ...text("model"),
          ...(passed ? { passed } : {}),
          ...text("context"),
        },
      }
      : {}),
    totals: counters,
  };
}

/** A session answer's `passed`, when it reads as one. */
function passedNote(value: unknown): PassedNote | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const target: unknown = Reflect.get(value, "target");
  const why: unknown = Reflect.get(value, "why");
  const until: unknown = Reflect.get(value, "until");
  if (typeof target !== "string" || typeof why !== "string") return undefined;
  return typeof until === "number" && Number.isFinite(until)
    ? { target, why, until }
    : { target, why };
}
