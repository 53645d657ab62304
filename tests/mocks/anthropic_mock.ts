/** An in-process mock of an Anthropic-compatible upstream on 127.0.0.1, scripted per test. */

import { encodeEvents, type SseEvent } from "./anthropic_fixtures.ts";

/** What the mock does with the next request. */
export type MockReply =
  | { kind: "stream"; events: SseEvent[]; delayMs?: number; splitEvery?: number; cutAfter?: number }
  | { kind: "json"; body: unknown; status?: number; headers?: Record<string, string> }
  | { kind: "hang" };

/** A request the mock received. */
export interface RecordedRequest {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: Record<string, unknown> | undefined;
  /** The body as it arrived, before parsing. */
  text: string;
  /** The body's bytes as they arrived, before decoding. */
  bytes: Uint8Array;
  /** Set (ms timestamp) when the request's signal aborted, i.e. ccp hung up. */
  abortedAt?: number;
}

/** A running mock. */
export interface AnthropicMock {
  url: string;
  requests: RecordedRequest[];
  /** Replies used in order; the last one repeats. */
  replies: MockReply[];
  close(): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts the mock on an ephemeral port. */
export function startAnthropicMock(replies: MockReply[] = []): AnthropicMock {
  const requests: RecordedRequest[] = [];
  const mock: AnthropicMock = { url: "", requests, replies, close: async () => {} };
  let served = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const bytes = await req.bytes();
    const text = decoder.decode(bytes);
    const record: RecordedRequest = {
      method: req.method,
      path: url.pathname,
      search: url.search,
      headers: req.headers,
      body: text ? JSON.parse(text) : undefined,
      text,
      bytes,
    };
    requests.push(record);
    req.signal.addEventListener("abort", () => (record.abortedAt = Date.now()));
    const reply = mock.replies[Math.min(served++, mock.replies.length - 1)] ?? { kind: "hang" };
    return respond(reply, req.signal);
  });
  mock.url = `http://127.0.0.1:${server.addr.port}`;
  mock.close = async () => {
    await server.shutdown();
  };
  return mock;
}

function respond(reply: MockReply, signal: AbortSignal): Response | Promise<Response> {
  switch (reply.kind) {
    case "json":
      return Response.json(reply.body, { status: reply.status ?? 200, headers: reply.headers });
    case "hang":
      // Bounded, so a test that fails cannot hang the suite.
      return new Promise<Response>((resolve) => {
        const done = () => resolve(new Response(null, { status: 499 }));
        const timer = setTimeout(done, 5000);
        signal.addEventListener("abort", () => (clearTimeout(timer), done()));
      });
    case "stream":
      return new Response(streamBody(reply, signal), {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
        },
      });
  }
}

function streamBody(
  reply: Extract<MockReply, { kind: "stream" }>,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const events = reply.cutAfter === undefined
    ? reply.events
    : reply.events.slice(0, reply.cutAfter);
  const pieces: string[] = [];
  for (const text of events.map((e) => encodeEvents([e]))) {
    if (!reply.splitEvery) pieces.push(text);
    else {for (let i = 0; i < text.length; i += reply.splitEvery) {
        pieces.push(text.slice(i, i + reply.splitEvery));
      }}
  }
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (signal.aborted) return controller.close();
      if (i >= pieces.length) {
        if (reply.cutAfter !== undefined) controller.error(new Error("connection reset by mock"));
        else controller.close();
        return;
      }
      if (reply.delayMs && i > 0) await new Promise((r) => setTimeout(r, reply.delayMs));
      controller.enqueue(encoder.encode(pieces[i++]!));
    },
  });
}
