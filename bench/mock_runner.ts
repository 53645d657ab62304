// deno-lint-ignore-file no-console -- a runner reports "ready <port>" on stdout
/**
 * The mock upstream, in its own process: Anthropic Messages SSE on `…/v1/messages` and OpenAI
 * Chat Completions SSE on `…/chat/completions`, shaped by the request's model (`f200-d20`);
 * a request without `stream: true` gets the same text as one JSON answer.
 *
 *   deno run --allow-net bench/mock_runner.ts --port 0      → prints "ready <port>"
 */

import { flag, serveControl } from "./control.ts";
import { anthropicFrames, jsonAnswer, openAIFrames, parseShape } from "./upstream_frames.ts";

const cache = new Map<string, Uint8Array[]>();

function framesFor(protocol: "anthropic" | "openai", model: string): Uint8Array[] {
  const key = `${protocol}:${model}`;
  let frames = cache.get(key);
  if (!frames) {
    const { frames: n } = parseShape(model);
    frames = protocol === "anthropic" ? anthropicFrames(model, n) : openAIFrames(model, n);
    cache.set(key, frames);
  }
  return frames;
}

/**
 * The headers a hosted upstream sends besides the content type, so a proxy's per-header costs
 * show: an Anthropic answer carries its request id, organisation, twelve rate-limit headers and
 * its CDN's; an OpenAI one its request id, processing time and six rate-limit headers.
 */
const UPSTREAM_HEADERS: Record<"anthropic" | "openai", Record<string, string>> = {
  anthropic: {
    "request-id": "req_011CSLsW7mFqvHHnzrKdKjAE",
    "anthropic-organization-id": "36562039-1ae4-48e6-ae28-1e517e3d2d12",
    ...Object.fromEntries(
      ["requests", "tokens", "input-tokens", "output-tokens"].flatMap((kind) => [
        [`anthropic-ratelimit-${kind}-limit`, "80000"],
        [`anthropic-ratelimit-${kind}-remaining`, "79000"],
        [`anthropic-ratelimit-${kind}-reset`, "2026-12-05T12:40:59Z"],
      ]),
    ),
    "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
    "x-envoy-upstream-service-time": "690",
    via: "1.1 google",
    "cf-cache-status": "DYNAMIC",
    "x-robots-tag": "none",
    server: "cloudflare",
    "cf-ray": "972a33bb3977d246-FRA",
  },
  openai: {
    "x-request-id": "req_6b7c1f0e2d3a4b5c8d9e0f1a2b3c4d5e",
    "openai-organization": "user-abc123",
    "openai-processing-ms": "412",
    "openai-version": "2020-10-01",
    ...Object.fromEntries(
      ["requests", "tokens"].flatMap((kind) => [
        [`x-ratelimit-limit-${kind}`, "10000"],
        [`x-ratelimit-remaining-${kind}`, "9999"],
        [`x-ratelimit-reset-${kind}`, "6ms"],
      ]),
    ),
    "strict-transport-security": "max-age=31536000; includeSubDomains; preload",
    "cf-cache-status": "DYNAMIC",
    server: "cloudflare",
    "cf-ray": "972a33bb3977d246-FRA",
  },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One frame per pull, `delayMs` apart; stops early when the client hangs up. */
function streamOf(frames: Uint8Array[], delayMs: number, signal: AbortSignal) {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i > 0 && delayMs > 0) await sleep(delayMs);
      if (signal.aborted || i >= frames.length) return controller.close();
      controller.enqueue(frames[i++]!);
    },
  }, { highWaterMark: 0 });
}

async function handle(request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  const protocol = path.endsWith("/v1/messages")
    ? "anthropic"
    : path.endsWith("/chat/completions")
    ? "openai"
    : undefined;
  if (request.method !== "POST" || !protocol) return new Response("not found", { status: 404 });
  const body = await request.json() as { model?: unknown; stream?: unknown };
  const model = String(body.model);
  if (body.stream !== true) {
    let shape;
    try {
      shape = parseShape(model);
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 400 });
    }
    return new Response(jsonAnswer(protocol, model, shape.frames), {
      headers: { "content-type": "application/json", ...UPSTREAM_HEADERS[protocol] },
    });
  }
  let frames: Uint8Array[];
  try {
    frames = framesFor(protocol, model);
  } catch (error) {
    return Response.json({ error: String(error) }, { status: 400 });
  }
  return new Response(streamOf(frames, parseShape(model).delayMs, request.signal), {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      ...UPSTREAM_HEADERS[protocol],
    },
  });
}

if (import.meta.main) {
  const port = Number(flag(Deno.args, "port", "0"));
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => console.log(`ready ${port}`),
  }, handle);
  void serveControl(() => void server.shutdown().finally(() => Deno.exit(0)));
}
