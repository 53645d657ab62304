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
      headers: { "content-type": "application/json" },
    });
  }
  let frames: Uint8Array[];
  try {
    frames = framesFor(protocol, model);
  } catch (error) {
    return Response.json({ error: String(error) }, { status: 400 });
  }
  return new Response(streamOf(frames, parseShape(model).delayMs, request.signal), {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
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
