/**
 * One scripted answer served in two wire protocols on 127.0.0.1: Anthropic Messages on
 * `/v1/messages` and OpenAI Chat Completions on `/v1/chat/completions`, each streamed or not as
 * asked. The same script gives the same content on either path, so a test can hold ccp's
 * passthrough and translated answers, streamed and not, against each other.
 */

import { encodeEvents, type SseEvent, sseEvent as ev } from "./anthropic_fixtures.ts";

/** One block of the scripted turn. */
export type ScriptBlock =
  | { kind: "thinking"; text: string; signature: string }
  | { kind: "text"; text: string }
  | { kind: "tool"; id: string; name: string; input: Record<string, unknown> };

/** What the upstream answers. */
export interface Script {
  blocks: ScriptBlock[];
  /** Anthropic's stop reason; the OpenAI finish_reason is derived from it. */
  stop: "end_turn" | "tool_use" | "max_tokens";
  inputTokens: number;
  outputTokens: number;
}

/**
 * What the upstream answers: one script for every request, or a script chosen per request (an
 * agent's turns: a tool call first, then text once the tool_result is back).
 */
export type Answer = Script | ((request: TwinRequest) => Script);

/** A request the upstream received. */
export interface TwinRequest {
  path: string;
  body: Record<string, unknown>;
  /** Set when the connection ccp opened for this request closed before the answer ended. */
  closedEarly: boolean;
}

/** A running twin upstream. */
export interface TwinUpstream {
  /** The root to give an `anthropic` provider (`openaiUrl` for an `openai` one). */
  url: string;
  openaiUrl: string;
  requests: TwinRequest[];
  /**
   * Replaces the script; `gapMs` waits between streamed pieces (an answer still generating),
   * `headMs` before the answer starts (a model still reading the prompt).
   */
  set(script: Answer, timing?: { gapMs?: number; headMs?: number }): void;
  /** Resolves when a streamed answer's connection closed early. */
  closed(): Promise<void>;
  close(): Promise<void>;
}

const FINISH = { end_turn: "stop", tool_use: "tool_calls", max_tokens: "length" } as const;

/** Cuts a string in pieces of at most `n` characters (streams split words and JSON mid-token). */
function pieces(text: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += n) out.push(text.slice(i, i + n));
  return out.length > 0 ? out : [""];
}

// Each answer has an id of its own, as a real server's does (ccp gives a repeated one a new id).
let answers = 0;

/** The non-streaming Anthropic message of a script. */
function anthropicMessage(script: Script, model: string): Record<string, unknown> {
  return {
    id: `msg_twin_${++answers}`,
    type: "message",
    role: "assistant",
    model,
    content: script.blocks.map((b) =>
      b.kind === "thinking"
        ? { type: "thinking", thinking: b.text, signature: b.signature }
        : b.kind === "text"
        ? { type: "text", text: b.text }
        : { type: "tool_use", id: b.id, name: b.name, input: b.input }
    ),
    stop_reason: script.stop,
    stop_sequence: null,
    usage: {
      input_tokens: script.inputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: script.outputTokens,
    },
  };
}

function anthropicEvents(script: Script, model: string): string[] {
  const start = anthropicMessage(script, model);
  const events: SseEvent[] = [
    ev("message_start", {
      message: {
        ...start,
        content: [],
        stop_reason: null,
        usage: { ...start.usage as Record<string, number>, output_tokens: 1 },
      },
    }),
    ev("ping", {}),
  ];
  script.blocks.forEach((b, index) => {
    if (b.kind === "thinking") {
      events.push(
        ev("content_block_start", {
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        }),
        ...pieces(b.text, 7).map((thinking) =>
          ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking } })
        ),
        ev("content_block_delta", {
          index,
          delta: { type: "signature_delta", signature: b.signature },
        }),
      );
    } else if (b.kind === "text") {
      events.push(
        ev("content_block_start", { index, content_block: { type: "text", text: "" } }),
        ...pieces(b.text, 5).map((text) =>
          ev("content_block_delta", { index, delta: { type: "text_delta", text } })
        ),
      );
    } else {
      events.push(
        ev("content_block_start", {
          index,
          content_block: { type: "tool_use", id: b.id, name: b.name, input: {} },
        }),
        ...pieces(JSON.stringify(b.input), 6).map((partial_json) =>
          ev("content_block_delta", {
            index,
            delta: { type: "input_json_delta", partial_json },
          })
        ),
      );
    }
    events.push(ev("content_block_stop", { index }));
  });
  events.push(
    ev("message_delta", {
      delta: { stop_reason: script.stop, stop_sequence: null },
      usage: { output_tokens: script.outputTokens },
    }),
    ev("message_stop", {}),
  );
  return events.map((e) => encodeEvents([e]));
}

function openaiMessage(script: Script, model: string): Record<string, unknown> {
  const text = script.blocks.flatMap((b) => (b.kind === "text" ? [b.text] : [])).join("");
  const reasoning = script.blocks.flatMap((b) => (b.kind === "thinking" ? [b.text] : [])).join("");
  const calls = script.blocks.flatMap((b) =>
    b.kind === "tool"
      ? [{
        id: b.id,
        type: "function",
        function: { name: b.name, arguments: JSON.stringify(b.input) },
      }]
      : []
  );
  return {
    id: "chatcmpl-twin",
    object: "chat.completion",
    created: 1,
    model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: text === "" ? null : text,
        ...(reasoning ? { reasoning_content: reasoning } : {}),
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      },
      finish_reason: FINISH[script.stop],
    }],
    usage: {
      prompt_tokens: script.inputTokens,
      completion_tokens: script.outputTokens,
      total_tokens: script.inputTokens + script.outputTokens,
    },
  };
}

function openaiChunks(script: Script, model: string): string[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-twin",
        object: "chat.completion.chunk",
        created: 1,
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  const out = [chunk({ role: "assistant", content: "" })];
  let call = 0;
  for (const b of script.blocks) {
    if (b.kind === "thinking") {
      out.push(...pieces(b.text, 7).map((t) => chunk({ reasoning_content: t })));
    } else if (b.kind === "text") {
      out.push(...pieces(b.text, 5).map((t) => chunk({ content: t })));
    } else {
      const index = call++;
      const args = pieces(JSON.stringify(b.input), 6);
      out.push(chunk({
        tool_calls: [{
          index,
          id: b.id,
          type: "function",
          function: { name: b.name, arguments: args[0] },
        }],
      }));
      for (const a of args.slice(1)) {
        out.push(chunk({ tool_calls: [{ index, function: { arguments: a } }] }));
      }
    }
  }
  out.push(
    chunk({}, FINISH[script.stop]),
    `data: ${
      JSON.stringify({
        id: "chatcmpl-twin",
        object: "chat.completion.chunk",
        created: 1,
        model,
        choices: [],
        usage: {
          prompt_tokens: script.inputTokens,
          completion_tokens: script.outputTokens,
          total_tokens: script.inputTokens + script.outputTokens,
        },
      })
    }\n\n`,
    "data: [DONE]\n\n",
  );
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads one HTTP/1.1 request (head and a content-length body) off a connection. */
async function readRequest(conn: Deno.Conn): Promise<{ path: string; body: string } | undefined> {
  let data = new Uint8Array(0);
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const text = decoder.decode(data);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const head = text.slice(0, end);
      const length = Number(/^content-length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      const bodyBytes = new TextEncoder().encode(text).length - (end + 4);
      if (bodyBytes >= length) {
        const path = head.split(" ")[1] ?? "/";
        return { path, body: text.slice(end + 4) };
      }
    }
    const n = await conn.read(buf);
    if (n === null) return undefined;
    const next = new Uint8Array(data.length + n);
    next.set(data);
    next.set(buf.subarray(0, n), data.length);
    data = next;
  }
}

/**
 * Starts the twin upstream with `script`. It speaks HTTP/1.1 over plain TCP itself, so that it
 * sees exactly when ccp closes a connection, also before the answer starts (Deno's HTTP server
 * does not always say so then).
 */
export function startTwinUpstream(script: Answer): TwinUpstream {
  let answer = script;
  let gap = 0;
  let head = 0;
  const requests: TwinRequest[] = [];
  const closedWaiters: Array<() => void> = [];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();

  async function serve(conn: Deno.Conn): Promise<void> {
    const request = await readRequest(conn);
    if (!request) return;
    const body = JSON.parse(request.body);
    const record: TwinRequest = { path: request.path, body, closedEarly: false };
    requests.push(record);
    let finished = false;
    // The client sends nothing after its request: a read that ends is the connection closing.
    void conn.read(new Uint8Array(1)).catch(() => null).then(() => {
      if (finished || record.closedEarly) return;
      record.closedEarly = true;
      for (const wake of closedWaiters.splice(0)) wake();
    });
    const current = typeof answer === "function" ? answer(record) : answer;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const write = async (text: string) => {
      if (record.closedEarly) return;
      await conn.write(encoder.encode(text)).catch(() => {});
    };
    if (head > 0) await sleep(head);
    const model = String(body.model);
    const openai = request.path.endsWith("/chat/completions");
    if (request.path.endsWith("/count_tokens")) {
      finished = true;
      const json = JSON.stringify({ input_tokens: current.inputTokens });
      await write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${json.length}\r\nconnection: close\r\n\r\n${json}`,
      );
      return;
    }
    if (!body.stream) {
      const json = JSON.stringify(
        openai ? openaiMessage(current, model) : anthropicMessage(current, model),
      );
      finished = true;
      await write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${
          encoder.encode(json).length
        }\r\nconnection: close\r\n\r\n${json}`,
      );
      return;
    }
    const parts = openai ? openaiChunks(current, model) : anthropicEvents(current, model);
    await write(
      "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
        "transfer-encoding: chunked\r\nconnection: close\r\n\r\n",
    );
    for (const [i, part] of parts.entries()) {
      if (i > 0 && gap > 0) await sleep(gap);
      if (record.closedEarly) return;
      if (i === parts.length - 1) finished = true;
      await write(`${encoder.encode(part).length.toString(16)}\r\n${part}\r\n`);
    }
    await write("0\r\n\r\n");
  }

  void (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      void serve(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch {
          // already closed
        }
      });
    }
  })().catch(() => {});
  const url = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  return {
    url,
    openaiUrl: `${url}/v1`,
    requests,
    set: (next, timing = {}) => {
      answer = next;
      gap = timing.gapMs ?? 0;
      head = timing.headMs ?? 0;
    },
    closed: () => new Promise((resolve) => closedWaiters.push(resolve)),
    close: () => {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      return Promise.resolve();
    },
  };
}
