/**
 * Mock upstreams that answer like the Anthropic-compatible endpoints of the local servers ccp has
 * presets for (Ollama, llama.cpp's llama-server, vLLM, LM Studio). One mock, one dialect table
 * (local_dialects.ts): each server's habits are data, read from the servers' own answer-writing
 * code (LM Studio, closed source, from its documentation; where that says nothing it is written as
 * Anthropic answers). The differences that matter are the ones a relay could trip over: fields
 * left out, blocks closed late, odd signatures, errors in other shapes.
 */

import { type Dialect, DIALECTS } from "./local_dialects.ts";

export { type Dialect, DIALECTS };

/** One tool call of a scripted turn: its name and its arguments as generated, in pieces. */
export interface ToolCall {
  readonly name: string;
  /** JSON text pieces; none for a call without arguments. */
  readonly args: readonly string[];
}

/** What the model "generates" for one request. */
export interface Turn {
  readonly thinking?: readonly string[];
  readonly text?: readonly string[];
  readonly tools?: readonly ToolCall[];
  /** The first token generated is part of a character (an emoji split in two tokens, say). */
  readonly firstTokenSplit?: boolean;
  /** The output limit was hit. */
  readonly cut?: boolean;
  readonly inputTokens: number;
  readonly cachedTokens?: number;
  readonly outputTokens: number;
}

/** What the mock does with the next request. */
export type Script =
  | { readonly kind: "turn"; readonly turn: Turn }
  /** Streams the turn's blocks, then fails with `message` (how depends on the dialect). */
  | { readonly kind: "fail_mid_stream"; readonly turn: Turn; readonly message: string }
  /** Refuses the request: HTTP `status` with `message`. */
  | { readonly kind: "refuse"; readonly status: number; readonly message: string };

/** A running mock server. */
export interface LocalServer {
  url: string;
  readonly dialect: Dialect;
  /** Scripts used in order; the last one repeats. */
  scripts: Script[];
  /** Paths of the requests received. */
  readonly paths: string[];
  /** Bodies of the Messages requests received, in order (count_tokens' left out). */
  readonly bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

/** How the server runs its model. */
export interface ServerOptions {
  /**
   * False: the model was loaded without its vision part (llama-server without `--mmproj`), and a
   * request carrying an image is refused as the server refuses it, using no script.
   */
  readonly vision?: boolean;
  /**
   * The server numbers its tool calls within each answer (a gateway or an older build writing
   * `toolu_0001`, `call_0` in every turn) instead of giving each call an id of its own: the
   * `n`-th call of every answer (from 1) gets this id.
   */
  readonly idsPerAnswer?: (n: number) => string;
  /**
   * Ollama's own API beside its Anthropic endpoint: the models pulled, and the context each runs
   * with once loaded. `/api/ps` lists the loaded ones, `/api/show` a pulled one's most context,
   * `/api/generate` with no prompt loads one (at `context`), and a model never pulled is refused
   * everywhere with Ollama's 404 `model '<name>' not found` (Anthropic-shaped on `/v1/messages`).
   */
  readonly ollama?: OllamaModels;
}

/** What a mock Ollama has pulled and loaded. */
export interface OllamaModels {
  readonly pulled: string[];
  /** The context a model is loaded with (`OLLAMA_CONTEXT_LENGTH`). */
  readonly context: number;
  /** Loaded models (full names, `qwen3-coder:latest`); `/api/generate` adds to it. */
  readonly loaded: string[];
}

// Ollama names a model without a tag as its `:latest`.
const tagged = (name: string) => name.includes(":") ? name : `${name}:latest`;

/** Ollama's `/api/*` answers, or undefined for a path it does not know. */
function ollamaApi(
  ollama: OllamaModels,
  path: string,
  body: Record<string, unknown>,
): Response | undefined {
  const name = tagged(String(body.model ?? body.name ?? ""));
  const missing = () =>
    Response.json({ error: `model '${String(body.model ?? body.name)}' not found` }, {
      status: 404,
    });
  const pulled = ollama.pulled.map(tagged).includes(name);
  if (path === "/api/ps") {
    return Response.json({
      models: ollama.loaded.map((model) => ({
        name: model,
        model,
        size: 1,
        digest: "d",
        expires_at: "2026-12-06T23:00:00Z",
        size_vram: 1,
        context_length: ollama.context,
      })),
    });
  }
  if (path === "/api/show") {
    if (!pulled) return missing();
    return Response.json({
      modelfile: "FROM x",
      parameters: "",
      details: { family: "qwen3moe", format: "gguf" },
      model_info: { "general.architecture": "qwen3moe", "qwen3moe.context_length": 262144 },
      capabilities: ["completion", "tools"],
    });
  }
  if (path === "/api/generate") {
    if (!pulled) return missing();
    if (!ollama.loaded.includes(name)) ollama.loaded.push(name);
    return Response.json({ model: name, response: "", done: true, done_reason: "load" });
  }
  return undefined;
}

// Whether the JSON of a request holds an image block anywhere (a prompt's or a tool result's).
function holdsImage(body: Record<string, unknown>): boolean {
  return /"type":"image"/.test(JSON.stringify(body.messages ?? []));
}

interface Sse {
  event: string;
  data: Record<string, unknown>;
}

type IdOf = (n: number) => string;

type Block =
  | { kind: "thinking"; pieces: readonly string[] }
  | { kind: "text"; pieces: readonly string[] }
  | { kind: "tool"; call: ToolCall; id: string };

// `callsBefore`: the calls the server answered before this turn, each of which had an id of its
// own, as the servers make one afresh for every call (llama.cpp and vLLM random, Ollama by count).
function blocksOf(turn: Turn, dialect: Dialect, callsBefore = 0, perAnswer?: IdOf): Block[] {
  const blocks: Block[] = [];
  if (turn.thinking?.length) blocks.push({ kind: "thinking", pieces: turn.thinking });
  if (turn.text?.length) blocks.push({ kind: "text", pieces: turn.text });
  (turn.tools ?? []).forEach((call, i) =>
    blocks.push({
      kind: "tool",
      call,
      id: perAnswer ? perAnswer(i + 1) : dialect.toolId(callsBefore + i + 1),
    })
  );
  return blocks;
}

function stopReason(turn: Turn): string {
  if (turn.cut) return "max_tokens";
  return turn.tools?.length ? "tool_use" : "end_turn";
}

/** The events one block opens with and carries; its stop is written separately. */
function blockEvents(block: Block, index: number, dialect: Dialect): Sse[] {
  const ev = (event: string, data: Record<string, unknown>): Sse => ({
    event,
    data: { type: event, index, ...data },
  });
  switch (block.kind) {
    case "thinking":
      return [
        ev("content_block_start", { content_block: { ...dialect.thinkingStart } }),
        ...block.pieces.map((thinking) =>
          ev("content_block_delta", { delta: { type: "thinking_delta", thinking } })
        ),
      ];
    case "text":
      return [
        ev("content_block_start", { content_block: { type: "text", text: "" } }),
        ...block.pieces.map((text) =>
          ev("content_block_delta", { delta: { type: "text_delta", text } })
        ),
      ];
    case "tool": {
      const start: Record<string, unknown> = {
        type: "tool_use",
        id: block.id,
        name: block.call.name,
      };
      if (dialect.toolStartInput) start.input = {};
      const args = block.call.args;
      const pieces = dialect.argsWhole ? [args.join("") || "{}"] : args;
      return [
        ev("content_block_start", { content_block: start }),
        ...pieces.map((partial_json) =>
          ev("content_block_delta", { delta: { type: "input_json_delta", partial_json } })
        ),
      ];
    }
  }
}

function blockStop(block: Block, index: number, dialect: Dialect): Sse[] {
  const out: Sse[] = [];
  if (block.kind === "thinking" && dialect.signature !== "none") {
    const signature = dialect.signature === "empty" ? "" : "5b0c1f0e9d8c4a7b8e6f5d4c3b2a1908";
    out.push({
      event: "content_block_delta",
      data: { type: "content_block_delta", index, delta: { type: "signature_delta", signature } },
    });
  }
  out.push({ event: "content_block_stop", data: { type: "content_block_stop", index } });
  return out;
}

function messageStart(turn: Turn, dialect: Dialect, model: string): Sse {
  const usage: Record<string, number> = dialect.startCacheRead
    ? {
      cache_read_input_tokens: turn.cachedTokens ?? 0,
      input_tokens: turn.inputTokens - (turn.cachedTokens ?? 0),
      output_tokens: 0,
    }
    : { input_tokens: turn.inputTokens, output_tokens: 0 };
  const message: Record<string, unknown> = {
    id: dialect.messageId,
    type: "message",
    role: "assistant",
    content: [],
    model,
    stop_reason: null,
    stop_sequence: null,
    usage,
  };
  for (const field of dialect.startOmits) delete message[field];
  return { event: "message_start", data: { type: "message_start", message } };
}

/** The whole stream for a turn, as the dialect writes it; `failWith` replaces its end. */
function streamEvents(
  turn: Turn,
  dialect: Dialect,
  model: string,
  failWith?: string,
  callsBefore = 0,
  perAnswer?: IdOf,
): Sse[] {
  const events: Sse[] = turn.firstTokenSplit && dialect.startWithFirstToken
    ? []
    : [messageStart(turn, dialect, model)];
  if (dialect.ping) events.push({ event: "ping", data: { type: "ping" } });
  const blocks = blocksOf(turn, dialect, callsBefore, perAnswer);
  blocks.forEach((block, i) => {
    events.push(...blockEvents(block, i, dialect));
    if (dialect.closing === "each" && !failWith) events.push(...blockStop(block, i, dialect));
  });
  if (failWith) {
    if (dialect.midStreamError === "anthropic") {
      events.push({
        event: "error",
        data: { type: "error", error: { type: "internal_error", message: failWith } },
      });
    } else if (dialect.midStreamError === "openai_object") {
      events.push({ event: "error", data: { code: 500, message: failWith, type: "server_error" } });
    }
    return events;
  }
  if (dialect.closing === "at_end") {
    blocks.forEach((block, i) => events.push(...blockStop(block, i, dialect)));
  }
  const usage: Record<string, number> = {};
  for (const field of dialect.deltaUsage) {
    usage[field] = field === "input_tokens" ? turn.inputTokens : turn.outputTokens;
  }
  const delta: Record<string, unknown> = { stop_reason: stopReason(turn) };
  if (dialect.deltaStopSequence) delta.stop_sequence = null;
  events.push(
    { event: "message_delta", data: { type: "message_delta", delta, usage } },
    { event: "message_stop", data: { type: "message_stop" } },
  );
  return events;
}

/** The non-streaming answer for a turn, as the dialect writes it. */
function jsonMessage(
  turn: Turn,
  dialect: Dialect,
  model: string,
  callsBefore = 0,
  perAnswer?: IdOf,
): Record<string, unknown> {
  const blocks = blocksOf(turn, dialect, callsBefore, perAnswer);
  const content: Record<string, unknown>[] = blocks.map((block) => {
    switch (block.kind) {
      case "thinking": {
        const thinking: Record<string, unknown> = {
          type: "thinking",
          thinking: block.pieces.join(""),
        };
        if (dialect.signature === "empty") thinking.signature = "";
        if (dialect.signature === "value") thinking.signature = "5b0c1f0e9d8c4a7b";
        return thinking;
      }
      case "text":
        return { type: "text", text: block.pieces.join("") };
      case "tool": {
        const args = block.call.args.join("");
        const tool: Record<string, unknown> = {
          type: "tool_use",
          id: block.id,
          name: block.call.name,
        };
        if (args || !dialect.jsonOmitsEmptyInput) tool.input = args ? JSON.parse(args) : {};
        return tool;
      }
    }
  });
  return {
    id: dialect.messageId,
    type: "message",
    role: "assistant",
    model,
    content: content.length === 0 ? dialect.emptyContent : content,
    stop_reason: stopReason(turn),
    stop_sequence: null,
    usage: { input_tokens: turn.inputTokens, output_tokens: turn.outputTokens },
  };
}

function errorBody(dialect: Dialect, status: number, message: string): Record<string, unknown> {
  const type = status === 400
    ? dialect.badRequestType
    : status === 404
    ? "not_found_error"
    : status === 503
    ? "overloaded_error"
    : "api_error";
  if (dialect.httpError === "openai") {
    const openaiType = status === 400
      ? "invalid_request_error"
      : status === 503
      ? "unavailable_error"
      : "server_error";
    return { error: { code: status, message, type: openaiType } };
  }
  return { type: "error", error: { type, message } };
}

const encoder = new TextEncoder();

/** Starts a mock of `dialect` on an ephemeral port. */
export function startLocalServer(
  dialect: Dialect,
  scripts: Script[] = [],
  options: ServerOptions = {},
): LocalServer {
  const paths: string[] = [];
  const bodies: Record<string, unknown>[] = [];
  const server: LocalServer = { url: "", dialect, scripts, paths, bodies, close: async () => {} };
  let served = 0;
  let calls = 0;
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    paths.push(path);
    const body = (req.method === "POST" ? await req.json() : {}) as Record<string, unknown>;
    const model = String(body.model);
    const api = options.ollama && ollamaApi(options.ollama, path, body);
    if (api) return api;
    if (path === "/v1/messages/count_tokens") {
      if (!dialect.countTokens) return new Response("404 page not found", { status: 404 });
      return Response.json({ input_tokens: 1234 });
    }
    if (path !== "/v1/messages") return new Response("not found", { status: 404 });
    bodies.push(body);
    if (options.ollama && !options.ollama.pulled.map(tagged).includes(tagged(model))) {
      return Response.json(errorBody(dialect, 404, `model '${model}' not found`), { status: 404 });
    }
    const refusal = dialect.imageRefusal;
    if (options.vision === false && refusal && holdsImage(body)) {
      return Response.json(errorBody(dialect, refusal.status, refusal.message), {
        status: refusal.status,
      });
    }
    const script = server.scripts[Math.min(served++, server.scripts.length - 1)];
    if (!script) return Response.json(errorBody(dialect, 500, "no script"), { status: 500 });
    if (script.kind === "refuse") {
      return Response.json(errorBody(dialect, script.status, script.message), {
        status: script.status,
      });
    }
    const callsBefore = calls;
    calls += script.turn.tools?.length ?? 0;
    if (body.stream !== true) {
      if (script.kind !== "turn") {
        return Response.json(errorBody(dialect, 500, script.message), { status: 500 });
      }
      return Response.json(
        jsonMessage(script.turn, dialect, model, callsBefore, options.idsPerAnswer),
      );
    }
    const events = streamEvents(
      script.turn,
      dialect,
      model,
      script.kind === "fail_mid_stream" ? script.message : undefined,
      callsBefore,
      options.idsPerAnswer,
    );
    // One event per chunk, the way these servers flush after each.
    const chunks = events.map((e) =>
      encoder.encode(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`)
    );
    return new Response(ReadableStream.from(chunks), {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  });
  server.url = `http://127.0.0.1:${http.addr.port}`;
  server.close = () => http.shutdown();
  return server;
}
