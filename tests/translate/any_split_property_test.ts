/**
 * Property, for every upstream wire ccp translates or relays (Chat Completions and its dialects,
 * Responses, Gemini, the Anthropic relay): a recorded-style answer (thinking, then text, then
 * parallel tool calls whose arguments are cut mid-token and mid-character, an empty call, usage in
 * a chunk of its own; a malformed chunk; LF, CRLF, bare CR and a leading BOM) gives
 * 1. the same Anthropic events however its bytes reach ccp: cut at every point of a short stream,
 *    one byte at a time, and cut at random many times over;
 * 2. events that keep Anthropic's grammar (tests/helpers/anthropic_grammar.ts);
 * 3. the same answer when the client asked for JSON: the stream collected into one Message, and
 *    the upstream's own JSON answer translated, as ccp does for each.
 * Seeded, so a failure replays.
 */

import assert from "node:assert/strict";
import { createParser } from "eventsource-parser";
import type { AnthropicMessage } from "../../src/protocols/anthropic.ts";
import { geminiTranslation } from "../../src/translate/gemini/stream.ts";
import { geminiResponseToAnthropic } from "../../src/translate/gemini/response.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { openAIResponseToAnthropic } from "../../src/translate/openai_chat/response.ts";
import { openAIChatTranslation } from "../../src/translate/openai_chat/stream.ts";
import type { TranslateOptions } from "../../src/translate/openai_chat/translator.ts";
import { responsesResponseToAnthropic } from "../../src/translate/openai_responses/response.ts";
import { responsesTranslation } from "../../src/translate/openai_responses/stream.ts";
import type { SseTranslation } from "../../src/translate/sse_translation.ts";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import { collectMessage } from "../../src/upstream/collect_stream.ts";
import { messageToSse } from "../../src/upstream/message_to_sse.ts";
import { relayTranslatedStream } from "../../src/upstream/translated_frames.ts";
import { assertAnthropicGrammar, type GrammarEvent } from "../helpers/anthropic_grammar.ts";
import { everyPointSpaced, splitAt } from "../helpers/bytes.ts";
import { seeded } from "../helpers/random.ts";
import { encodeEvents, type SseEvent, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import { responseObject, type ResponsesScript, responsesSse } from "../mocks/responses_wire.ts";
import { sdkMessage } from "./_stream_helpers.ts";
import { BASH_TOOL, LIST_AGENTS_TOOL, READ_TOOL } from "./_tools.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const BASICS = {
  clientModel: "claude-opus-5-5",
  inputTokens: 1234,
  provider: "prov",
  messageId: "msg_fixture",
};

const TOOLS = [READ_TOOL, BASH_TOOL, LIST_AGENTS_TOOL];

/** One upstream answer on its wire. */
interface Wire {
  /** The answer as its server streams it, LF-framed. */
  readonly sse: string;
  /** A fresh translation of the stream, or none for the Anthropic relay. */
  readonly translation?: () => SseTranslation;
  /** The same answer as the server's JSON, translated as ccp translates it. */
  readonly json?: () => AnthropicMessage;
  /** A relayed Anthropic stream carries the upstream's usage, not ccp's full set. */
  readonly relayed?: boolean;
  /** The answer ends in an error event (a malformed chunk). */
  readonly fails?: boolean;
  /** The answer's block types, where tool calls written as text must be recovered. */
  readonly blocks?: readonly string[];
}

// --- Chat Completions -----------------------------------------------------------------------

interface ChatCall {
  readonly id: string;
  readonly name: string;
  /** The arguments in the pieces the server streams. */
  readonly args: readonly string[];
}

interface ChatAnswer {
  readonly model: string;
  readonly reasoning?: readonly string[];
  readonly content?: readonly string[];
  readonly calls?: readonly ChatCall[];
  readonly finish: string;
  readonly usage: { readonly prompt_tokens: number; readonly completion_tokens: number };
  /** A chunk that is not JSON, after the content. */
  readonly malformed?: boolean;
  /** The block types the translated answer must have. */
  readonly blocks?: readonly string[];
}

/** A Chat Completions stream: a role chunk, the deltas, the finish, a usage-only chunk, [DONE]. */
function chatSse(a: ChatAnswer): string {
  const head = { id: "chatcmpl-9x", object: "chat.completion.chunk", created: 1765000000 };
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        ...head,
        model: a.model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  let out = chunk({ role: "assistant", content: "" });
  for (const r of a.reasoning ?? []) out += chunk({ reasoning_content: r });
  for (const c of a.content ?? []) out += chunk({ content: c });
  if (a.malformed) out += 'data: {"id":"chatcmpl-9x","choices":[{"delta":{"content":"x"}\n\n';
  (a.calls ?? []).forEach((call, index) => {
    out += chunk({
      tool_calls: [{
        index,
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: "" },
      }],
    });
    for (const piece of call.args) {
      out += chunk({ tool_calls: [{ index, function: { arguments: piece } }] });
    }
  });
  out += chunk({}, a.finish);
  out += `data: ${JSON.stringify({ ...head, model: a.model, choices: [], usage: a.usage })}\n\n`;
  return out + "data: [DONE]\n\n";
}

/** The same answer as a non-streamed `chat.completion`. */
function chatJson(a: ChatAnswer): unknown {
  const calls = (a.calls ?? []).map((c) => ({
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: c.args.join("") },
  }));
  return {
    id: "chatcmpl-9x",
    object: "chat.completion",
    created: 1765000000,
    model: a.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: a.content ? a.content.join("") : null,
        ...(a.reasoning ? { reasoning_content: a.reasoning.join("") } : {}),
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      },
      finish_reason: a.finish,
    }],
    usage: a.usage,
  };
}

function chatWire(a: ChatAnswer, options: Partial<TranslateOptions>): Wire {
  const full: TranslateOptions = { ...BASICS, upstreamModel: a.model, tools: TOOLS, ...options };
  return {
    sse: chatSse(a),
    ...(a.blocks ? { blocks: a.blocks } : {}),
    translation: () => openAIChatTranslation(full),
    ...(a.malformed
      ? { fails: true }
      : { json: () => openAIResponseToAnthropic(chatJson(a), full) }),
  };
}

// Arguments cut mid-token and mid-escape; the UTF-8 of "é", "☕" and "😀" is cut by the byte splits.
const READ: ChatCall = {
  id: "call_r1",
  name: "Read",
  args: ['{"file_', 'path":"/tmp/caf', "é ☕", ' \\"q\\"', ' 😀.txt"', "}"],
};
const BASH: ChatCall = { id: "call_b2", name: "Bash", args: ['{"comm', 'and":"ls -', 'la"}'] };
const EMPTY: ChatCall = { id: "call_e3", name: "ListAgents", args: [] };
const USAGE = { prompt_tokens: 1200, completion_tokens: 48 };

const CHAT: Record<string, Wire> = {
  "Chat: text, then parallel calls, one without arguments": chatWire({
    model: "gpt-4.1",
    content: ["Hé, I'll ", "look ✓"],
    calls: [READ, BASH, EMPTY],
    finish: "tool_calls",
    usage: USAGE,
  }, {}),
  "Chat: DeepSeek reasoning_content, then text, then a call": chatWire({
    model: "deepseek-v4-pro",
    reasoning: ["The user wants ", "a listing — ", "ünïcode."],
    content: ["Running ", "it."],
    calls: [BASH],
    finish: "tool_calls",
    usage: USAGE,
  }, { dialect: OPENAI_DIALECTS.deepseek }),
  "Chat: Kimi reasoning_content, then its tool tokens in content": chatWire({
    model: "kimi-k2-thinking",
    reasoning: ["Need the files ", "first."],
    content: [
      "Listing.<|tool_calls_sec",
      "tion_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>",
      '{"command":"ls é',
      '"}<|tool_call_end|><|tool_call_begin|>functions.ListAgents:1',
      "<|tool_call_argument_begin|>{}<|tool_call_end|><|tool_calls_section_end|>",
    ],
    finish: "stop",
    usage: USAGE,
    blocks: ["thinking", "text", "tool_use", "tool_use"],
  }, { dialect: OPENAI_DIALECTS.kimi }),
  "Chat: Qwen think tags, text, then a Qwen3-Coder call in content": chatWire({
    model: "Qwen/Qwen3-Coder-30B-A3B-Instruct",
    content: [
      "<thi",
      "nk>Plan: é",
      "cho.</th",
      "ink>Let me run it.\n<tool_call>\n<function=Ba",
      "sh>\n<parameter=command>\necho ü",
      "\n</parameter>\n</function>\n</tool",
      "_call>",
    ],
    finish: "stop",
    usage: USAGE,
    blocks: ["thinking", "text", "tool_use"],
  }, { dialect: OPENAI_DIALECTS.local }),
  "Chat: Hermes JSON calls in content, one without arguments": chatWire({
    model: "qwen3:32b",
    content: [
      "Two calls.\n<tool_call>\n",
      '{"name": "Read", "arguments": {"file_path": "/é',
      '"}}\n</tool_call>\n<tool_call>\n{"name": "ListAgents", "arguments": {}}\n</tool_call>',
    ],
    finish: "stop",
    usage: USAGE,
    blocks: ["text", "tool_use", "tool_use"],
  }, { dialect: OPENAI_DIALECTS.local }),
  "Chat: GLM think tags, text, then its key/value calls in content": chatWire({
    model: "zai-org/GLM-4.6",
    content: [
      "<think>List, then re",
      "ad é.</think>On it.\n<tool_call>Ba",
      "sh\n<arg_key>comm",
      "and</arg_key>\n<arg_value>ls ☕</arg_val",
      "ue>\n</tool_call>\n<tool_call>Read<arg_key>file_path</arg_key><arg_value>/é",
      "</arg_value></tool_call>",
    ],
    finish: "stop",
    usage: USAGE,
    blocks: ["thinking", "text", "tool_use", "tool_use"],
  }, { dialect: OPENAI_DIALECTS.local }),
  "Chat: a malformed chunk after text": chatWire({
    model: "gpt-4.1",
    content: ["Hello ", "wörld"],
    malformed: true,
    finish: "stop",
    usage: USAGE,
  }, {}),
};

// Text Generation Inference, as recorded (tests/fixtures/openai/).
const TGI_BYTES = Deno.readFileSync(
  new URL("../fixtures/openai/tgi2_tool_call.sse", import.meta.url),
);
CHAT["Chat: TGI's unnamed call with a usage-only chunk (recorded)"] = {
  sse: decoder.decode(TGI_BYTES),
  translation: () => openAIChatTranslation({ ...BASICS, upstreamModel: "tgi", tools: TOOLS }),
};

// --- Responses ------------------------------------------------------------------------------

const RESPONSES_SCRIPT: ResponsesScript = {
  items: [
    { kind: "reasoning", summary: ["**Plan** é", "Then ☕."], encrypted: "gAAAA-enc" },
    { kind: "text", text: "Reading — ✓ 😀" },
    { kind: "call", name: "Read", args: '{"file_path":"/tmp/café.txt"}', callId: "call_A" },
    { kind: "call", name: "ListAgents", args: "", callId: "call_B" },
  ],
  usage: { input: 20, cached: 5, output: 30, reasoning: 10 },
  piece: 5,
};
const RESPONSES_OPTIONS = { ...BASICS, upstreamModel: "gpt-5.1-codex" };

const RESPONSES: Record<string, Wire> = {
  "Responses: reasoning, text, then parallel calls, one without arguments": {
    sse: responsesSse(RESPONSES_SCRIPT, "gpt-5.1-codex"),
    translation: () => responsesTranslation(RESPONSES_OPTIONS),
    json: () =>
      responsesResponseToAnthropic(
        responseObject(RESPONSES_SCRIPT, "gpt-5.1-codex"),
        RESPONSES_OPTIONS,
      ),
  },
  "Responses: a malformed event after text": {
    sse: responsesSse({ items: [{ kind: "text", text: "Hello wörld" }] }, "gpt-5.1-codex")
      .replace(/(event: response\.output_text\.done)/, "data: {not json\n\n$1"),
    translation: () => responsesTranslation(RESPONSES_OPTIONS),
    fails: true,
  },
};

// --- Gemini ---------------------------------------------------------------------------------

type Part = Record<string, unknown>;
const GEMINI_CHUNKS: Part[][] = [
  [{ text: "**Planning** é", thought: true }],
  [{ text: " then ☕.", thought: true }],
  [{ text: "Reading ", thoughtSignature: "U0lHX0E=" }],
  [{ text: "both 😀." }],
  [
    { functionCall: { name: "Read", args: { file_path: "/tmp/café.txt" } } },
    { functionCall: { name: "ListAgents", args: {} } },
  ],
];
const GEMINI_USAGE = {
  promptTokenCount: 400,
  candidatesTokenCount: 30,
  thoughtsTokenCount: 12,
  totalTokenCount: 442,
};
const GEMINI_OPTIONS = { ...BASICS, upstreamModel: "gemini-2.5-flash", tools: TOOLS };

function geminiSse(chunks: Part[][]): string {
  return chunks.map((parts, i) => {
    const last = i === chunks.length - 1;
    const candidate = {
      content: { parts, role: "model" },
      index: 0,
      ...(last ? { finishReason: "STOP" } : {}),
    };
    const body = {
      candidates: [candidate],
      ...(last ? { usageMetadata: GEMINI_USAGE } : {}),
      modelVersion: "gemini-2.5-flash",
      responseId: "resp-1",
    };
    return `data: ${JSON.stringify(body)}\n\n`;
  }).join("");
}

const GEMINI: Record<string, Wire> = {
  "Gemini: thoughts, text, then parallel calls, one without arguments": {
    sse: geminiSse(GEMINI_CHUNKS),
    translation: () => geminiTranslation(GEMINI_OPTIONS),
    json: () =>
      geminiResponseToAnthropic({
        candidates: [{
          content: {
            role: "model",
            // generateContent joins no parts: each streamed part stands as it came.
            parts: GEMINI_CHUNKS.flat(),
          },
          index: 0,
          finishReason: "STOP",
        }],
        usageMetadata: GEMINI_USAGE,
        modelVersion: "gemini-2.5-flash",
        responseId: "resp-1",
      }, GEMINI_OPTIONS),
  },
  "Gemini: a malformed chunk after text": {
    sse: geminiSse(GEMINI_CHUNKS.slice(0, 4)).replace(/\n\n(?=data)/, '\n\ndata: {"candid\n\n'),
    translation: () => geminiTranslation(GEMINI_OPTIONS),
    fails: true,
  },
};

// --- The Anthropic relay --------------------------------------------------------------------

/** Claude's thinking, text and tool turn, with a ping, a second call without input. */
function anthropicTurn(): SseEvent[] {
  const events = thinkingTextToolTurn("claude-upstream");
  const stopAt = events.findIndex((e) => e.event === "message_delta");
  const ev = (event: string, data: Record<string, unknown>) => ({
    event,
    data: { type: event, ...data },
  });
  const last = events.slice(0, stopAt).filter((e) => e.event === "content_block_start").length;
  events.splice(
    stopAt,
    0,
    ev("content_block_start", {
      index: last,
      content_block: {
        type: "tool_use",
        id: "toolu_01EmptyInputCall000001",
        name: "ListAgents",
        input: {},
      },
    }),
    ev("content_block_delta", {
      index: last,
      delta: { type: "input_json_delta", partial_json: "" },
    }),
    ev("content_block_stop", { index: last }),
  );
  events.splice(1, 0, ev("ping", {}));
  return events;
}

const RELAY: Record<string, Wire> = {
  "Anthropic relay: thinking, text, then two calls, one without input": {
    sse: encodeEvents(anthropicTurn()),
    relayed: true,
  },
  "Anthropic relay: a malformed event inside thinking": {
    sse: encodeEvents(anthropicTurn().slice(0, 6)) +
      'event: content_block_delta\ndata: {"type":"content_bl\n\n',
    relayed: true,
    fails: true,
  },
};

/** The recorded answers in tests/fixtures/`dir`, each on `wire`; those named `failing` fail. */
function recorded(
  dir: string,
  wire: Omit<Wire, "sse">,
  failing: readonly string[],
): Record<string, Wire> {
  const url = new URL(`../fixtures/${dir}/`, import.meta.url);
  const names = [...Deno.readDirSync(url)].map((e) => e.name).filter((n) => n.endsWith(".sse"));
  return Object.fromEntries(
    names.sort().map((name) => [
      `${dir}/${name} (recorded)`,
      {
        ...wire,
        sse: decoder.decode(Deno.readFileSync(new URL(name, url))),
        fails: failing.includes(name),
      },
    ]),
  );
}

const WIRES: Record<string, Wire> = {
  ...CHAT,
  ...RESPONSES,
  ...recorded(
    "openai_responses",
    { translation: () => responsesTranslation(RESPONSES_OPTIONS) },
    ["failed_at_start.sse", "rate_limited_at_start.sse"],
  ),
  ...GEMINI,
  ...RELAY,
  ...recorded("anthropic", { relayed: true }, ["glm_network_error.sse"]),
};

// --- Running --------------------------------------------------------------------------------

function relay(wire: Wire, chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  const upstream = ReadableStream.from(chunks);
  const hooks = { describeUpstream: "Upstream provider", pingIntervalMs: 0 };
  return wire.translation
    ? relayTranslatedStream(upstream, wire.translation(), hooks)
    : relayAnthropicStream(upstream, { ...hooks, clientModel: BASICS.clientModel, keys: [] });
}

/** ccp's output for the upstream's chunks, its generated ids made constant. */
async function output(wire: Wire, chunks: Uint8Array[]): Promise<string> {
  const bytes = new Uint8Array(await new Response(relay(wire, chunks)).arrayBuffer());
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    .replace(/toolu_[A-Za-z0-9]{24}/g, "toolu_GENERATED")
    .replace(/"msg_[A-Za-z0-9_]+"/g, '"msg_ID"');
}

/** The events a standard SSE client reads in ccp's output. */
function events(sse: string): GrammarEvent[] {
  const out: GrammarEvent[] = [];
  const parser = createParser({
    onEvent: (e) => out.push({ event: e.event ?? "message", data: JSON.parse(e.data) }),
  });
  parser.feed(sse);
  return out;
}

/**
 * The ways `bytes` are cut: one byte per read, random many-way cuts, and cuts at every point of a
 * short stream (`every`; points an event apart in one pass, which everyPointSpaced says checks each
 * as alone), or two-way cuts at points spread over a long one.
 */
function splits(bytes: Uint8Array, random: () => number, every: boolean): number[][] {
  const n = bytes.length;
  const out: number[][] = [Array.from({ length: n }, (_, i) => i)];
  if (every && n <= 4000) out.push(...everyPointSpaced(bytes));
  else for (let cut = 1; cut < n; cut += Math.ceil(n / 150)) out.push([cut]);
  for (let run = 0; run < 30; run++) {
    const k = 2 + Math.floor(random() * 24);
    out.push(Array.from({ length: k }, () => Math.floor(random() * n)));
  }
  return out;
}

/** Content, stop reason and output tokens: what a streamed and a JSON answer must agree on. */
function answer(m: AnthropicMessage): unknown {
  const normalized = JSON.stringify(
    m.content,
    (k, v) => k === "citations" && v === null ? undefined : v,
  ).replace(/toolu_[A-Za-z0-9]{24}/g, "toolu_GENERATED");
  return {
    content: JSON.parse(normalized),
    stop_reason: m.stop_reason,
    output_tokens: m.usage.output_tokens,
  };
}

for (const [name, wire] of Object.entries(WIRES)) {
  Deno.test(`property: ${name} — the same events however split, in Anthropic's grammar`, async () => {
    const lf = encoder.encode(wire.sse);
    const reference = await output(wire, [lf]);
    const seen = events(reference);
    assertAnthropicGrammar(seen, { ccp: !wire.relayed });
    assert.equal(seen.at(-1)?.event, wire.fails ? "error" : "message_stop", reference);
    const framings = {
      lf,
      crlf: encoder.encode(wire.sse.replaceAll("\n", "\r\n")),
      bom: encoder.encode(`\uFEFF${wire.sse}`),
      cr: encoder.encode(wire.sse.replaceAll("\n", "\r")),
    };
    const random = seeded(lf.length);
    for (const [framing, bytes] of Object.entries(framings)) {
      const whole = await output(wire, [bytes]);
      assert.deepEqual(events(whole), seen, `${framing}: the same events as LF`);
      for (const cuts of splits(bytes, random, framing === "lf" || framing === "crlf")) {
        const got = await output(wire, splitAt(bytes, cuts));
        if (got !== whole) assert.equal(got, whole, `${framing}, cut at ${cuts}`);
      }
    }
  });

  if (wire.fails) continue;
  Deno.test(`${name} — a client that asked for JSON gets the streamed answer`, async () => {
    const reference = await output(wire, [encoder.encode(wire.sse)]);
    const message = await sdkMessage(reference);
    if (wire.blocks) assert.deepEqual(message.content.map((b) => b.type), wire.blocks);
    const streamed = answer(message as unknown as AnthropicMessage);
    const collected = await collectMessage(
      relay(wire, [encoder.encode(wire.sse)]),
      1 << 24,
      "Upstream provider",
    );
    assert.deepEqual(answer(collected), streamed, "collected from the stream");
    if (wire.json) {
      const json = wire.json();
      assert.deepEqual(answer(json), streamed, "the upstream's JSON answer");
      // A JSON answer a client wanted streamed keeps the grammar too.
      assertAnthropicGrammar(events(messageToSse(json)));
    }
  });
}
