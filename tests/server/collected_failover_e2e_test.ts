/**
 * A stream that breaks mid-way while ccp collects it for a JSON client (`stream: false`) has sent
 * that client nothing: the same request moves on as after a failure before the first byte (a
 * retry, the next key, the next target), and the log line names the try that failed. A streaming
 * client already has bytes, so it gets the error and its request ends there.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { AppDeps } from "../../src/server/deps.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import {
  blockEvents,
  closingEvents,
  encodeEvents,
  openingMessage,
  type SseEvent,
  sseEvent,
  textDeltas,
} from "../mocks/anthropic_fixtures.ts";

const SSE = { "content-type": "text/event-stream" };
const encoder = new TextEncoder();

const opening = (model: string): SseEvent[] => [
  sseEvent("message_start", {
    message: openingMessage("msg_1", model, { input_tokens: 9, output_tokens: 1 }),
  }),
  sseEvent("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  sseEvent("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Half" } }),
];

const whole = (model: string, text: string): SseEvent[] => [
  opening(model)[0]!,
  ...blockEvents(0, { type: "text", text: "" }, textDeltas([text])),
  ...closingEvents("end_turn", 3),
];

type Break = "overloaded" | "api_error" | "cut";

/**
 * Path `/p`: each key's first answer breaks (an error event of `kind`, or a connection cut after
 * some text), later ones are whole; path `/other` always answers whole.
 */
function upstream(kind: Break, seen: string[]) {
  const broken = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    const who = new URL(req.url).pathname.split("/")[1]!;
    const key = req.headers.get("x-api-key") ?? "";
    seen.push(`${who} ${key.slice(-4)}`);
    if (who === "other" || broken.has(key)) {
      return new Response(encodeEvents(whole("m", `from ${who}`)), { headers: SSE });
    }
    broken.add(key);
    const start = encoder.encode(encodeEvents(opening("m")));
    if (kind === "cut") {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(start);
          setTimeout(() => controller.error(new Error("connection reset")), 20);
        },
      });
      return new Response(body, { headers: SSE });
    }
    const error = kind === "overloaded"
      ? { type: "overloaded_error", message: "Overloaded" }
      : { type: "api_error", message: "Internal server error" };
    const text = encodeEvents([...opening("m"), sseEvent("error", { error })]);
    return new Response(text, { headers: SSE });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function ccpFor(url: string, keys: string, over: Partial<AppDeps> = {}) {
  return startCcp(
    configFromYaml({
      text: `
providers:
  p: { type: anthropic, base_url: "${url}/p", api_keys: [${keys}] }
  other: { type: anthropic, base_url: "${url}/other", api_key: sk-other-0000 }
routes:
  default: [p/m, other/m]
`,
      file: "config.yaml",
      path: "/abs/config.yaml",
      env: {},
    }),
    over,
  );
}

const ask = (stream: boolean) => ({
  model: "claude-sonnet-4-6",
  max_tokens: 16,
  stream,
  messages: [{ role: "user", content: "hi" }],
});

for (const kind of ["overloaded", "api_error", "cut"] as const) {
  Deno.test(`collected answer: a stream broken by ${kind} mid-way is served by another try of the same request`, async () => {
    const seen: string[] = [];
    const mock = upstream(kind, seen);
    const ccp = ccpFor(mock.url, "sk-p-test-0001");
    try {
      const res = await postMessages(ccp.url, ask(false));
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.type, "message");
      assert.match(body.content[0].text, /^from (p|other)$/);
      assert.equal(seen.length, 2, seen.join(", "));
      assert.equal(seen[0], "p 0001");
      assert.ok(
        ccp.logs.some((l) => / 200 .*attempts=2 \(failed: p\/m [0-9a-z ]+\)/.test(l)),
        ccp.logs.join("\n"),
      );
      // The client's record is the answer that served it: its text, no error.
      assert.ok(!ccp.logs.some((l) => /POST \/v1\/messages .* 502/.test(l)), ccp.logs.join("\n"));
    } finally {
      await ccp.close();
      await mock.close();
    }
  });

  Deno.test(`streamed answer: a stream broken by ${kind} mid-way ends with the error, no other try`, async () => {
    const seen: string[] = [];
    const mock = upstream(kind, seen);
    const ccp = ccpFor(mock.url, "sk-p-test-0001");
    try {
      const res = await postMessages(ccp.url, ask(true));
      const events = parseSse(await res.text());
      assert.equal(events.at(-1)?.event, "error");
      assert.ok(events.some((e) => e.event === "content_block_delta"), "the text sent is kept");
      assert.deepEqual(seen, ["p 0001"]);
    } finally {
      await ccp.close();
      await mock.close();
    }
  });
}

Deno.test("collected answer: a rate limit mid-way moves to the target's next key, cooling the first once", async () => {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    const key = req.headers.get("x-api-key") ?? "";
    seen.push(key.slice(-4));
    if (key.endsWith("0001")) {
      const error = {
        type: "rate_limit_error",
        message: "Rate limited, please try again after 25 seconds",
      };
      const text = encodeEvents([...opening("m"), sseEvent("error", { error })]);
      return new Response(text, { headers: SSE });
    }
    return new Response(encodeEvents(whole("m", "second key")), { headers: SSE });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  const ccp = ccpFor(url, "sk-p-test-key-0001, sk-p-test-key-0002");
  try {
    const res = await postMessages(ccp.url, ask(false));
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.content[0].text, "second key");
    assert.deepEqual(seen, ["0001", "0002"]);
    const cooled = ccp.logs.filter((l) => /key 1 \(…0001\).*cools down for 2[45]s/.test(l));
    assert.equal(cooled.length, 1, ccp.logs.join("\n"));
    // The next request goes to the second key at once.
    const again = await postMessages(ccp.url, ask(false));
    await again.body?.cancel();
    assert.deepEqual(seen, ["0001", "0002", "0002"]);
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

Deno.test("collected answer: a client that leaves while ccp collects cancels the upstream, tried no more", async () => {
  const seen: string[] = [];
  let cancelled!: () => void;
  const upstreamCancelled = new Promise<void>((resolve) => (cancelled = resolve));
  let sentSome!: () => void;
  const started = new Promise<void>((resolve) => (sentSome = resolve));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    seen.push(new URL(req.url).pathname);
    // Text, then nothing more until the reader goes.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(encodeEvents(opening("m"))));
        sentSome();
      },
      cancel: () => cancelled(),
    });
    return new Response(body, { headers: SSE });
  });
  const records: RequestRecord[] = [];
  const ccp = ccpFor(`http://127.0.0.1:${server.addr.port}`, "sk-p-test-0001", {
    observers: [{ started: () => {}, ended: (r) => records.push(r) }],
  });
  const client = new AbortController();
  try {
    const res = fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask(false)),
      signal: client.signal,
    }).catch(() => undefined);
    await started;
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.abort();
    await res;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error("the upstream was not cancelled")), 2000);
    });
    await Promise.race([upstreamCancelled, late]).finally(() => clearTimeout(timer));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(seen, ["/p/v1/messages"], "no other try after the client left");
    // The request's line says the client left, not that a try of it failed.
    const line = ccp.logs.find((l) => /POST \/v1\/messages/.test(l)) ?? "";
    assert.match(line, / 499 .*\(client disconnected\)/, ccp.logs.join("\n"));
    assert.doesNotMatch(line, /failed: /, ccp.logs.join("\n"));
    // So does its try, in /ui/state and traces: not the read the leaving broke.
    assert.deepEqual(
      records.flatMap((r) => r.attempts).map((a) => [a.provider, a.outcome, a.reason]),
      [["p", "failed", "client disconnected"]],
    );
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

Deno.test("collected answer: the broken try's upstream is let go even when it keeps its connection open", async () => {
  let cancelled = 0;
  let broken = 0;
  // Closed at the end, so that a leak fails the test rather than hang its server's shutdown.
  const held: ReadableStreamDefaultController<Uint8Array>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.text();
    if (new URL(req.url).pathname.startsWith("/other")) {
      return new Response(encodeEvents(whole("m", "from other")), { headers: SSE });
    }
    broken++;
    const error = { type: "overloaded_error", message: "Overloaded" };
    const text = encodeEvents([...opening("m"), sseEvent("error", { error })]);
    // The error event, then the connection held open.
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        controller.enqueue(encoder.encode(text));
        held.push(controller);
      },
      cancel: () => void cancelled++,
    });
    return new Response(body, { headers: SSE });
  });
  const ccp = ccpFor(`http://127.0.0.1:${server.addr.port}`, "sk-p-test-0001");
  try {
    const res = await postMessages(ccp.url, ask(false));
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.content[0].text, "from other");
    for (let i = 0; i < 100 && cancelled < broken; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Every broken try was let go.
    assert.ok(broken >= 1);
    assert.equal(cancelled, broken);
  } finally {
    for (const controller of held) {
      try {
        controller.close();
      } catch { /* let go already */ }
    }
    await ccp.close();
    await server.shutdown();
  }
});
