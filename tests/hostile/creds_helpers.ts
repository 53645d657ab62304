/** Shared pieces of the credential and input hostile tests: a scripted upstream, providers, SSE. */

import type { ProviderConfig } from "../../src/config/types.ts";
import { provider } from "../helpers/config.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

/** One request an upstream received. */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

/** A mock upstream on 127.0.0.1:0 that answers with `answer` and records what it saw. */
export interface Upstream {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

/** Starts an upstream whose every answer comes from `answer`. */
export function startUpstream(answer: (seen: Seen) => Response | Promise<Response>): Upstream {
  const seen: Seen[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      const entry = {
        method: request.method,
        path: url.pathname + url.search,
        headers: request.headers,
        body: await request.text(),
      };
      seen.push(entry);
      return answer(entry);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** An SSE answer made of the given frames (each already ending in a blank line). */
export function sse(frames: readonly string[]): Response {
  return new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });
}

/** `event: <name>\ndata: <json>\n\n`. */
export function frame(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The start of an Anthropic stream: message_start and an open text block with one delta. */
export function anthropicHead(): string[] {
  return [
    frame("message_start", {
      type: "message_start",
      message: openingMessage("msg_1", "up", { input_tokens: 3, output_tokens: 1 }),
    }),
    frame("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
    frame("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "hi" },
    }),
  ];
}

/** The end of an Anthropic stream that {@link anthropicHead} began. */
export function anthropicTail(): string[] {
  return [
    frame("content_block_stop", { type: "content_block_stop", index: 0 }),
    frame("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 2 },
    }),
    frame("message_stop", { type: "message_stop" }),
  ];
}

/** A provider of each wire protocol pointing at `baseUrl` with one key. */
export function providerOf(
  kind: "anthropic" | "openai" | "gemini",
  baseUrl: string,
  key: string,
  over: Partial<ProviderConfig> = {},
): ProviderConfig {
  const auth = { anthropic: "x-api-key", openai: "bearer", gemini: "x-goog-api-key" } as const;
  return provider("up", { type: kind, baseUrl, apiKeys: [key], authHeader: auth[kind], ...over });
}

/** A minimal valid Messages body. */
export function messageBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 64,
    messages: [{ role: "user", content: "hello" }],
    ...over,
  };
}

/** {@link messageBody} as JSON. */
export function messages(over: Record<string, unknown> = {}): string {
  return JSON.stringify(messageBody(over));
}

/** The `event:` names of an SSE text, in order. */
export function eventNames(text: string): string[] {
  return [...text.matchAll(/^event: ?(.*)$/gm)].map((m) => m[1]!.trim());
}
