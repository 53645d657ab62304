// deno-lint-ignore-file no-console -- the load generator reports one JSON line on stdout
/**
 * The soak's client, in its own process: sends `requests` streaming requests through ccp with
 * `concurrency` workers, each on its own kept-alive connection as Claude Code sends them, reads every answer whole and judges it (bench/soak_check.ts). Prints
 * `result <json>` and exits; exits at once if its stdin closes (the benchmark went away).
 *
 *   deno run --allow-net bench/soak_load_runner.ts '{"url": …, "requests": 2000, …}'
 */

import { Http1Connection } from "./http1_client.ts";
import { judgeErrorResponse, judgeStream, type Verdict } from "./soak_check.ts";

/** One soak batch. */
export interface SoakJob {
  url: string;
  requests: number;
  concurrency: number;
  /** Strings that must never appear in an answer (the upstream keys). */
  secrets: string[];
  /** Per-request limit; a request past it counts as malformed (the client would hang). */
  requestTimeoutMs: number;
  /**
   * After an error with `Retry-After`, the worker waits that long (capped here) before its next
   * request, as Claude Code does; 0 fires again at once (a storm no real client makes).
   */
  maxRetryAfterMs: number;
  /** Prefix of each request's tag (`<tag>-<n>`, sent as the user text) so the mock can tell them apart. */
  tag: string;
}

/** What the batch saw. */
export interface SoakResult {
  ok: number;
  /** Well-formed errors by kind (`HTTP 429 rate_limit_error model_cooldown`, `event: error …`). */
  errors: Record<string, number>;
  /** The first message seen for each error kind. */
  samples: Record<string, string>;
  malformed: number;
  /** The first few malformed answers, described. */
  malformedSamples: string[];
  /** Answers that contained a key. */
  leaks: number;
  /**
   * Requests answered with an HTTP error (no stream) as `[tag, kind, message]`: the mock says
   * which of them reached it.
   */
  refused: Array<[tag: string, kind: string, message: string]>;
  latencyMs: { p50: number; p99: number; max: number };
  /** Total time workers waited on `Retry-After`. */
  retryAfterWaitMs: number;
  elapsedMs: number;
}

/** The user text that tags a request: the mock finds it in what reaches the upstream. */
export const TAG_PREFIX = "soak ";

const bodyOf = (tag: string) =>
  JSON.stringify({
    model: "claude-opus-5-5",
    max_tokens: 256,
    messages: [{ role: "user", content: `${TAG_PREFIX}${tag}` }],
    stream: true,
  });

/** Sends one request on the worker's kept-alive connection, as Claude Code sends it. */
async function one(
  job: SoakJob,
  connection: Http1Connection,
  tag: string,
): Promise<{ verdict: Verdict; text: string; status?: number; retryAfterMs?: number }> {
  const signal = AbortSignal.timeout(job.requestTimeoutMs);
  try {
    const decoder = new TextDecoder();
    let text = "";
    const res = await connection.post(
      { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      bodyOf(tag),
      (bytes) => (text += decoder.decode(bytes, { stream: true })),
      signal,
    );
    text += decoder.decode();
    if (res.status === 200 && /text\/event-stream/.test(res.headers.get("content-type") ?? "")) {
      return { verdict: judgeStream(text), text };
    }
    if (res.status === 200) return { verdict: { outcome: "malformed", why: "200 not SSE" }, text };
    const retryAfter = Number(res.headers.get("retry-after"));
    return {
      verdict: judgeErrorResponse(res.status, res.headers, text),
      text,
      status: res.status,
      retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : undefined,
    };
  } catch (error) {
    const why = signal.aborted ? `no complete answer in ${job.requestTimeoutMs} ms` : String(error);
    return { verdict: { outcome: "malformed", why }, text: "" };
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Runs the batch with `concurrency` workers pulling from one counter. */
export async function runSoak(job: SoakJob): Promise<SoakResult> {
  const result: SoakResult = {
    ok: 0,
    errors: {},
    samples: {},
    malformed: 0,
    malformedSamples: [],
    leaks: 0,
    refused: [],
    latencyMs: { p50: NaN, p99: NaN, max: NaN },
    retryAfterWaitMs: 0,
    elapsedMs: 0,
  };
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const url = new URL(job.url);
  const worker = async () => {
    const connection = new Http1Connection(url);
    while (next < job.requests) {
      const tag = `${job.tag}-${next++}`;
      const t0 = performance.now();
      const { verdict, text, status, retryAfterMs } = await one(job, connection, tag);
      latencies.push(performance.now() - t0);
      const wait = Math.min(retryAfterMs ?? 0, job.maxRetryAfterMs);
      if (wait > 0 && next < job.requests) {
        result.retryAfterWaitMs += wait;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      if (job.secrets.some((secret) => text.includes(secret))) result.leaks++;
      if (verdict.outcome === "ok") result.ok++;
      else if (verdict.outcome === "error") {
        if (status !== undefined) result.refused.push([tag, verdict.kind, verdict.message]);
        result.errors[verdict.kind] = (result.errors[verdict.kind] ?? 0) + 1;
        result.samples[verdict.kind] ??= verdict.message;
      } else {
        result.malformed++;
        if (result.malformedSamples.length < 5) result.malformedSamples.push(verdict.why);
      }
    }
    connection.close();
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.requests) }, worker));
  result.elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  result.latencyMs = {
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? NaN,
  };
  return result;
}

if (import.meta.main) {
  const job = JSON.parse(Deno.args[0] ?? "") as SoakJob;
  void (async () => {
    for await (const _ of Deno.stdin.readable) { /* keep reading until EOF */ }
    Deno.exit(3);
  })();
  console.log(`result ${JSON.stringify(await runSoak(job))}`);
  Deno.exit(0);
}
