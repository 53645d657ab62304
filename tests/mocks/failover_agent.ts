/**
 * One scripted agent served by two upstreams a route fails over between: Anthropic Messages,
 * strict as the real API about a history others had a hand in (anthropic_strict.ts's checks, its
 * own signatures `anth-sig-N`), with faults to play one per request (a 429 with `retry-after`, a
 * 529, a stream cut in the middle of its thinking); and Chat Completions in DeepSeek's words
 * (`reasoning_content`), which refuses a history an OpenAI-style API would (chat_history.ts).
 * The last prompt says what to do: "read" → Read the file, then text; "edit" → Read, Edit (alpha
 * to beta, beta to gamma, ...), then text; "bash" → Bash `cat`, then text. Every answer thinks.
 */

import { encodeEvents, type SseEvent, sseEvent as ev } from "./anthropic_fixtures.ts";
import { anthropicProblem } from "./anthropic_strict.ts";
import { chatChunk, chatStreamAnswer } from "./openai_mock.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";

type Obj = Record<string, unknown>;

/** A failure the Anthropic side plays instead of its answer. */
export type Fault = "429" | "529" | "cut";

/** One step of the script. */
interface Move {
  readonly think: string;
  readonly call?: { name: string; input: Obj };
  readonly text?: string;
}

const WORDS = ["alpha", "beta", "gamma", "delta", "epsilon"];

/** The next move for `prompt` after `steps` answers, the last tool result being `last`. */
function decide(prompt: string, steps: number, last: string, file: string): Move {
  const read = { name: "Read", input: { file_path: file } };
  if (prompt.includes("edit")) {
    if (steps === 0) return { think: "Read before editing.", call: read };
    if (steps > 1) return { think: "Edited.", text: "EDIT-DONE" };
    const from = WORDS.findLast((w) => last.includes(w)) ?? "alpha";
    const to = WORDS[WORDS.indexOf(from) + 1]!;
    const input = { file_path: file, old_string: from, new_string: to };
    return { think: `Replace ${from} with ${to}.`, call: { name: "Edit", input } };
  }
  if (prompt.includes("read")) {
    return steps === 0
      ? { think: "Read it.", call: read }
      : { think: "Got it.", text: "READ-DONE" };
  }
  if (prompt.includes("bash")) {
    const input = { command: `cat ${file}`, description: "Show the file" };
    return steps === 0
      ? { think: "Run it.", call: { name: "Bash", input } }
      : { think: "Ran it.", text: "BASH-DONE" };
  }
  return { think: "Answer.", text: "OK" };
}

const REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;
const prose = (text: string) => text.replace(REMINDER, "").trim();

/** The prompt of a conversation, how many answers since it, and the last tool result. */
interface View {
  prompt: string;
  steps: number;
  last: string;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return (content as Obj[]).map((b) => b.type === "text" ? String(b.text) : "").join("\n");
}

function anthropicView(messages: Obj[]): View {
  const view: View = { prompt: "", steps: 0, last: "" };
  for (const m of messages) {
    if (m.role === "assistant") {
      view.steps++;
      continue;
    }
    const blocks = typeof m.content === "string"
      ? [{ type: "text", text: m.content }]
      : m.content as Obj[];
    const results = blocks.filter((b) => b.type === "tool_result");
    for (const r of results) view.last = textOf(r.content) || String(r.content);
    const said = prose(textOf(blocks));
    if (results.length === 0 && said !== "") Object.assign(view, { prompt: said, steps: 0 });
  }
  return view;
}

function chatView(messages: Obj[]): View {
  const view: View = { prompt: "", steps: 0, last: "" };
  for (const m of messages) {
    if (m.role === "assistant") view.steps++;
    else if (m.role === "tool") view.last = textOf(m.content);
    else if (m.role === "user" && prose(textOf(m.content)) !== "") {
      Object.assign(view, { prompt: prose(textOf(m.content)), steps: 0 });
    }
  }
  return view;
}

/** A running upstream of the pair. */
export interface AgentUpstream {
  readonly url: string;
  /** Bodies received, refused ones too. */
  readonly bodies: Obj[];
  /** Why each refused body was refused. */
  readonly problems: string[];
  close(): Promise<void>;
}

/** The Anthropic side; `faults` is played one per request, from its start. */
export function startAnthropicAgent(file: string, faults: Fault[]): AgentUpstream {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const signed = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const fault = faults.shift();
    if (fault === "429") {
      const error = { type: "rate_limit_error", message: "rate limit exceeded" };
      return Response.json({ type: "error", error }, {
        status: 429,
        headers: { "retry-after": "2" },
      });
    }
    if (fault === "529") {
      const error = { type: "overloaded_error", message: "Overloaded" };
      return Response.json({ type: "error", error }, { status: 529 });
    }
    const problem = anthropicProblem(body, signed);
    if (problem) {
      problems.push(problem);
      const error = { type: "invalid_request_error", message: problem };
      return Response.json({ type: "error", error }, { status: 400 });
    }
    const n = bodies.length;
    const move = decideFor(anthropicView(body.messages as Obj[]), file);
    const thinks = body.thinking !== undefined;
    const signature = `anth-sig-${n}`;
    const opening = {
      id: `msg_anth_${n}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [],
      stop_reason: null,
      usage: { input_tokens: 900, output_tokens: 1 },
    };
    const events: SseEvent[] = [ev("message_start", { message: opening })];
    let index = 0;
    if (thinks) {
      events.push(
        ev("content_block_start", {
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        }),
        ev("content_block_delta", {
          index,
          delta: { type: "thinking_delta", thinking: `anth: ${move.think}` },
        }),
      );
      if (fault === "cut") return cutStream(encodeEvents(events));
      events.push(
        ev("content_block_delta", { index, delta: { type: "signature_delta", signature } }),
        ev("content_block_stop", { index }),
      );
      signed.add(signature);
      index++;
    }
    if (move.call) {
      const use = { type: "tool_use", id: `toolu_anth_${n}`, name: move.call.name, input: {} };
      const json = JSON.stringify(move.call.input);
      events.push(
        ev("content_block_start", { index, content_block: use }),
        ev("content_block_delta", {
          index,
          delta: { type: "input_json_delta", partial_json: json },
        }),
      );
    } else {
      events.push(
        ev("content_block_start", { index, content_block: { type: "text", text: "" } }),
        ev("content_block_delta", { index, delta: { type: "text_delta", text: move.text } }),
      );
    }
    events.push(
      ev("content_block_stop", { index }),
      ev("message_delta", {
        delta: { stop_reason: move.call ? "tool_use" : "end_turn", stop_sequence: null },
        usage: { output_tokens: 30 },
      }),
      ev("message_stop", {}),
    );
    if (body.stream === true) {
      return new Response(encodeEvents(events), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    // Claude Code's non-streamed retry after a broken stream: the same answer as one message.
    const content: Obj[] = thinks
      ? [{ type: "thinking", thinking: `anth: ${move.think}`, signature }]
      : [];
    content.push(
      move.call
        ? { type: "tool_use", id: `toolu_anth_${n}`, name: move.call.name, input: move.call.input }
        : { type: "text", text: move.text },
    );
    return Response.json({
      ...opening,
      content,
      stop_reason: move.call ? "tool_use" : "end_turn",
      usage: { input_tokens: 900, output_tokens: 30 },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    problems,
    close: () => server.shutdown(),
  };
}

function decideFor(view: View, file: string): Move {
  return decide(view.prompt, view.steps, view.last, file);
}

/** `head`, then the connection breaks, as an upstream lost mid-answer. */
function cutStream(head: string): Response {
  const bytes = new TextEncoder().encode(head);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      setTimeout(() => controller.error(new Error("connection lost")), 100);
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** The Chat Completions side: DeepSeek's reasoning, call ids `call_N`. */
export function startChatAgent(file: string): AgentUpstream {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const messages = body.messages as Obj[];
    const problem = chatHistoryProblem(messages);
    if (problem) {
      problems.push(problem);
      return Response.json({ error: { message: problem, type: "invalid_request_error" } }, {
        status: 400,
      });
    }
    const move = decideFor(chatView(messages), file);
    const n = bodies.length;
    const chunk = (delta: Obj, finish: string | null = null) =>
      chatChunk(delta, finish, "chatcmpl-f");
    const usage = { prompt_tokens: 900, completion_tokens: 30 };
    const call = move.call && {
      id: `call_${n}`,
      type: "function",
      function: { name: move.call.name, arguments: JSON.stringify(move.call.input) },
    };
    if (body.stream !== true) {
      const message = {
        role: "assistant",
        content: move.text ?? null,
        reasoning_content: `chat: ${move.think}`,
        ...(call ? { tool_calls: [call] } : {}),
      };
      const finish_reason = call ? "tool_calls" : "stop";
      return Response.json({
        id: "chatcmpl-f",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message, finish_reason }],
        usage,
      });
    }
    const parts = [
      chunk({ role: "assistant", content: "" }),
      chunk({ reasoning_content: `chat: ${move.think}` }),
    ];
    if (call) parts.push(chunk({ tool_calls: [{ index: 0, ...call }] }), chunk({}, "tool_calls"));
    else parts.push(chunk({ content: move.text }), chunk({}, "stop"));
    return chatStreamAnswer(parts, usage);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    problems,
    close: () => server.shutdown(),
  };
}
