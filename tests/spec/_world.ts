/**
 * What the external-contract tests share: ccp built from YAML text exactly as `ccp serve` builds
 * it (the real token counter and transports), on 127.0.0.1:0, in front of one recording upstream
 * on 127.0.0.1 that speaks each wire protocol by the path it is asked on.
 *
 * The upstream answers by the upstream model it is asked for: `status-<n>` answers status n with
 * that protocol's error body (`status-<n>-wait-<s>` with `Retry-After: s` too); any other model
 * answers one short text.
 */

import { configFromYaml } from "../../src/config/from_yaml.ts";
import type { EnvMap } from "../../src/config/env/map.ts";
import { createLogger } from "../../src/core/log.ts";
import { createServerApp } from "../../src/server/compose.ts";

export const TOKEN = "tok-spec-0123456789";

/** A request the upstream received. */
export interface Seen {
  readonly path: string;
  readonly search: string;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** The recording upstream. */
export interface Upstream {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const sse = (events: Array<[string, Record<string, unknown>]>) =>
  events.map(([type, data]) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`)
    .join("");

function anthropicAnswer(model: string, stream: boolean): Response {
  const message = {
    id: "msg_spec",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: "ok" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 1 },
  };
  if (!stream) return Response.json(message);
  const text = sse([
    ["message_start", { message: { ...message, content: [], stop_reason: null } }],
    ["content_block_start", { index: 0, content_block: { type: "text", text: "" } }],
    ["content_block_delta", { index: 0, delta: { type: "text_delta", text: "ok" } }],
    ["content_block_stop", { index: 0 }],
    ["message_delta", { delta: { stop_reason: "end_turn" }, usage: { output_tokens: 1 } }],
    ["message_stop", {}],
  ]);
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

function chatAnswer(model: string, stream: boolean): Response {
  const head = { id: "chatcmpl-spec", created: 1, model };
  const usage = { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 };
  if (!stream) {
    return Response.json({
      ...head,
      object: "chat.completion",
      choices: [{
        index: 0,
        message: { role: "assistant", content: "ok" },
        finish_reason: "stop",
      }],
      usage,
    });
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra = {}) =>
    `data: ${
      JSON.stringify({
        ...head,
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...extra,
      })
    }\n\n`;
  const text = chunk({ role: "assistant", content: "ok" }, null) + chunk({}, "stop", { usage }) +
    "data: [DONE]\n\n";
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}

/** Starts the recording upstream. */
export function startUpstream(): Upstream {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const text = await req.text();
    const body = text ? JSON.parse(text) : {};
    seen.push({ path: url.pathname, search: url.search, headers: req.headers, body });
    const model = String(body.model ?? url.pathname.match(/models\/([^:]+)/)?.[1] ?? "");
    const [, status, wait] = /^status-(\d{3})(?:-wait-(\d+))?$/.exec(model) ?? [];
    if (status) {
      const error = url.pathname.endsWith("/chat/completions")
        ? { error: { message: `mock refused with ${status}`, type: "server_error" } }
        : { type: "error", error: { type: "api_error", message: `mock refused with ${status}` } };
      const headers: Record<string, string> = wait ? { "retry-after": wait } : {};
      return Response.json(error, { status: Number(status), headers });
    }
    if (url.pathname.endsWith("/count_tokens")) return Response.json({ input_tokens: 4242 });
    const stream = body.stream === true;
    return url.pathname.endsWith("/chat/completions")
      ? chatAnswer(model, stream)
      : anthropicAnswer(model, stream);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

/** A running ccp and its upstream. */
export interface World {
  readonly url: string;
  readonly upstream: Upstream;
  readonly logs: string[];
  /** POSTs `body` (a short Messages request unless it says otherwise) to `path`. */
  ask(
    body?: Record<string, unknown>,
    options?: { path?: string; headers?: Record<string, string> },
  ): Promise<{ res: Response; json: Record<string, unknown> }>;
}

/**
 * Runs `run` against ccp configured by the YAML `yaml(upstream URL)` returns (read with `env`
 * as its environment), then stops both.
 */
export async function withWorld(
  yaml: (upstream: string) => string,
  run: (world: World) => Promise<void>,
  env: EnvMap = {},
): Promise<void> {
  const upstream = startUpstream();
  const logs: string[] = [];
  try {
    const config = configFromYaml({ file: "ccp.yaml", env, text: yaml(upstream.url) });
    const log = createLogger({ level: "warn", write: (line) => logs.push(line), colour: false });
    const app = createServerApp({ config: () => config, log });
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req, info) => app.fetch(req, info),
    );
    const url = `http://127.0.0.1:${server.addr.port}`;
    const world: World = {
      url,
      upstream,
      logs,
      async ask(body = {}, options = {}) {
        const res = await fetch(`${url}${options.path ?? "/v1/messages"}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-api-key": TOKEN,
            ...options.headers,
          },
          body: JSON.stringify({
            model: "claude-sonnet-4-5",
            max_tokens: 100,
            messages: [{ role: "user", content: "hi" }],
            ...body,
          }),
        });
        const text = await res.text();
        const json = res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : {
          text,
        };
        return { res, json };
      },
    };
    try {
      await run(world);
    } finally {
      await server.shutdown();
    }
  } finally {
    await upstream.close();
  }
}

/** The three `x-ccp-*` headers of an answer, as [route, provider, model]. */
export function routeOf(res: Response): [string | null, string | null, string | null] {
  return [
    res.headers.get("x-ccp-route"),
    res.headers.get("x-ccp-provider"),
    res.headers.get("x-ccp-model"),
  ];
}
