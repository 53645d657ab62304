/**
 * A scripted agent model for Claude Code journeys, served on one of two wires ccp translates to:
 * Gemini (`streamGenerateContent?alt=sse`, behind the strict request check of gemini_strict.ts)
 * or Chat Completions with DeepSeek's thinking rules (reasoning in `reasoning_content`, which
 * must come back on every tool-call turn). The test's script reads the conversation in one shape
 * whatever the wire, and answers with reasoning, then a tool call or text; it can also refuse a
 * request as too long for the model's context, in the provider's own words. Every call carries a
 * signature (Gemini) or reasoning (Chat) of its own, which the checks below find again.
 */

import type { Config, ProviderConfig } from "../../src/config/types.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { geminiRequestProblem } from "./gemini_strict.ts";
import { invalidArgument } from "./gemini_wire.ts";
import { chatChunk } from "./openai_mock.ts";

type Obj = Record<string, unknown>;

/** The two wires. */
export type Wire = "gemini" | "chat";
export const WIRES: readonly Wire[] = ["gemini", "chat"];

/** Claude Code's summarisation request (the text of its last user message begins so). */
export const SUMMARY_ASK = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.";

/** The conversation of one request, the same from either wire. */
export interface View {
  /** Every text the user side sent (prompts, reminders, notifications), in order. */
  readonly userTexts: string[];
  /** The texts of the last user turn (beside its tool results, on Gemini). */
  readonly lastTexts: string[];
  /** Every tool result, in order, as text. */
  readonly results: string[];
  /** The last message is a tool result (nothing after it but reminders). */
  readonly afterResult: boolean;
  /** Claude Code is asking for a summary. */
  readonly summarising: boolean;
  /** The whole request as the upstream got it, as JSON. */
  readonly raw: string;
}

/** What the model does: think, then call a tool or write text; or refuse as too long. */
export type Move =
  | { think: string; call: { name: string; args: Obj } }
  | { think: string; text: string }
  | { overflow: true };

/**
 * The tokens a model reports for one answer, as Anthropic counts them: `prompt` holds `cached`,
 * `output` holds `thinking`. Each wire reports them in its own words.
 */
export interface AgentUsage {
  readonly prompt: number;
  readonly cached: number;
  readonly output: number;
  readonly thinking: number;
}

/** What the model reports when its test does not say: a 900-token prompt, 20 tokens out. */
const PLAIN_USAGE: AgentUsage = { prompt: 900, cached: 0, output: 20, thinking: 0 };

/** A running model. */
export interface AgentModel {
  readonly wire: Wire;
  /** Bodies received, refused ones too. */
  readonly bodies: Obj[];
  /** Why each refused request was refused (a too-long refusal the script asked for is not one). */
  readonly problems: string[];
  /** The view of each body, in order. */
  readonly views: View[];
  /** ccp's provider "up" for it, and the route target on it. */
  readonly provider: ProviderConfig;
  readonly target: string;
  /** A ccp config with this model alone as its default route, behind a token. */
  readonly config: Config;
  close(): Promise<void>;
}

/** The signature the model puts on call `n` (the n-th request it answers). */
export const signatureOf = (n: number): string => btoa(`two-wire-signature-${n}`);
/** The reasoning the model sends before call `n`. */
export const reasoningOf = (n: number, think: string): string => `${think} (turn ${n})`;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;
const textOf = (content: unknown): string[] =>
  typeof content === "string"
    ? [content]
    : Array.isArray(content)
    ? content.flatMap((p) => isObj(p) && typeof p.text === "string" ? [p.text] : [])
    : [];

function geminiView(body: Obj): View {
  const contents = body.contents as Obj[];
  const userTexts: string[] = [];
  const results: string[] = [];
  for (const c of contents.filter((c) => c.role === "user")) {
    for (const part of c.parts as Obj[]) {
      if (typeof part.text === "string") userTexts.push(part.text);
      if (isObj(part.functionResponse)) {
        const response = part.functionResponse.response as Obj;
        results.push(
          typeof response.result === "string" ? response.result : JSON.stringify(response),
        );
      }
    }
  }
  const last = contents.at(-1)!;
  const parts = last.parts as Obj[];
  const lastTexts = textOf(parts);
  return {
    userTexts,
    lastTexts,
    results,
    afterResult: parts.some((p) => isObj(p.functionResponse)),
    summarising: lastTexts.some((t) => t.startsWith(SUMMARY_ASK)),
    raw: JSON.stringify(body),
  };
}

function chatView(body: Obj): View {
  const messages = (body.messages as Obj[]).filter((m) => m.role !== "system");
  const userTexts = messages.filter((m) => m.role === "user").flatMap((m) => textOf(m.content));
  const results = messages.filter((m) => m.role === "tool").map((m) => String(m.content));
  const lastCall = messages.findLastIndex((m) => m.role === "assistant");
  const tail = messages.slice(lastCall + 1);
  const lastTexts = tail.filter((m) => m.role === "user").flatMap((m) => textOf(m.content));
  return {
    userTexts,
    lastTexts,
    results,
    afterResult: tail.some((m) => m.role === "tool"),
    summarising: lastTexts.some((t) => t.startsWith(SUMMARY_ASK)),
    raw: JSON.stringify(body),
  };
}

/** The view kept for a request the model refused as invalid. */
const REFUSED: View = {
  userTexts: [],
  lastTexts: [],
  results: [],
  afterResult: false,
  summarising: false,
  raw: "",
};

/** DeepSeek's 400 for a thinking-mode tool-call turn sent back without its reasoning. */
function deepseekProblem(messages: Obj[]): string | undefined {
  const at = messages.findIndex((m) =>
    m.role === "assistant" && Array.isArray(m.tool_calls) && typeof m.reasoning_content !== "string"
  );
  return at < 0
    ? undefined
    : `Missing \`reasoning_content\` field in the assistant message at message index ${at}`;
}

function geminiAnswer(
  move: Exclude<Move, { overflow: true }>,
  n: number,
  usage: AgentUsage,
): Response {
  const parts: Obj[] = [{ text: reasoningOf(n, move.think), thought: true }];
  if ("call" in move) {
    parts.push({ functionCall: move.call, thoughtSignature: signatureOf(n) });
  } else parts.push({ text: move.text });
  const frame = {
    candidates: [{ content: { role: "model", parts }, index: 0, finishReason: "STOP" }],
    // Gemini counts thoughts apart from the candidates, and cached tokens within the prompt.
    usageMetadata: {
      promptTokenCount: usage.prompt,
      candidatesTokenCount: usage.output - usage.thinking,
      totalTokenCount: usage.prompt + usage.output,
      ...(usage.cached ? { cachedContentTokenCount: usage.cached } : {}),
      ...(usage.thinking ? { thoughtsTokenCount: usage.thinking } : {}),
    },
  };
  return new Response(`data: ${JSON.stringify(frame)}\r\n\r\n`, {
    headers: { "content-type": "text/event-stream" },
  });
}

function chatAnswer(
  move: Exclude<Move, { overflow: true }>,
  n: number,
  usage: AgentUsage | undefined,
): Response {
  const parts = [chatChunk({ role: "assistant", reasoning_content: reasoningOf(n, move.think) })];
  if ("call" in move) {
    const fn = { name: move.call.name, arguments: JSON.stringify(move.call.args) };
    parts.push(
      chatChunk({ tool_calls: [{ index: 0, id: `call_${n}`, type: "function", function: fn }] }),
      chatChunk({}, "tool_calls"),
    );
  } else parts.push(chatChunk({ content: move.text }), chatChunk({}, "stop"));
  if (usage) {
    // DeepSeek's words: reasoning within the completion, cache hits within the prompt.
    const counts = {
      prompt_tokens: usage.prompt,
      completion_tokens: usage.output,
      total_tokens: usage.prompt + usage.output,
      prompt_cache_hit_tokens: usage.cached,
      prompt_cache_miss_tokens: usage.prompt - usage.cached,
      completion_tokens_details: { reasoning_tokens: usage.thinking },
    };
    const frame = { id: "c", object: "chat.completion.chunk", choices: [], usage: counts };
    parts.push(`data: ${JSON.stringify(frame)}\n\n`);
  }
  return new Response(`${parts.join("")}data: [DONE]\n\n`, {
    headers: { "content-type": "text/event-stream" },
  });
}

/** The refusal of a prompt too long for the model, as each provider words it. */
function overflow(wire: Wire): Response {
  if (wire === "gemini") {
    return invalidArgument(
      "The input token count (1100000) exceeds the maximum number of tokens allowed (1048576).",
    );
  }
  return Response.json({
    error: {
      message:
        "This model's maximum context length is 131072 tokens. However, you requested 140211 tokens (132019 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.",
      type: "invalid_request_error",
      param: null,
      code: "invalid_request_error",
    },
  }, { status: 400 });
}

/**
 * Starts the model on `wire`; `script` decides each answer from the request's view, and
 * `usageOf` what the `n`th answer reports (on Chat, nothing when it is not given).
 */
export function startAgentModel(
  wire: Wire,
  script: (view: View, n: number) => Move,
  usageOf?: (n: number) => AgentUsage,
): AgentModel {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const views: View[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const n = bodies.length;
    let problem: string | undefined;
    if (wire === "gemini") {
      const model = /models\/([^/:]+):/.exec(new URL(req.url).pathname)?.[1] ?? "";
      problem = geminiRequestProblem(body, decodeURIComponent(model));
    } else {
      const messages = body.messages as Obj[];
      problem = chatHistoryProblem(messages) ?? deepseekProblem(messages);
    }
    if (problem) {
      problems.push(problem);
      views.push(REFUSED);
      return wire === "gemini"
        ? invalidArgument(problem)
        : Response.json({ error: { message: problem, type: "invalid_request_error" } }, {
          status: 400,
        });
    }
    const view = wire === "gemini" ? geminiView(body) : chatView(body);
    views.push(view);
    const move = script(view, n);
    if ("overflow" in move) return overflow(wire);
    return wire === "gemini"
      ? geminiAnswer(move, n, usageOf?.(n) ?? PLAIN_USAGE)
      : chatAnswer(move, n, usageOf?.(n));
  });
  const root = `http://127.0.0.1:${server.addr.port}`;
  const up = wire === "gemini"
    ? provider("up", {
      type: "gemini",
      baseUrl: `${root}/v1beta`,
      apiKeys: ["gemini-key"],
      authHeader: "x-goog-api-key",
      maxRetries: 0,
    })
    : provider("up", {
      type: "openai",
      baseUrl: `${root}/v1`,
      apiKeys: ["deepseek-key"],
      authHeader: "bearer",
      maxRetries: 0,
      dialect: OPENAI_DIALECTS.deepseek!,
    });
  const target = wire === "gemini" ? "up/gemini-3.8-flash" : "up/deepseek-reasoner";
  return {
    wire,
    bodies,
    problems,
    views,
    provider: up,
    target,
    config: testConfig({ providers: [up], routes: { default: target }, authToken: "e2e-token" }),
    close: () => server.shutdown(),
  };
}

/**
 * The model's calls in `body` as they came back: on Gemini each call's signature, on Chat each
 * tool-call turn's reasoning, in order; for checking that none was lost or moved.
 */
export function returnedMarks(wire: Wire, body: Obj): string[] {
  if (wire === "gemini") {
    return (body.contents as Obj[]).filter((c) => c.role === "model")
      .flatMap((c) => c.parts as Obj[]).filter((p) => isObj(p.functionCall))
      .map((p) => String(p.thoughtSignature));
  }
  return (body.messages as Obj[]).filter((m) => m.role === "assistant" && m.tool_calls)
    .map((m) => String(m.reasoning_content));
}

/** The mark call `n` with reasoning `think` should come back with, on `wire`. */
export const markOf = (wire: Wire, n: number, think: string): string =>
  wire === "gemini" ? signatureOf(n) : reasoningOf(n, think);
