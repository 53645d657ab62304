/**
 * A team's two upstreams for a quota fallback: the Anthropic API reached with an API key, which
 * serves until the key's rate limit is spent and then answers 429 as Anthropic does (its
 * `rate_limit_error` words, `retry-after` and the `anthropic-ratelimit-*` headers) until the
 * window resets, and OpenRouter's Chat Completions API (`/api/v1/chat/completions`). Both play
 * one scripted agent: each task's prompt names it (`[task1]`), and the task's steps (tool calls,
 * then an answer) follow one another as the results come back, whichever upstream is asked.
 * Each refuses what its real API refuses in a history the other had a hand in: Anthropic a
 * thinking signature it did not make or a tool id outside `toolu_…`, OpenRouter an unpaired or
 * non-text tool message. OpenRouter reasons before it answers, as the reasoning models behind it do.
 */

import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { encodeEvents, openingMessage, sseEvent as ev } from "./anthropic_fixtures.ts";
import { anthropicProblem } from "./anthropic_strict.ts";
import { chatChunk } from "./openai_mock.ts";

type Obj = Record<string, unknown>;

/** One step of a task: a tool call, or the answer that ends it. */
export type Step = { tool: string; input: Obj } | { text: string };

/** What Anthropic says when the key's limit is spent (its real wording). */
export const RATE_LIMITED = "This request would exceed the rate limit for your organization " +
  "(0f3c5a2e) of 50 requests per minute. For details, refer to: " +
  "https://docs.claude.com/en/api/rate-limits. You can see the response headers for current " +
  "usage. Please reduce the prompt length or the maximum tokens requested, or try again later. " +
  "You may also contact sales at https://www.anthropic.com/contact-sales to discuss your " +
  "options for a rate limit increase.";

/** The running pair, on one port. */
export interface QuotaUpstreams {
  /** Anthropic's root (`base_url` of an `anthropic` provider). */
  readonly anthropicUrl: string;
  /** OpenRouter's Chat Completions root (`…/api/v1`). */
  readonly openRouterUrl: string;
  /**
   * Each request in order: who got it, what it answered, when (ms since the epoch), and the
   * thinking type a request to Anthropic asked for (none when it went without thinking).
   */
  readonly log: Array<
    { upstream: "anthropic" | "openrouter"; status: number; at: number; thinking?: string }
  >;
  /** What each refused for its history (none expected). */
  readonly problems: string[];
  /** After `answers` more answers, Anthropic's key is limited for `holdMs`. */
  limitAfter(answers: number, holdMs: number): void;
  close(): Promise<void>;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b: Obj) => b.type === "text" ? String(b.text) : "").join("");
}

/** The task the last prompt names and how many steps of it were answered since. */
function progress(messages: Array<{ role: string; content: unknown }>) {
  let at = -1;
  let task = "";
  messages.forEach((m, i) => {
    const named = m.role === "user" ? /\[(task\d)\]/.exec(textOf(m.content)) : null;
    if (named) [at, task] = [i, named[1]!];
  });
  // Claude Code merges a tool loop's answers into one assistant message: count the calls.
  let calls = 0;
  for (const m of messages.slice(at + 1)) {
    if (m.role !== "assistant") continue;
    if (!Array.isArray(m.content)) calls += 1;
    else {
      const uses = (m.content as Obj[]).filter((b) => b.type === "tool_use").length;
      calls += Math.max(uses, 1);
    }
  }
  return { task, step: calls };
}

function chatProgress(messages: Obj[]) {
  let at = -1;
  let task = "";
  messages.forEach((m, i) => {
    const named = m.role === "user" ? /\[(task\d)\]/.exec(textOf(m.content)) : null;
    if (named) [at, task] = [i, named[1]!];
  });
  const calls = messages.slice(at + 1).reduce(
    (n, m) =>
      m.role === "assistant"
        ? n + Math.max((m.tool_calls as unknown[] | undefined)?.length ?? 0, 1)
        : n,
    0,
  );
  return { task, step: calls };
}

/** Starts both upstreams; `tasks` gives each task's steps, `who` is written into no answer. */
export function startQuotaUpstreams(
  tasks: Readonly<Record<string, readonly Step[]>>,
): QuotaUpstreams {
  const log: QuotaUpstreams["log"] = [];
  const problems: string[] = [];
  const signed = new Set<string>();
  let budget = Infinity;
  let hold = 0;
  let limitedUntil = 0;
  let n = 0;
  const stepOf = (task: string, step: number): Step => {
    const steps = tasks[task] ?? [{ text: "no task" }];
    return steps[Math.min(step, steps.length - 1)]!;
  };
  const rateHeaders = (limited: boolean, now: number) => {
    const reset = new Date(limited ? limitedUntil : now + 60_000).toISOString();
    const headers = new Headers({ "request-id": `req_011CV${n}` });
    for (const kind of ["requests", "tokens", "input-tokens", "output-tokens"]) {
      headers.set(`anthropic-ratelimit-${kind}-limit`, kind === "requests" ? "50" : "30000");
      headers.set(`anthropic-ratelimit-${kind}-remaining`, limited ? "0" : "40");
      headers.set(`anthropic-ratelimit-${kind}-reset`, reset);
    }
    return headers;
  };

  function anthropic(body: Obj): Response {
    const now = Date.now();
    if (now >= limitedUntil && budget <= 0) {
      limitedUntil = now + hold;
      budget = Infinity;
    }
    if (now < limitedUntil) {
      log.push({ upstream: "anthropic", status: 429, at: now });
      const headers = rateHeaders(true, now);
      headers.set("retry-after", String(Math.ceil((limitedUntil - now) / 1000)));
      return Response.json(
        { type: "error", error: { type: "rate_limit_error", message: RATE_LIMITED } },
        { status: 429, headers },
      );
    }
    const problem = anthropicProblem(body, signed);
    if (problem) {
      problems.push(`anthropic: ${problem}`);
      log.push({ upstream: "anthropic", status: 400, at: now });
      return Response.json(
        { type: "error", error: { type: "invalid_request_error", message: problem } },
        { status: 400 },
      );
    }
    budget--;
    const thinking = (body.thinking as { type?: string } | undefined)?.type;
    log.push({ upstream: "anthropic", status: 200, at: now, ...(thinking ? { thinking } : {}) });
    const { task, step } = progress(body.messages as Array<{ role: string; content: unknown }>);
    const next = stepOf(task, step);
    const signature = `anth-sig-${++n}`;
    signed.add(signature);
    const block = "tool" in next
      ? { type: "tool_use", id: `toolu_01Anth${n}`, name: next.tool, input: {} }
      : { type: "text", text: "" };
    const delta = "tool" in next
      ? { type: "input_json_delta", partial_json: JSON.stringify(next.input) }
      : { type: "text_delta", text: next.text };
    const events = [
      ev("message_start", {
        message: openingMessage(`msg_${n}`, body.model, {
          input_tokens: 1200,
          output_tokens: 1,
          cache_read_input_tokens: 800,
        }),
      }),
      ev("content_block_start", {
        index: 0,
        content_block: { type: "thinking", thinking: "", signature: "" },
      }),
      ev("content_block_delta", {
        index: 0,
        delta: { type: "thinking_delta", thinking: `Anthropic plans ${task} step ${step}.` },
      }),
      ev("content_block_delta", { index: 0, delta: { type: "signature_delta", signature } }),
      ev("content_block_stop", { index: 0 }),
      ev("content_block_start", { index: 1, content_block: block }),
      ev("content_block_delta", { index: 1, delta }),
      ev("content_block_stop", { index: 1 }),
      ev("message_delta", {
        delta: { stop_reason: "tool" in next ? "tool_use" : "end_turn", stop_sequence: null },
        usage: { output_tokens: 20 },
      }),
      ev("message_stop", {}),
    ];
    const headers = rateHeaders(false, now);
    headers.set("content-type", "text/event-stream");
    return new Response(encodeEvents(events), { headers });
  }

  function openRouter(body: Obj): Response {
    const messages = body.messages as Obj[];
    const problem = chatHistoryProblem(messages);
    if (problem) {
      problems.push(`openrouter: ${problem}`);
      log.push({ upstream: "openrouter", status: 400, at: Date.now() });
      return Response.json({ error: { message: problem, code: 400 } }, { status: 400 });
    }
    log.push({ upstream: "openrouter", status: 200, at: Date.now() });
    const { task, step } = chatProgress(messages);
    const next = stepOf(task, step);
    const id = `gen-${++n}`;
    let sse = chatChunk({ role: "assistant", content: "" }, null, id);
    // OpenRouter streams the model's reasoning first (Claude Code gets it as ccp-signed thinking).
    sse += chatChunk({ reasoning: `OpenRouter plans ${task} step ${step}.` }, null, id);
    if ("tool" in next) {
      const call = { index: 0, id: `call_${n}`, type: "function" };
      sse += chatChunk(
        { tool_calls: [{ ...call, function: { name: next.tool, arguments: "" } }] },
        null,
        id,
      );
      sse += chatChunk(
        { tool_calls: [{ index: 0, function: { arguments: JSON.stringify(next.input) } }] },
        null,
        id,
      );
      sse += chatChunk({}, "tool_calls", id);
    } else {
      sse += chatChunk({ content: next.text }, null, id) + chatChunk({}, "stop", id);
    }
    const usage = { prompt_tokens: 1500, completion_tokens: 30, total_tokens: 1530 };
    sse += `data: ${
      JSON.stringify({ id, object: "chat.completion.chunk", choices: [], usage })
    }\n\n`;
    return new Response(`${sse}data: [DONE]\n\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  }

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.json() as Obj;
    if (path === "/v1/messages/count_tokens") return Response.json({ input_tokens: 321 });
    if (path === "/v1/messages") return anthropic(body);
    if (path === "/api/v1/chat/completions") return openRouter(body);
    return new Response("Not Found", { status: 404 });
  });
  const root = `http://127.0.0.1:${server.addr.port}`;
  return {
    anthropicUrl: root,
    openRouterUrl: `${root}/api/v1`,
    log,
    problems,
    limitAfter: (answers, holdMs) => {
      budget = answers;
      hold = holdMs;
      limitedUntil = 0;
    },
    close: () => server.shutdown(),
  };
}
