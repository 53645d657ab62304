/** The first observer of request records: one log line per request. */

import type { Logger } from "../core/log.ts";
import { fnv1a64Hex } from "../translate/anthropic/ids.ts";
import type { AttemptRecord, RequestObserver, RequestRecord } from "./record.ts";

/**
 * `POST /v1/messages claude-opus-5-5 -> nim/glm4.7 200 812ms ttft=95ms in=1200 out=45 stream [opus]
 * client=alice`,
 * with the error cut to `errorChars` (marked `...` where cut).
 */
export function formatRecord(r: Readonly<RequestRecord>, errorChars = 300): string {
  const parts = [r.method, r.path];
  const target = r.provider !== undefined ? `${r.provider}/${r.model}` : undefined;
  if (r.clientModel !== undefined) {
    parts.push(target ? `${r.clientModel} \u2192 ${target}` : r.clientModel);
  }
  parts.push(String(r.status), `${Math.round(r.durationMs)}ms`);
  if (r.ttftMs !== undefined && r.stream) parts.push(`ttft=${Math.round(r.ttftMs)}ms`);
  if (r.usage.inputTokens !== undefined) parts.push(`in=${r.usage.inputTokens}`);
  if (r.usage.outputTokens !== undefined) parts.push(`out=${r.usage.outputTokens}`);
  if (r.usage.cacheReadInputTokens) parts.push(`cache_read=${r.usage.cacheReadInputTokens}`);
  if (r.usage.cacheCreationInputTokens) {
    parts.push(`cache_write=${r.usage.cacheCreationInputTokens}`);
  }
  if (r.stream !== undefined) parts.push(r.stream ? "stream" : "json");
  if (r.route !== undefined) parts.push(`[${r.route}]`);
  // A named client of `clients:` (who on a team asked); a lone token's `default` says nothing.
  if (r.client !== undefined && r.client !== "default") {
    parts.push(`client=${clientName(r.client)}`);
  }
  // A web tool loop sends one request a round: its rounds are not retries, and only sends
  // beyond one a round (a retry, a failover) are counted as attempts.
  const rounds = roundsOf(r);
  if (rounds > 1) parts.push(`rounds=${rounds}`);
  // A try sent again with max_tokens fitted is one attempt with its re-send, as a try sent again
  // without what the upstream refused is: said apart, not counted as a failover.
  const resent = resentAttempts(r);
  const attempts = r.attempts.length - resent.count;
  if (attempts > rounds) {
    const failed = failedAttempts(r);
    parts.push(`attempts=${attempts}${failed ? ` (failed: ${failed})` : ""}`);
  }
  if (resent.text) parts.push(`resent: ${resent.text}`);
  if (r.passed?.length) parts.push(`passed: ${r.passed.join(", ")}`);
  if (r.error) {
    const cut = r.error.length > errorChars ? `${r.error.slice(0, errorChars)}\u2026` : r.error;
    parts.push(`(${cut})`);
  }
  return parts.join(" ");
}

/** The model rounds a request took: each send after an answered one starts the next. */
export function roundsOf(r: Readonly<RequestRecord>): number {
  let rounds = 1;
  for (let i = 1; i < r.attempts.length; i++) {
    if (r.attempts[i - 1]!.outcome === "answered") rounds++;
  }
  return rounds;
}

/**
 * A client's name as the line writes it: bare when it is one word, else quoted as the attempt
 * lines quote model names, so `client=a b` cannot read as client `a` followed by a word `b`.
 */
function clientName(name: string): string {
  return /^[^\s="]+$/.test(name) ? name : JSON.stringify(name);
}

/**
 * Which tries failed, so the one line (and the status page) shows the failover (each try also has
 * its own warning, which does not name the request): `oa/r429 429, oa/r500 no answer ×4`, "" when
 * none did. Identical tries in a row (retries of one target) are one entry with a count, so a
 * long model name is written once.
 */
export function failedAttempts(r: Readonly<RequestRecord>): string {
  return listed(r, "failed", (a) => `${a.provider}/${a.model} ${a.status ?? "no answer"}`).text;
}

/**
 * The tries refused for `max_tokens` over a local server's window and sent again fitted, as the
 * line and the status page name them (`local/qwen3-coder (max_tokens fitted after 400)`), and
 * how many there were.
 */
export function resentAttempts(r: Readonly<RequestRecord>): { text: string; count: number } {
  return listed(
    r,
    "resent",
    (a) => `${a.provider}/${a.model} (max_tokens fitted after ${a.status})`,
  );
}

/** The tries of `outcome`, each written by `write`, runs of like ones as one with a count. */
function listed(
  r: Readonly<RequestRecord>,
  outcome: AttemptRecord["outcome"],
  write: (a: AttemptRecord) => string,
): { text: string; count: number } {
  const runs: Array<{ text: string; n: number }> = [];
  let count = 0;
  for (const a of r.attempts) {
    if (a.outcome !== outcome) continue;
    count++;
    const text = write(a);
    const last = runs.at(-1);
    if (last?.text === text) last.n++;
    else runs.push({ text, n: 1 });
  }
  if (runs.length === 0) return { text: "", count };
  const shown = runs.slice(0, 5).map(({ text, n }) => n > 1 ? `${text} ×${n}` : text);
  const rest = runs.slice(5).reduce((sum, run) => sum + run.n, 0);
  if (rest > 0) shown.push(`${rest} more`);
  return { text: shown.join(", "), count };
}

/** The record's fields for a JSON log line (the record holds no text and no key). */
function recordFields(r: Readonly<RequestRecord>): Record<string, unknown> {
  return {
    request_id: r.id,
    started_at: new Date(r.startedAt).toISOString(),
    method: r.method,
    path: r.path,
    // A hash, not the id: the log tells a session's lines apart without naming the session
    // (whoever knows the id can hash it to find them).
    session_hash: r.session === undefined ? undefined : fnv1a64Hex(r.session),
    client: r.client,
    client_model: r.clientModel,
    route: r.route,
    provider: r.provider,
    model: r.model,
    key: r.keyLabel,
    stream: r.stream,
    status: r.status,
    outcome: r.outcome,
    error_type: r.errorType,
    error: r.error,
    input_tokens: r.usage.inputTokens,
    output_tokens: r.usage.outputTokens,
    cache_read_input_tokens: r.usage.cacheReadInputTokens,
    cache_creation_input_tokens: r.usage.cacheCreationInputTokens,
    duration_ms: Math.round(r.durationMs * 10) / 10,
    ttft_ms: r.ttftMs === undefined ? undefined : Math.round(r.ttftMs * 10) / 10,
    attempts: r.attempts.map((a) => ({
      provider: a.provider,
      model: a.model,
      key: a.keyLabel,
      status: a.status,
      outcome: a.outcome,
      reason: a.reason,
      duration_ms: Math.round(a.durationMs * 10) / 10,
    })),
    passed: r.passed,
  };
}

/** Logs each finished request: info when it went well, warn when it failed or was cut short. */
export function logObserver(log: Logger): RequestObserver {
  return {
    ended(record) {
      const failed = record.status >= 400 || record.outcome !== "ok";
      // Nothing is built for a line the log level drops (every request would pay for it).
      if (!log.enabled(failed ? "warn" : "info")) return;
      const line = formatRecord(record);
      // A text line shows only the message: the record's fields are built for JSON lines alone.
      const fields = log.structured ? recordFields(record) : undefined;
      if (failed) log.warn(line, fields);
      else log.info(line, fields);
    },
  };
}
