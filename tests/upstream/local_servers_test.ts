/**
 * ccp in front of each local server's Anthropic-compatible endpoint, end to end: Claude
 * Code-shaped requests in, the server's own way of answering (tests/mocks/local_servers.ts) out,
 * and what the client gets checked as an Anthropic stream or Message every time.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import type { Config, ProviderConfig } from "../../src/config/types.ts";
import {
  type Dialect,
  DIALECTS,
  type LocalServer,
  type Script,
  startLocalServer,
  type Turn,
} from "../mocks/local_servers.ts";

type Event = { event: string; data: Record<string, unknown> };
type Json = Record<string, unknown>;

/** What is wrong with `events` as an Anthropic Messages stream a client reads; [] when nothing. */
function streamProblems(events: readonly Event[]): string[] {
  const problems: string[] = [];
  const body = events.filter((e) => e.event !== "ping");
  const start = body[0];
  const message = start?.data.message as Json | undefined;
  if (start?.event !== "message_start" || !message) {
    return ["the stream does not open with message_start"];
  }
  if (message.type !== "message") problems.push('message_start.message.type is not "message"');
  if (message.role !== "assistant") problems.push('message_start.message.role is not "assistant"');
  if (!Array.isArray(message.content)) problems.push("message_start.message.content is no list");
  const usage = message.usage as Json | undefined;
  if (typeof usage?.input_tokens !== "number") problems.push("no message_start usage.input_tokens");
  if (typeof usage?.output_tokens !== "number") {
    problems.push("no message_start usage.output_tokens");
  }
  const open = new Set<number>();
  const seen = new Set<number>();
  let delta: Json | undefined;
  for (const { event, data } of body.slice(1)) {
    if (data.type !== event) problems.push(`event ${event} carries type ${data.type}`);
    const index = data.index as number;
    if (event === "message_start") problems.push("a second message_start");
    else if (event === "content_block_start") {
      if (seen.has(index)) problems.push(`block ${index} started twice`);
      seen.add(index);
      open.add(index);
      const block = data.content_block as Json;
      if (block.type === "tool_use" && (typeof block.input !== "object" || block.input === null)) {
        problems.push(`tool_use block ${index} starts without input`);
      }
    } else if (event === "content_block_delta") {
      if (!open.has(index)) problems.push(`delta for block ${index}, which is not open`);
    } else if (event === "content_block_stop") {
      if (!open.delete(index)) problems.push(`stop for block ${index}, which is not open`);
    } else if (event === "message_delta") {
      if (open.size > 0) problems.push(`message_delta with blocks ${[...open]} still open`);
      delta = data;
    }
  }
  if ([...seen].sort((a, b) => a - b).some((index, i) => index !== i)) {
    problems.push(`block indexes ${[...seen]} are not 0, 1, 2, …`);
  }
  if (!delta) problems.push("no message_delta");
  else if (typeof (delta.usage as Json | undefined)?.output_tokens !== "number") {
    problems.push("no message_delta usage.output_tokens");
  }
  if (body.at(-1)?.event !== "message_stop") {
    problems.push("the stream does not end with message_stop");
  }
  return problems;
}

/** The Message a client's accumulator builds from a checked stream. */
function collected(events: readonly Event[]): Json {
  const message: Json & { content: Json[] } = {
    ...(events[0]!.data.message as Json),
    content: [],
  };
  const json = new Map<number, string>();
  for (const { event, data } of events) {
    const index = data.index as number;
    const delta = data.delta as Json;
    if (event === "content_block_start") message.content[index] = { ...data.content_block as Json };
    else if (event === "content_block_delta") {
      const block = message.content[index]!;
      if (delta.type === "text_delta") block.text += delta.text as string;
      if (delta.type === "thinking_delta") block.thinking += delta.thinking as string;
      if (delta.type === "signature_delta") block.signature = delta.signature;
      if (delta.type === "input_json_delta") {
        json.set(index, (json.get(index) ?? "") + delta.partial_json);
      }
    } else if (event === "content_block_stop" && json.has(index)) {
      message.content[index]!.input = JSON.parse(json.get(index)!);
    } else if (event === "message_delta") {
      Object.assign(message, delta);
      message.usage = { ...message.usage as Json, ...data.usage as Json };
    }
  }
  return message;
}

/** What a block list says, without ids and signatures (each server makes its own). */
function shape(content: readonly Json[]): Json[] {
  return content.map(({ id: _id, signature: _signature, ...rest }) => rest);
}

const TOOLS_TURN: Turn = {
  thinking: ["The user wants two files ", "read at once."],
  text: ["Reading both."],
  tools: [
    { name: "Read", args: ['{"file_pa', 'th": "/tmp/a.txt"}'] },
    { name: "Read", args: ['{"file_path": "/tmp/b.txt"}'] },
    { name: "ListAgents", args: [] },
  ],
  inputTokens: 5200,
  cachedTokens: 4096,
  outputTokens: 61,
};

const TOOLS_CONTENT = [
  { type: "thinking", thinking: "The user wants two files read at once." },
  { type: "text", text: "Reading both." },
  { type: "tool_use", name: "Read", input: { file_path: "/tmp/a.txt" } },
  { type: "tool_use", name: "Read", input: { file_path: "/tmp/b.txt" } },
  { type: "tool_use", name: "ListAgents", input: {} },
];

/** A request as Claude Code sends one (trimmed): system blocks, a system message, tools, thinking. */
function claudeCodeBody(stream: boolean, model: string): Json {
  return {
    model,
    messages: [
      { role: "user", content: [{ type: "text", text: "Read /tmp/a.txt and /tmp/b.txt" }] },
      { role: "system", content: [{ type: "text", text: "# Environment\nLinux" }] },
    ],
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.330.f73;" },
      { type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } },
    ],
    tools: [
      {
        name: "Read",
        description: "Reads a file",
        input_schema: { type: "object", properties: { file_path: { type: "string" } } },
      },
      { name: "ListAgents", description: "Lists agents", input_schema: { type: "object" } },
    ],
    metadata: { user_id: "u" },
    max_tokens: 32000,
    thinking: { type: "enabled", budget_tokens: 31999 },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    stream,
  };
}

/** Runs `use` against ccp in front of a mock of `dialect`, which follows `scripts`. */
async function withServer(
  dialect: Dialect,
  scripts: Script[],
  use: (ask: (stream: boolean) => Promise<Response>, server: LocalServer) => Promise<void>,
): Promise<void> {
  const server = startLocalServer(dialect, scripts);
  // Ollama's preset points at the server root, the others at /v1, as their presets do.
  const baseUrl = dialect.id === "ollama" ? server.url : `${server.url}/v1`;
  const ccp = startCcp(testConfig({
    providers: [provider(dialect.id, { preset: dialect.id, baseUrl, maxRetries: 0 })],
    routes: { default: `${dialect.id}/local-model` },
  }));
  const ask = (stream: boolean) =>
    fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify(claudeCodeBody(stream, "claude-opus-5-5")),
    });
  try {
    await use(ask, server);
  } finally {
    await ccp.close();
    await server.close();
  }
}

async function eachDialect(
  t: Deno.TestContext,
  run: (dialect: Dialect) => Promise<void>,
): Promise<void> {
  for (const dialect of DIALECTS) await t.step(dialect.id, () => run(dialect));
}

Deno.test("local servers: a thinking, text and parallel tool turn streams as Anthropic sends it", async (t) => {
  await eachDialect(
    t,
    (dialect) =>
      withServer(dialect, [{ kind: "turn", turn: TOOLS_TURN }], async (ask) => {
        const response = await ask(true);
        assert.equal(response.status, 200);
        const events = parseSse(await response.text());
        assert.deepEqual(streamProblems(events), []);
        const message = collected(events);
        assert.equal(message.model, "claude-opus-5-5");
        assert.deepEqual(shape(message.content as Json[]), TOOLS_CONTENT);
        assert.equal(message.stop_reason, "tool_use");
        const usage = message.usage as Json;
        assert.equal(usage.output_tokens, 61);
        // llama.cpp counts its prompt cache apart; together they are the whole prompt.
        assert.equal(
          (usage.input_tokens as number) + ((usage.cache_read_input_tokens as number) ?? 0),
          5200,
        );
      }),
  );
});

Deno.test("local servers: text answers and answers cut at max_tokens stream whole", async (t) => {
  const text: Turn = { text: ["Hel", "lo ", "wörld ✓"], inputTokens: 12, outputTokens: 4 };
  const cut: Turn = { text: ["A long"], cut: true, inputTokens: 12, outputTokens: 2 };
  await eachDialect(
    t,
    (dialect) =>
      withServer(
        dialect,
        [{ kind: "turn", turn: text }, { kind: "turn", turn: cut }],
        async (ask) => {
          for (const [want, stop] of [["Hello wörld ✓", "end_turn"], ["A long", "max_tokens"]]) {
            const events = parseSse(await (await ask(true)).text());
            assert.deepEqual(streamProblems(events), []);
            const message = collected(events);
            assert.deepEqual(message.content, [{ type: "text", text: want }]);
            assert.equal(message.stop_reason, stop);
          }
        },
      ),
  );
});

Deno.test("local servers: an answer whose first token is half a character still opens with message_start", async (t) => {
  const emoji: Turn = {
    text: ["🙂 Done."],
    firstTokenSplit: true,
    inputTokens: 30,
    outputTokens: 5,
  };
  await eachDialect(
    t,
    (dialect) =>
      withServer(dialect, [{ kind: "turn", turn: emoji }], async (ask) => {
        for (const stream of [true, false]) {
          const response = await ask(stream);
          assert.equal(response.status, 200);
          if (!stream) {
            assert.deepEqual((await response.json()).content, [{ type: "text", text: "🙂 Done." }]);
            continue;
          }
          const events = parseSse(await response.text());
          assert.deepEqual(streamProblems(events), []);
          const message = collected(events);
          assert.equal(message.model, "claude-opus-5-5");
          assert.deepEqual(message.content, [{ type: "text", text: "🙂 Done." }]);
        }
      }),
  );
});

Deno.test("llama.cpp: the message_start ccp writes carries ccp's count when it made one", async (t) => {
  const llamacpp = DIALECTS.find((d) => d.id === "llamacpp")!;
  const emoji: Turn = {
    text: ["🙂 Done."],
    firstTokenSplit: true,
    inputTokens: 30,
    outputTokens: 5,
  };
  const TARGET = { provider: "llamacpp", model: "local-model" };
  const cases: Array<[string, Partial<ProviderConfig>, Partial<Config>]> = [
    // ccp counts the prompt to fit max_tokens into the window before it sends.
    ["a context window", { modelSettings: { "*": { contextWindow: 128_000 } } }, {}],
    // ccp counts the prompt to decide the long_context route.
    ["a long_context route", {}, {
      routes: { default: [TARGET], long_context: [TARGET] },
      routing: { longContextThreshold: 10, thinkBudgetTokens: 32_000 },
    }],
  ];
  for (const [name, over, configOver] of cases) {
    await t.step(name, async () => {
      const server = startLocalServer(llamacpp, [{ kind: "turn", turn: emoji }]);
      const ccp = startCcp({
        ...testConfig({
          providers: [provider("llamacpp", {
            preset: "llamacpp",
            baseUrl: `${server.url}/v1`,
            ...over,
          })],
          routes: { default: "llamacpp/local-model" },
        }),
        ...configOver,
      });
      try {
        const response = await fetch(`${ccp.url}/v1/messages?beta=true`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(claudeCodeBody(true, "claude-opus-5-5")),
        });
        const events = parseSse(await response.text());
        assert.deepEqual(streamProblems(events), []);
        const usage = (events[0]!.data.message as Json).usage as Json;
        assert.ok((usage.input_tokens as number) > 0, JSON.stringify(usage));
      } finally {
        await ccp.close();
        await server.close();
      }
    });
  }
});

Deno.test("local servers: JSON answers come back as Anthropic Messages, empty ones too", async (t) => {
  const empty: Turn = { inputTokens: 9, outputTokens: 1 };
  await eachDialect(t, (dialect) =>
    withServer(
      dialect,
      [{ kind: "turn", turn: TOOLS_TURN }, { kind: "turn", turn: empty }],
      async (ask) => {
        const response = await ask(false);
        assert.equal(response.status, 200);
        const message = await response.json();
        assert.equal(message.type, "message");
        assert.equal(message.model, "claude-opus-5-5");
        assert.deepEqual(shape(message.content), TOOLS_CONTENT);
        assert.equal(message.stop_reason, "tool_use");
        assert.equal(message.usage.output_tokens, 61);
        const none = await ask(false);
        assert.equal(none.status, 200, "an empty answer is an answer");
        const nothing = await none.json();
        assert.deepEqual(nothing.content, []);
        assert.equal(nothing.stop_reason, "end_turn");
      },
    ));
});

Deno.test("local servers: a failure mid-stream ends the client's stream with one Anthropic error", async (t) => {
  const partial: Turn = { text: ["Half an ans"], inputTokens: 12, outputTokens: 3 };
  await eachDialect(t, (dialect) =>
    withServer(
      dialect,
      [{ kind: "fail_mid_stream", turn: partial, message: "CUDA error: out of memory" }],
      async (ask) => {
        const events = parseSse(await (await ask(true)).text());
        assert.equal(events[0]!.event, "message_start");
        const errors = events.filter((e) => e.event === "error");
        assert.equal(errors.length, 1);
        assert.equal(events.at(-1), errors[0], "nothing follows the error");
        const error = errors[0]!.data;
        assert.equal(error.type, "error");
        assert.equal((error.error as Json).type, "api_error");
        const said = (error.error as Json).message as string;
        // Ollama's stream just stops; the others say why, and ccp passes their words on.
        if (dialect.midStreamError === "cut") assert.match(said, /before message_stop/);
        else assert.match(said, /CUDA error: out of memory/);
        assert.ok(!events.some((e) => e.event === "message_stop"));
      },
    ));
});

// Each server's own words when the prompt does not fit its context (Ollama truncates instead).
const OVERFLOW: Readonly<Record<Dialect["id"], string | undefined>> = {
  ollama: undefined,
  llamacpp:
    "request (40960 tokens) exceeds the available context size (32768 tokens), try increasing it",
  vllm:
    "This model's maximum context length is 32768 tokens. However, you requested 72960 tokens (40960 in the messages, 32000 in the completion). Please reduce the length of the messages or completion.",
  lmstudio:
    "Trying to keep the first 40960 tokens when context the overflows. However, the model is loaded with context length of only 32768 tokens, which is not enough.",
};

Deno.test("local servers: refusals keep their meaning, an overflow reads as Anthropic's", async (t) => {
  await eachDialect(t, async (dialect) => {
    const overflow = OVERFLOW[dialect.id];
    const scripts: Script[] = [
      { kind: "refuse", status: 404, message: "model 'local-model' not found" },
      ...(overflow ? [{ kind: "refuse" as const, status: 400, message: overflow }] : []),
    ];
    await withServer(dialect, scripts, async (ask) => {
      const missing = await ask(true);
      const body = await missing.json();
      assert.equal(body.type, "error");
      assert.match(body.error.message, /model 'local-model' not found/);
      if (dialect.id === "ollama") {
        // Ollama's words name no fix, ccp's do: a 400, whose message Claude Code prints.
        assert.equal(missing.status, 400);
        assert.equal(body.error.type, "invalid_request_error");
        assert.match(body.error.message, /run `ollama pull local-model`/);
      } else {
        assert.equal(missing.status, 404);
        assert.equal(body.error.type, "not_found_error");
      }
      if (!overflow) return;
      const long = await ask(true);
      assert.equal(long.status, 400);
      const refused = await long.json();
      assert.equal(refused.error.type, "invalid_request_error");
      // Claude Code compacts the conversation only on this wording.
      assert.match(refused.error.message, /^prompt is too long|^input length and `max_tokens`/);
    });
  });
});
