// deno-lint-ignore-file no-console -- the probe reports its measurement on stdout
/**
 * Run by open_stream_memory_test.ts under `--v8-flags=--expose-gc`: opens streams through ccp,
 * bound as `ccp serve` binds it (behind the connection guard), whose requests carry a large
 * history, holds them open upstream, and prints how much JS heap and ArrayBuffer memory each open
 * stream keeps once garbage is collected, one JSON line per route. Arguments: the
 * routes (`anth/m`, `oai/m`, `resp/m`, `gem/m`), measured one after another, each from a baseline
 * of its own taken once its first stream has loaded every module and cache it touches.
 */

import { provider, testConfig } from "../helpers/config.ts";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { responsesSse } from "../mocks/responses_wire.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const models = Deno.args.length > 0 ? Deno.args : ["anth/m"];
const STREAMS = 4;
const encoder = new TextEncoder();

// An upstream that starts each answer at once and finishes it only when told.
let release: () => void = () => {};
let released = Promise.resolve();
const anthropicEvents = [
  `event: message_start\ndata: ${
    JSON.stringify({
      type: "message_start",
      message: openingMessage("msg_1", "m", { input_tokens: 9, output_tokens: 1 }),
    })
  }\n\n`,
  `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`,
  `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}\n\n`,
];
const anthropicEnd = [
  `event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n`,
  `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}\n\n`,
  `event: message_stop\ndata: {"type":"message_stop"}\n\n`,
];
const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  `data: ${
    JSON.stringify({
      id: "c1",
      object: "chat.completion.chunk",
      model: "m",
      choices: [{ index: 0, delta, finish_reason: finish }],
    })
  }\n\n`;
const openaiEvents = [chunk({ role: "assistant", content: "Hi" })];
const openaiEnd = [chunk({}, "stop"), "data: [DONE]\n\n"];
const geminiChunk = (text: string, last: boolean) =>
  `data: ${
    JSON.stringify({
      candidates: [{
        content: { role: "model", parts: [{ text }] },
        index: 0,
        ...(last ? { finishReason: "STOP" } : {}),
      }],
      ...(last
        ? { usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2, totalTokenCount: 11 } }
        : {}),
    })
  }\n\n`;
const geminiEvents = [geminiChunk("Hi", false)];
const geminiEnd = [geminiChunk(" there", true)];
// The Responses API's events, split after the first text delta.
const responses = responsesSse({ items: [{ kind: "text", text: "Hi there" }] }, "m")
  .split("\n\n").filter((e) => e !== "").map((e) => `${e}\n\n`);
const firstDelta = responses.findIndex((e) => e.includes("response.output_text.delta"));
const responsesEvents = responses.slice(0, firstDelta + 1);
const responsesEnd = responses.slice(firstDelta + 1);

const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
  await req.arrayBuffer(); // read and dropped: the upstream keeps nothing of the request
  const path = new URL(req.url).pathname;
  const [first, last] = path.endsWith("/chat/completions")
    ? [openaiEvents, openaiEnd]
    : path.endsWith("/responses")
    ? [responsesEvents, responsesEnd]
    : path.includes(":streamGenerateContent")
    ? [geminiEvents, geminiEnd]
    : [anthropicEvents, anthropicEnd];
  const told = released;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const event of first) controller.enqueue(encoder.encode(event));
      await told;
      for (const event of last) controller.enqueue(encoder.encode(event));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
});
const base = `http://127.0.0.1:${upstream.addr.port}`;
const config = (model: string) =>
  testConfig({
    providers: [
      provider("anth", { baseUrl: base, apiKeys: ["k"], maxRetries: 0 }),
      provider("oai", {
        type: "openai",
        preset: "openai",
        baseUrl: `${base}/v1`,
        apiKeys: ["k"],
        authHeader: "bearer",
        maxRetries: 0,
      }),
      provider("resp", {
        type: "openai_responses",
        baseUrl: `${base}/v1`,
        apiKeys: ["k"],
        authHeader: "bearer",
        maxRetries: 0,
      }),
      provider("gem", {
        type: "gemini",
        baseUrl: `${base}/v1beta`,
        apiKeys: ["k"],
        authHeader: "x-goog-api-key",
        maxRetries: 0,
      }),
    ],
    routes: { default: model },
  });

/** A Claude Code-like request whose history is ~2 MB of distinct text. */
function bigRequest(model: string, seed: number): Uint8Array<ArrayBuffer> {
  const messages = [];
  for (let i = 0; i < 200; i++) {
    const text = `${seed}:${i} ` + "history ".repeat(1250);
    messages.push({ role: i % 2 ? "assistant" : "user", content: [{ type: "text", text }] });
  }
  messages.push({ role: "user", content: "go on" });
  return encoder.encode(JSON.stringify({ model, max_tokens: 100, stream: true, messages }));
}

// ArrayBuffers' memory is freed behind the collection, on another thread: a pause lets that end,
// so a buffer already let go is not counted as held.
const afterGc = async () => {
  for (let i = 0; i < 4; i++) gc();
  await new Promise((resume) => setTimeout(resume, 50));
  gc();
  return Deno.memoryUsage();
};

/** Opens one stream and reads until its first text arrives; the reader stays open. */
async function open(
  url: string,
  model: string,
  seed: number,
  client: Deno.HttpClient,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await fetch(`${url}/v1/messages`, {
    client,
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: bigRequest(model, seed),
  });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  const reader = response.body!.getReader();
  let text = "";
  while (!text.includes("text_delta")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the stream ended early");
    text += new TextDecoder().decode(value);
  }
  return reader;
}

for (const model of models) {
  released = new Promise<void>((resolve) => (release = resolve));
  const ccp = await startGuardedCcp(config(model));
  // Closed before ccp is, so the guard's connections do not wait out their idle limit.
  const client = Deno.createHttpClient({});
  // One stream opened first, so every module and cache a stream touches is in place.
  const warm = await open(ccp.url, model, -1, client);
  const before = await afterGc();
  const readers = [];
  for (let s = 0; s < STREAMS; s++) readers.push(await open(ccp.url, model, s, client));
  const during = await afterGc();
  release();
  for (const reader of [warm, ...readers]) while (!(await reader.read()).done);
  console.log(JSON.stringify({
    route: model,
    bodyBytes: bigRequest(model, 0).byteLength,
    perStreamBytes: Math.round((during.heapUsed - before.heapUsed) / STREAMS),
    perStreamExternal: Math.round((during.external - before.external) / STREAMS),
  }));
  client.close();
  await ccp.close();
}
await upstream.shutdown();
// Deadlines ccp armed (timeouts of up to 30 s) would keep the process alive until they pass;
// `ccp serve` exits the same way.
Deno.exit(0);
