// deno-lint-ignore-file no-console -- the load generator reports JSON lines on stdout
/**
 * The load generator, in its own process so it never shares an event loop with ccp or the mock.
 * Runs one LoadJob (JSON in argv[0]), prints `open` (if asked) and `result <json>`, exits.
 *
 *   deno run --allow-net bench/load_runner.ts '{"url": …}'
 *   deno run --allow-net --allow-read bench/load_runner.ts @job.json   (bodies past argv's 128 KiB)
 */

import { Http1Connection } from "./http1_client.ts";
import { LOAD_LINES, type LoadJob, type LoadResult } from "./load_types.ts";

interface Stream {
  ttfb: number;
  ttft: number;
  gaps: number[];
  reads: number;
  tokenReads: number;
  bytes: number;
}

/** A text delta's token; "tokens" (as in output_tokens) never matches. */
const TOKEN = /token\d/;

/** Sends one request on `connection` and reads its body to the end, timing every read. */
async function one(
  job: LoadJob,
  connection: Http1Connection,
  index: number,
  signal: AbortSignal,
  onFirstByte: () => void,
): Promise<Stream> {
  const started = performance.now();
  const decoder = new TextDecoder();
  // Too short to hold a whole marker or token, so a match always ends in the new read.
  const keep = Math.max(job.marker.length - 1, 5);
  const stream: Stream = { ttfb: NaN, ttft: NaN, gaps: [], reads: 0, tokenReads: 0, bytes: 0 };
  let tail = "";
  let lastToken = NaN;
  // The answer's first bytes, for the message of a failed request.
  let opening = "";
  const openingDecoder = new TextDecoder();
  const onChunk = (chunk: Uint8Array) => {
    const now = performance.now();
    if (stream.reads === 0) {
      stream.ttfb = now - started;
      onFirstByte();
    }
    stream.reads++;
    stream.bytes += chunk.length;
    if (opening.length < 300) opening += openingDecoder.decode(chunk, { stream: true });
    if (!job.gaps && !Number.isNaN(stream.ttft)) return;
    // A marker or token may straddle two reads: search the carried-over tail too.
    const text = tail + decoder.decode(chunk, { stream: true });
    tail = text.slice(-keep);
    if (Number.isNaN(stream.ttft) && text.includes(job.marker)) stream.ttft = now - started;
    if (job.gaps && TOKEN.test(text)) {
      if (!Number.isNaN(lastToken)) stream.gaps.push(now - lastToken);
      lastToken = now;
      stream.tokenReads++;
    }
  };
  const body = job.bodies ? job.bodies[index % job.bodies.length]! : job.body;
  const { status } = await connection.post(job.headers, body, onChunk, signal);
  if (status < 200 || status > 299) throw new Error(`HTTP ${status}: ${opening.slice(0, 300)}`);
  if (Number.isNaN(stream.ttft)) throw new Error(`the stream ended without "${job.marker}"`);
  return stream;
}

/** Runs the job with `concurrency` workers pulling from one request counter. */
export async function runJob(job: LoadJob): Promise<LoadResult> {
  const result: LoadResult = {
    ok: 0,
    failed: 0,
    errors: [],
    ttfbMs: [],
    ttftMs: [],
    gapsMs: [],
    reads: [],
    tokenReads: [],
    bytes: 0,
    elapsedMs: 0,
  };
  const signal = AbortSignal.timeout(job.timeoutMs);
  let next = 0;
  let firstBytes = 0;
  const onFirstByte = () => {
    if (++firstBytes === job.requests && job.announceOpen) {
      console.log(LOAD_LINES.open);
    }
  };
  const started = performance.now();
  const url = new URL(job.url);
  const worker = async () => {
    // One kept-alive connection per worker, as Claude Code keeps its connections.
    const connection = new Http1Connection(url);
    while (next < job.requests && !signal.aborted) {
      const index = next++;
      try {
        const s = await one(job, connection, index, signal, onFirstByte);
        result.ok++;
        result.ttfbMs.push(s.ttfb);
        result.ttftMs.push(s.ttft);
        result.reads.push(s.reads);
        if (job.gaps) result.tokenReads.push(s.tokenReads);
        result.bytes += s.bytes;
        for (const gap of s.gaps) result.gapsMs.push(gap);
      } catch (error) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push(String(error));
      }
    }
    connection.close();
  };
  await Promise.all(Array.from({ length: Math.min(job.concurrency, job.requests) }, worker));
  result.elapsedMs = performance.now() - started;
  return result;
}

if (import.meta.main) {
  const arg = Deno.args[0] ?? "";
  const job = JSON.parse(
    arg.startsWith("@") ? await Deno.readTextFile(arg.slice(1)) : arg,
  ) as LoadJob;
  // EOF on stdin means the benchmark went away: stop at once.
  void (async () => {
    for await (const _ of Deno.stdin.readable) { /* keep reading until EOF */ }
    Deno.exit(3);
  })();
  console.log(`${LOAD_LINES.result}${JSON.stringify(await runJob(job))}`);
  Deno.exit(0);
}
