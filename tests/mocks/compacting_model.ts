/**
 * An upstream for long Claude Code sessions, speaking OpenAI Chat Completions (SSE) on
 * /v1/chat/completions and the Gemini API (SSE) on /v1beta/models/{model}:streamGenerateContent.
 * It refuses what those APIs refuse (a Chat history with a broken tool-call pairing or
 * `max_tokens` above the model's output limit; whatever gemini_strict.ts finds), answers Claude
 * Code's summarisation request with a summary, and otherwise plays a small agent: a prompt that
 * says "echo" gets a Bash call, its result a Write call, and the Write's result a closing text;
 * any other prompt gets a text answer. Every answer begins with reasoning, so the history carries
 * thinking. The usage it reports is set by the test, so that the context can look full.
 */

import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { geminiRequestProblem } from "./gemini_strict.ts";
import { invalidArgument } from "./gemini_wire.ts";

type Obj = Record<string, unknown>;

/** How Claude Code asks for a summary (the last user message, or its last text block). */
export const SUMMARY_REQUEST = "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.";

/** A line of the summary the mock writes, found again in the history after compaction. */
export const SUMMARY_MARKER = "SUMMARY-MARKER-7f3a: the user ran echo hi and wrote notes.txt.";

/** The largest `max_tokens` the mock Chat model accepts, refused above as OpenAI words it. */
export const MOCK_MAX_OUTPUT = 8192;

/** The signature on the mock Gemini model's function calls; it must come back unchanged. */
export const MOCK_GEMINI_SIGNATURE = "Q29tcGFjdGluZy1tb2NrLWdlbWluaS1zaWc=";

/** A running mock. */
export interface CompactingModel {
  /** Base URL: append `/v1` for Chat Completions; Gemini's paths hang off it as they are. */
  readonly url: string;
  /** Bodies received, in order (refused ones too). */
  readonly bodies: Obj[];
  /** Why each refused request was refused, in order. */
  readonly refusals: string[];
  /** `prompt_tokens` reported for the next answers. */
  promptTokens: number;
  /** Summarisation requests still to refuse as too long for the context window. */
  overflowSummaries: number;
  /** The command of the Bash call. */
  command: string;
  close(): Promise<void>;
}

/** What the model does next. */
type Step =
  | { kind: "summary" }
  | { kind: "call"; name: string; args: Obj }
  | { kind: "text"; text: string };

/** The conversation reduced to what the script reads, from either wire. */
interface Conversation {
  /** The last message is Claude Code's summarisation request. */
  summarising: boolean;
  /** The text of the latest user prompt. */
  prompt: string;
  /** Tool results since that prompt. */
  results: number;
}

function step(c: Conversation, turn: number, work: string, command: string): Step {
  if (c.summarising) return { kind: "summary" };
  if (/echo/.test(c.prompt) && c.results === 0) {
    return { kind: "call", name: "Bash", args: { command, description: "Say hi" } };
  }
  if (/echo/.test(c.prompt) && c.results === 1) {
    return {
      kind: "call",
      name: "Write",
      args: { file_path: `${work}/notes.txt`, content: "notes\n" },
    };
  }
  return { kind: "text", text: `Answer ${turn}.` };
}

const SUMMARY = `<analysis>The session so far.</analysis>\n<summary>${SUMMARY_MARKER}</summary>`;

// --- OpenAI Chat Completions ---

function chatText(message: Obj | undefined): string {
  if (!message) return "";
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return "";
  return (message.content as Obj[]).map((p) => typeof p.text === "string" ? p.text : "").join("");
}

function chatConversation(messages: Obj[]): Conversation {
  const at = messages.findLastIndex((m) => m.role === "user");
  return {
    summarising: at === messages.length - 1 && chatText(messages[at]).includes(SUMMARY_REQUEST),
    prompt: chatText(messages[at]),
    results: messages.slice(at + 1).filter((m) => m.role === "tool").length,
  };
}

function chatChunk(delta: Obj, finish: string | null = null, usage?: Obj): string {
  const head = { id: "chatcmpl-c", object: "chat.completion.chunk", created: 1, model: "m" };
  const choices = usage ? [] : [{ index: 0, delta, finish_reason: finish }];
  return `data: ${JSON.stringify({ ...head, choices, ...(usage ? { usage } : {}) })}\n\n`;
}

/** The answer as Chat SSE, cut to `maxTokens` (about four characters each) as a model stops. */
function chatSse(next: Step, turn: number, promptTokens: number, maxTokens: number): string {
  const parts = [
    chatChunk({ role: "assistant", reasoning_content: `Thinking about turn ${turn}.` }),
  ];
  if (next.kind === "call") {
    const fn = { name: next.name, arguments: JSON.stringify(next.args) };
    const call = {
      index: 0,
      id: `call_${next.name.toLowerCase()}_${turn}`,
      type: "function",
      function: fn,
    };
    parts.push(chatChunk({ tool_calls: [call] }), chatChunk({}, "tool_calls"));
  } else {
    const text = next.kind === "text" ? next.text : SUMMARY;
    const cut = text.slice(0, maxTokens * 4);
    parts.push(chatChunk({ content: cut }), chatChunk({}, cut === text ? "stop" : "length"));
  }
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: 30,
    total_tokens: promptTokens + 30,
  };
  parts.push(chatChunk({}, null, usage), "data: [DONE]\n\n");
  return parts.join("");
}

/** An OpenAI-style 400. */
function chatRefusal(message: string, code: string | null = null): Response {
  const error = { message, type: "invalid_request_error", param: null, code };
  return Response.json({ error }, { status: 400 });
}

// --- Gemini ---

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null;

function geminiConversation(contents: Obj[]): Conversation {
  const texts = (c: Obj | undefined) =>
    ((c?.parts ?? []) as Obj[]).map((p) => typeof p.text === "string" ? p.text : "").join("");
  const isPrompt = (c: Obj) =>
    c.role === "user" && (c.parts as Obj[]).some((p) => typeof p.text === "string");
  const at = contents.findLastIndex(isPrompt);
  const results = contents.slice(at + 1).flatMap((c) => c.parts as Obj[])
    .filter((p) => isObj(p.functionResponse)).length;
  const last = contents.at(-1);
  // Gemini puts a tool result and the text beside it in one user turn: read the last text.
  const lastText = ((last?.parts ?? []) as Obj[]).filter((p) => typeof p.text === "string").at(-1);
  return {
    summarising: last?.role === "user" && String(lastText?.text ?? "").includes(SUMMARY_REQUEST),
    prompt: texts(contents[at]),
    results,
  };
}

function geminiSse(next: Step, turn: number, model: string, promptTokens: number): string {
  const parts: Obj[] = [{ text: `Thinking about turn ${turn}.`, thought: true }];
  if (next.kind === "call") {
    parts.push({
      functionCall: { name: next.name, args: next.args },
      thoughtSignature: MOCK_GEMINI_SIGNATURE,
    });
  } else parts.push({ text: next.kind === "text" ? next.text : SUMMARY });
  const chunk = {
    candidates: [{ content: { role: "model", parts }, index: 0, finishReason: "STOP" }],
    usageMetadata: {
      promptTokenCount: promptTokens,
      candidatesTokenCount: 30,
      totalTokenCount: promptTokens + 30,
    },
    modelVersion: model,
    responseId: `compacting-${turn}`,
  };
  return `data: ${JSON.stringify(chunk)}\r\n\r\n`;
}

const OVERFLOW =
  "This model's maximum context length is 64000 tokens. However, your messages resulted in 70123 tokens. Please reduce the length of the messages.";

/** Starts the mock; the Write call writes `notes.txt` in `work`. */
export function startCompactingModel(work: string): CompactingModel {
  const bodies: Obj[] = [];
  const refusals: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const turn = bodies.length;
    const path = new URL(req.url).pathname;
    const gemini = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/.exec(path);
    if (gemini) {
      const model = decodeURIComponent(gemini[1]!);
      const problem = geminiRequestProblem(body, model);
      if (problem) {
        refusals.push(problem);
        return invalidArgument(problem);
      }
      const next = step(geminiConversation(body.contents as Obj[]), turn, work, mock.command);
      return new Response(geminiSse(next, turn, model, mock.promptTokens), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    const messages = body.messages as Obj[];
    const problem = chatHistoryProblem(messages);
    if (problem) {
      refusals.push(problem);
      return chatRefusal(`Invalid messages: ${problem}`);
    }
    const max = Number(body.max_tokens ?? body.max_completion_tokens ?? 0);
    if (max > MOCK_MAX_OUTPUT) {
      const said =
        `max_tokens is too large: ${max}. This model supports at most ${MOCK_MAX_OUTPUT} completion tokens, whereas you provided ${max}.`;
      refusals.push(said);
      return chatRefusal(said);
    }
    const conversation = chatConversation(messages);
    if (conversation.summarising && mock.overflowSummaries > 0) {
      // Not a refusal of a broken request: the test asked for it.
      mock.overflowSummaries--;
      return chatRefusal(OVERFLOW, "context_length_exceeded");
    }
    const next = step(conversation, turn, work, mock.command);
    return new Response(chatSse(next, turn, mock.promptTokens, max), {
      headers: { "content-type": "text/event-stream" },
    });
  });
  const mock: CompactingModel = {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    refusals,
    promptTokens: 1200,
    overflowSummaries: 0,
    command: "echo hi",
    close: () => server.shutdown(),
  };
  return mock;
}
