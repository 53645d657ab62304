/**
 * `ccp statusline`: the command Claude Code runs for its status line. Claude Code pipes a JSON
 * object (with `session_id`) to it after each turn; it prints one line: the provider/model that
 * really served the session's latest request (Claude Code's banner shows the Claude model it
 * asked for), and the session's tokens and cost. It reads the usage ledger in the data dir, so
 * no server needs to be running, and it never fails Claude Code's screen: any problem is one
 * short line and exit 0.
 */

import { openUsageStore } from "../usage/open.ts";
import type { SessionUsage } from "../usage/store.ts";
import type { CliFlags } from "./args.ts";
import type { CliContext } from "./context.ts";
import { loadCliConfig } from "./load.ts";

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

/** The status line for a session's usage. */
export function statusText(usage: SessionUsage | undefined): string {
  const latest = usage?.latest;
  if (!usage || !latest || usage.totals.requests === 0) {
    return "ccp · no requests yet in this session";
  }
  const served = latest.provider !== undefined
    ? `${latest.provider}/${latest.model}`
    : latest.route === "local"
    ? "answered locally"
    : "not served";
  const t = usage.totals;
  const cost = t.priced > 0 ? ` · ${usd(t.costNanoUsd / 1e9)}` : "";
  const cache = t.cacheReadTokens > 0 ? ` (+${short(t.cacheReadTokens)} cached)` : "";
  return `ccp ▸ ${served} · ${short(t.inputTokens)} in${cache} / ${short(t.outputTokens)} out · ` +
    `${t.requests} req${cost}`;
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

/** Dollars as the status line shows them: four decimals under $1, a cost below that not as 0. */
function usd(amount: number): string {
  if (amount === 0) return "$0";
  if (amount < 0.0001) return "<$0.0001";
  return `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
}
