/**
 * Tool calls and `<think>` reasoning a local model writes into the text of its Anthropic answer
 * (Ollama's and llama.cpp's Anthropic endpoints leave them there when the server's parser misses
 * the model's format), read out of it when the model's settings turn `text_tool_calls` on.
 */

import assert from "node:assert/strict";
import { relayAnthropicStream } from "../../src/upstream/anthropic/relay.ts";
import {
  offeredAnthropicTools,
  TextBlocksRewriter,
} from "../../src/upstream/anthropic/text_blocks.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

type Json = Record<string, unknown>;

const enc = new TextEncoder();
const TOOLS = [
  { name: "Read", input_schema: { type: "object" } },
  { name: "Bash", input_schema: { type: "object" } },
];

/** Ollama's Anthropic stream of `pieces` as one text block (no ping, its usage). */
function ollamaSse(pieces: readonly string[], extra: readonly Json[] = []): string {
  const events: Json[] = [
    {
      type: "message_start",
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "qwen3-coder",
        content: [],
        usage: { input_tokens: 10, output_tokens: 0 },
      },
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
    ...pieces.map((text) => ({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text },
    })),
    { type: "content_block_stop", index: 0 },
    ...extra,
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 20 },
    },
    { type: "message_stop" },
  ];
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
}

function chunked(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = enc.encode(text);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.slice(i, i + size));
  return ReadableStream.from(parts);
}

async function relayed(sse: ReadableStream<Uint8Array>, tools: readonly Json[] = TOOLS) {
  let stopReason: string | undefined;
  const body = relayAnthropicStream(sse, {
    clientModel: "claude-x",
    describeUpstream: "Ollama",
    rewriter: new TextBlocksRewriter(offeredAnthropicTools(tools), "qwen3-coder"),
    onEnd: (o) => (stopReason = o.stopReason),
  });
  const events = parseSse(await new Response(body).text());
  return { events, stopReason };
}

/** The message a client's accumulator builds, checking the block order as it goes. */
function accumulated(events: ReturnType<typeof parseSse>): Json & { content: Json[] } {
  const message: Json & { content: Json[] } = {
    ...(events[0]!.data.message as Json),
    content: [],
  };
  const open = new Set<number>();
  const json = new Map<number, string>();
  for (const { event, data } of events.slice(1)) {
    const index = data.index as number;
    if (event === "content_block_start") {
      assert.equal(index, message.content.length, "blocks are numbered 0, 1, 2, …");
      assert.equal(open.size, 0, "one block at a time");
      message.content.push(structuredClone(data.content_block as Json));
      open.add(index);
    } else if (event === "content_block_delta") {
      assert.ok(open.has(index), `delta of block ${index}, which is not open`);
      const delta = data.delta as Json;
      const block = message.content[index]!;
      if (delta.type === "text_delta") block.text = `${block.text}${delta.text}`;
      else if (delta.type === "thinking_delta") {
        block.thinking = `${block.thinking}${delta.thinking}`;
      } else json.set(index, (json.get(index) ?? "") + delta.partial_json);
    } else if (event === "content_block_stop") {
      assert.ok(open.delete(index), `stop of block ${index}, which is not open`);
      if (json.has(index)) message.content[index]!.input = JSON.parse(json.get(index)!);
    } else if (event === "message_delta") {
      assert.equal(open.size, 0);
      message.stop_reason = (data.delta as Json).stop_reason;
    }
  }
  assert.equal(events.at(-1)?.event, "message_stop");
  return message;
}

/** The blocks without tool ids, which are new each time. */
function shapes(content: readonly Json[]): Json[] {
  return content.map(({ id, ...rest }) => {
    if (rest.type === "tool_use") assert.match(id as string, /^toolu_/);
    return rest;
  });
}

const HERMES = 'Let me look.\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n' +
  "</tool_call>";
const QWEN3_XML = "<tool_call>\n<function=Bash>\n<parameter=command>\nls -la\n</parameter>\n" +
  "</function>\n</tool_call>";
const THINK = "<think>The file first.</think>Reading it. ";

Deno.test("anthropic text tools: a call, <think> and a Qwen3 XML call split at every place", async (t) => {
  const text = THINK + HERMES + QWEN3_XML;
  const want = [
    { type: "thinking", thinking: "The file first.", signature: "" },
    { type: "text", text: "Reading it. Let me look.\n" },
    { type: "tool_use", name: "Read", input: { file_path: "/a" } },
    { type: "tool_use", name: "Bash", input: { command: "ls -la" } },
  ];
  await t.step("two deltas, cut at every character", async () => {
    for (let at = 0; at <= text.length; at++) {
      const { events, stopReason } = await relayed(
        ReadableStream.from([enc.encode(ollamaSse([text.slice(0, at), text.slice(at)]))]),
      );
      const message = accumulated(events);
      assert.deepEqual(shapes(message.content), want, `cut at ${at}`);
      assert.equal(message.stop_reason, "tool_use");
      assert.equal(stopReason, "tool_use");
    }
  });
  await t.step("one character a delta, the bytes cut 1, 3 and 7 at a time", async () => {
    const sse = ollamaSse([...text]);
    for (const size of [1, 3, 7]) {
      const message = accumulated((await relayed(chunked(sse, size))).events);
      assert.deepEqual(shapes(message.content), want, `bytes ${size} at a time`);
    }
  });
});

Deno.test("anthropic text tools: later blocks are renumbered, their ids and input kept", async () => {
  const native = [
    {
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: "toolu_n", name: "Bash", input: {} },
    },
    {
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: '{"command":"pwd"}' },
    },
    { type: "content_block_stop", index: 1 },
  ];
  const { events } = await relayed(chunked(ollamaSse([HERMES], native), 5));
  const message = accumulated(events);
  assert.deepEqual(shapes(message.content), [
    { type: "text", text: "Let me look.\n" },
    { type: "tool_use", name: "Read", input: { file_path: "/a" } },
    { type: "tool_use", name: "Bash", input: { command: "pwd" } },
  ]);
  assert.equal(message.content[2]!.id, "toolu_n");
  assert.equal(message.stop_reason, "tool_use");
});

Deno.test("anthropic text tools: CRLF line ends and `data:` without its space are read too", async () => {
  // Both are SSE the relay's checks accept and pass on as they came, several events a read.
  const native = [
    {
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: "toolu_n", name: "Bash", input: {} },
    },
    {
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: '{"command":"pwd"}' },
    },
    { type: "content_block_stop", index: 1 },
  ];
  const sse = ollamaSse([HERMES], native);
  const variants = {
    crlf: sse.replaceAll("\n", "\r\n"),
    "no space": sse.replaceAll("data: ", "data:"),
  };
  for (const [name, text] of Object.entries(variants)) {
    const { events, stopReason } = await relayed(ReadableStream.from([enc.encode(text)]));
    const message = accumulated(events);
    assert.deepEqual(shapes(message.content), [
      { type: "text", text: "Let me look.\n" },
      { type: "tool_use", name: "Read", input: { file_path: "/a" } },
      { type: "tool_use", name: "Bash", input: { command: "pwd" } },
    ], name);
    assert.equal(stopReason, "tool_use", name);
  }
});

Deno.test("anthropic text tools: what is no call stays text, and the answer ends its turn", async () => {
  const cases = [
    'Use <tool_call>{"name": "Rm", "arguments": {}}</tool_call> never.',
    '<tool_call>{"name": "Bash", "arguments": {"command": </tool_call>',
    "a < b and <think but no tag",
    "Plain answer.",
  ];
  for (const text of cases) {
    const { events, stopReason } = await relayed(chunked(ollamaSse([...text]), 4));
    const message = accumulated(events);
    assert.deepEqual(message.content, [{ type: "text", text }], text);
    assert.equal(message.stop_reason, "end_turn");
    assert.equal(stopReason, "end_turn");
  }
  // No tools offered: a call is not read, since it could name none of them.
  const { events } = await relayed(chunked(ollamaSse([HERMES]), 9), []);
  assert.deepEqual(accumulated(events).content, [{ type: "text", text: HERMES }]);
});

Deno.test("anthropic text tools: llama.cpp without message_start and a block it left open", async () => {
  // llama.cpp opens with the first token's chunk; this one also ends without stopping its block.
  const sse = ollamaSse([THINK, HERMES]).split("\n\n").filter((e) =>
    !e.startsWith("event: message_start") && !e.startsWith("event: content_block_stop")
  ).join("\n\n");
  const message = accumulated((await relayed(chunked(sse, 11))).events);
  assert.deepEqual(shapes(message.content), [
    { type: "thinking", thinking: "The file first.", signature: "" },
    { type: "text", text: "Reading it. Let me look.\n" },
    { type: "tool_use", name: "Read", input: { file_path: "/a" } },
  ]);
  assert.equal(message.stop_reason, "tool_use");
});

/** A local server's Anthropic endpoint answering every request with `text`, as SSE or JSON. */
function startLocal(text: string) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    if (body.stream) {
      return new Response(ollamaSse([...text]), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    return Response.json({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "qwen3-coder",
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 20 },
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function localConfig(url: string, textToolCalls: boolean | undefined) {
  return testConfig({
    providers: [provider("ollama", {
      preset: "ollama",
      baseUrl: url,
      ...(textToolCalls === undefined
        ? {}
        : { modelSettings: { "qwen3-coder": { textToolCalls } } }),
    })],
    routes: { default: "ollama/qwen3-coder" },
  });
}

const REQUEST = {
  model: "claude-sonnet-4-6",
  max_tokens: 100,
  messages: [{ role: "user", content: "read /a" }],
  tools: TOOLS,
};

Deno.test("anthropic text tools: through ccp, streamed and not, only where the settings ask", async () => {
  const local = startLocal(THINK + HERMES);
  try {
    for (const textToolCalls of [true, false, undefined]) {
      const ccp = startCcp(localConfig(local.url, textToolCalls));
      try {
        const streamed = await postMessages(ccp.url, { ...REQUEST, stream: true });
        const message = accumulated(parseSse(await streamed.text()));
        const json = await (await postMessages(ccp.url, REQUEST)).json() as Json & {
          content: Json[];
        };
        if (textToolCalls) {
          const want = [
            { type: "thinking", thinking: "The file first.", signature: "" },
            { type: "text", text: "Reading it. Let me look.\n" },
            { type: "tool_use", name: "Read", input: { file_path: "/a" } },
          ];
          assert.deepEqual(shapes(message.content), want);
          assert.equal(message.stop_reason, "tool_use");
          assert.deepEqual(shapes(json.content), want);
          assert.equal(json.stop_reason, "tool_use");
        } else {
          assert.deepEqual(message.content, [{ type: "text", text: THINK + HERMES }]);
          assert.equal(message.stop_reason, "end_turn");
          assert.deepEqual(json.content, [{ type: "text", text: THINK + HERMES }]);
          assert.equal(json.stop_reason, "end_turn");
        }
      } finally {
        await ccp.close();
      }
    }
  } finally {
    await local.close();
  }
});

Deno.test("anthropic text tools: a model whose template opens <think> in the prompt", async () => {
  const sse = ollamaSse(["Check the file", ".</think>Done."]);
  let body = relayAnthropicStream(ReadableStream.from([enc.encode(sse)]), {
    clientModel: "claude-x",
    describeUpstream: "Ollama",
    rewriter: new TextBlocksRewriter([], "qwq-32b"),
  });
  assert.deepEqual(accumulated(parseSse(await new Response(body).text())).content, [
    { type: "thinking", thinking: "Check the file.", signature: "" },
    { type: "text", text: "Done." },
  ]);
  // Another model's `</think>` alone is its answer's text.
  body = relayAnthropicStream(ReadableStream.from([enc.encode(sse)]), {
    clientModel: "claude-x",
    describeUpstream: "Ollama",
    rewriter: new TextBlocksRewriter([], "qwen3-coder"),
  });
  const content = accumulated(parseSse(await new Response(body).text())).content;
  assert.equal(content.length, 1);
  assert.equal(content[0]!.type, "text");
});

/** A client asking for JSON gets the local server's `answer` text as the `want` tool calls. */
async function assertJsonAnswer(answer: string, want: Json[]): Promise<void> {
  const local = startLocal(answer);
  const ccp = startCcp(localConfig(local.url, true));
  try {
    const json = await (await postMessages(ccp.url, REQUEST)).json() as Json & { content: Json[] };
    assert.deepEqual(shapes(json.content), want);
    assert.equal(json.stop_reason, "tool_use");
  } finally {
    await ccp.close();
    await local.close();
  }
}

Deno.test("anthropic text tools: a bare JSON call as the whole answer, streamed and not", async () => {
  const bare = '```json\n{"name": "Read", "arguments": {"file_path": "/a"}}\n```';
  const want = [{ type: "tool_use", name: "Read", input: { file_path: "/a" } }];
  for (let at = 0; at <= bare.length; at++) {
    const { events, stopReason } = await relayed(
      ReadableStream.from([enc.encode(ollamaSse([bare.slice(0, at), bare.slice(at)]))]),
    );
    assert.deepEqual(shapes(accumulated(events).content), want, `cut at ${at}`);
    assert.equal(stopReason, "tool_use");
  }
  // The same JSON in prose is the answer's text.
  const prose = `Call it as ${bare.slice(8, -4)} later.`;
  const { events, stopReason } = await relayed(chunked(ollamaSse([...prose]), 5));
  assert.deepEqual(accumulated(events).content, [{ type: "text", text: prose }]);
  assert.equal(stopReason, "end_turn");
  await assertJsonAnswer(bare, want);
});

Deno.test("anthropic text tools: bare JSON calls as a JSON array, the stream cut at every byte", async () => {
  const array = '[{"name": "Read", "arguments": {"file_path": "/é"}}, ' +
    '{"name": "Read", "arguments": {"file_path": "/b"}}]';
  const want = [
    { type: "tool_use", name: "Read", input: { file_path: "/é" } },
    { type: "tool_use", name: "Read", input: { file_path: "/b" } },
  ];
  const bytes = enc.encode(ollamaSse([array.slice(0, 20), array.slice(20)]));
  for (let at = 1; at < bytes.length; at++) {
    const { events, stopReason } = await relayed(
      ReadableStream.from([bytes.slice(0, at), bytes.slice(at)]),
    );
    assert.deepEqual(shapes(accumulated(events).content), want, `cut at byte ${at}`);
    assert.equal(stopReason, "tool_use");
  }
  // An array that holds a call of a tool not offered is the answer's text.
  const other = '[{"name": "Read", "arguments": {}}, {"name": "Rm", "arguments": {}}]';
  const { events, stopReason } = await relayed(chunked(ollamaSse([...other]), 5));
  assert.deepEqual(accumulated(events).content, [{ type: "text", text: other }]);
  assert.equal(stopReason, "end_turn");
  await assertJsonAnswer(array, want);
});

Deno.test("anthropic text tools: each event's JSON is parsed once, by the relay's checks", async () => {
  // One event a read, as a local server streams them: the rewriter reads the data the checks
  // parsed instead of decoding the checked bytes and parsing every event again.
  const pieces = Array.from({ length: 40 }, (_, i) => `word${i} `);
  const reads = ollamaSse(pieces).split(/(?<=\n\n)/).map((event) => enc.encode(event));
  const parse = JSON.parse;
  let parses = 0;
  JSON.parse = (...args: Parameters<typeof JSON.parse>) => {
    parses++;
    return parse(...args);
  };
  let text: string;
  try {
    const body = relayAnthropicStream(ReadableStream.from(reads), {
      clientModel: "claude-x",
      describeUpstream: "Ollama",
      rewriter: new TextBlocksRewriter(offeredAnthropicTools(TOOLS), "qwen3-coder"),
    });
    text = await new Response(body).text();
  } finally {
    JSON.parse = parse;
  }
  const events = parseSse(text);
  assert.equal(accumulated(events).content[0]!.text, pieces.join(""));
  // The upstream's events once, and the three ccp writes anew once more (message_start with the
  // client's model, the held message_delta and message_stop at the end): twice each without.
  assert.ok(parses <= reads.length + 3, `${parses} parses of ${reads.length} events`);
});

/** SSE as a client reads it: comments skipped, `data:` lines joined, any line end. */
function clientEvents(text: string): { event: string; data: Json }[] {
  const out: { event: string; data: Json }[] = [];
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(line[5] === " " ? 6 : 5));
    }
    if (data.length > 0) out.push({ event, data: JSON.parse(data.join("\n")) });
  }
  return out;
}

Deno.test("anthropic text tools: pings, comments, unknown and unnamed events, data over two lines, the stream cut at every byte", async () => {
  // Events the rewriter gets from the relay's checks in every form they take: those the checks
  // pass without data (a comment), data the rewriter renumbers (a later tool call), and one the
  // checks write anew (the input a tool call's start carried, sent before its stop).
  const line = (e: Json) => JSON.stringify(e);
  const [head, tail] = [HERMES.slice(0, 20), HERMES.slice(20)];
  const sse = ": keep-alive\n\n" +
    `event: message_start\ndata: ${
      line({
        type: "message_start",
        message: { id: "m", type: "message", role: "assistant", model: "q", content: [] },
      })
    }\n\n` +
    `event: ping\ndata: ${line({ type: "ping" })}\n\n` +
    `data: ${
      line({ type: "content_block_start", index: 0, content_block: { type: "text" } })
    }\n\n` +
    `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,\ndata: "delta":${
      line({ type: "text_delta", text: head })
    }}\n\n` +
    `event: future_event\ndata: ${line({ type: "future_event", note: "x" })}\n\n` +
    `data: ${
      line({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: tail } })
    }\n\n` +
    `event: content_block_stop\ndata: ${line({ type: "content_block_stop", index: 0 })}\n\n` +
    `event: content_block_start\ndata: ${
      line({
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_n", name: "Bash", input: { command: "pwd" } },
      })
    }\n\n` +
    `event: content_block_stop\ndata: ${line({ type: "content_block_stop", index: 1 })}\n\n` +
    `event: message_delta\ndata: ${
      line({
        type: "message_delta",
        delta: { stop_reason: "end_turn" },
        usage: { output_tokens: 9 },
      })
    }\n\n` +
    `event: message_stop\ndata: ${line({ type: "message_stop" })}\n\n`;
  const want = [
    { type: "text", text: "Let me look.\n" },
    { type: "tool_use", name: "Read", input: { file_path: "/a" } },
    { type: "tool_use", name: "Bash", input: { command: "pwd" } },
  ];
  for (const [name, text] of Object.entries({ lf: sse, crlf: sse.replaceAll("\n", "\r\n") })) {
    const bytes = enc.encode(text);
    for (let at = 1; at < bytes.length; at++) {
      let end: { stopReason?: string; usage?: { outputTokens?: number } } = {};
      const body = relayAnthropicStream(
        ReadableStream.from([bytes.slice(0, at), bytes.slice(at)]),
        {
          clientModel: "claude-x",
          describeUpstream: "Ollama",
          rewriter: new TextBlocksRewriter(offeredAnthropicTools(TOOLS), "qwen3-coder"),
          onEnd: (o) => (end = o),
        },
      );
      const events = clientEvents(await new Response(body).text());
      const where = `${name}, cut at byte ${at}`;
      assert.deepEqual(events.map((e) => e.event).slice(0, 2), ["message_start", "ping"], where);
      assert.ok(events.some((e) => e.event === "future_event"), where);
      const message = accumulated(events.filter((e) => e.event !== "ping"));
      assert.deepEqual(shapes(message.content), want, where);
      assert.equal(message.content[2]!.id, "toolu_n", where);
      assert.equal(message.stop_reason, "tool_use", where);
      assert.equal(end.stopReason, "tool_use", where);
      assert.equal(end.usage?.outputTokens, 9, where);
    }
  }
});
