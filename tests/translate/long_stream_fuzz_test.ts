/**
 * Property, for every translated protocol: a long stream made of random events of the protocol
 * (text, reasoning, tool calls under any index or id, unknown event types, nulls and odd numbers
 * where objects and indexes belong), in any order and split anywhere, gives a well-formed
 * Anthropic stream that ends once, and ccp never fails on its own. And tens of thousands of
 * events cost time in proportion: the regression cases first are streams the fuzzing found.
 * Seeded, so a failure reproduces.
 */

import assert from "node:assert/strict";
import { geminiTranslation } from "../../src/translate/gemini/stream.ts";
import { openAIChatTranslation } from "../../src/translate/openai_chat/stream.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { responsesTranslation } from "../../src/translate/openai_responses/stream.ts";
import type { SseTranslation } from "../../src/translate/sse_translation.ts";
import { seeded } from "../helpers/random.ts";
import { assertSound, BASE_OPTIONS, relayedSse, splitAt } from "./_stream_helpers.ts";
import { cpuTimed } from "../helpers/cpu_time.ts";
import { BASH_TOOL } from "./_tools.ts";

const encoder = new TextEncoder();
const TOOLS = [BASH_TOOL];

const chat = () =>
  openAIChatTranslation({ ...BASE_OPTIONS, dialect: OPENAI_DIALECTS.local, tools: TOOLS });
const responses = () => responsesTranslation(BASE_OPTIONS);
const gemini = () => geminiTranslation({ ...BASE_OPTIONS, tools: undefined });

const chatEvent = (delta: unknown, finish: string | null = null) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const responsesEvent = (data: Record<string, unknown>) =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

Deno.test("regression: 60000 parallel Chat Completions tool calls take time in proportion", async () => {
  // Each delta looked for the first call not yet started from the first call on: 4 s.
  const n = 60_000;
  const calls = Array.from({ length: n }, (_, i) =>
    chatEvent({
      tool_calls: [{
        index: i,
        id: `call_${i}`,
        type: "function",
        function: { name: "Bash", arguments: "{}" },
      }],
    }));
  const body = encoder.encode(calls.join("") + chatEvent({}, "tool_calls") + "data: [DONE]\n\n");
  const { value: sse, ms: took } = await cpuTimed(() => relayedSse([body], chat()));
  assertSound(sse, "60000 calls");
  assert.equal(sse.split("event: content_block_start").length - 1, n);
  // Some 1.5 s of CPU; 9 s and more before.
  assert.ok(took < 4_500, `${took.toFixed(0)} ms`);
});

Deno.test("regression: one tool call's arguments in 60000 pieces take time in proportion", async (t) => {
  // Each piece sliced the whole arguments written so far to find what was new: time in the square
  // of their length (17 s for the Chat stream here, 7 s for the Responses one).
  const n = 60_000;
  const word = "abcdefgh";
  const chatBody = chatEvent({
    tool_calls: [{
      index: 0,
      id: "call_w",
      type: "function",
      function: { name: "Bash", arguments: '{"command":"' },
    }],
  }) +
    chatEvent({ tool_calls: [{ index: 0, function: { arguments: word } }] }).repeat(n) +
    chatEvent({ tool_calls: [{ index: 0, function: { arguments: '"}' } }] }) +
    chatEvent({}, "tool_calls") + "data: [DONE]\n\n";
  const call = { type: "function_call", id: "fc_1", call_id: "call_1", name: "Bash" };
  const responsesBody = responsesEvent({ type: "response.created", response: { id: "r" } }) +
    responsesEvent({ type: "response.output_item.added", output_index: 0, item: call }) +
    [
      '{"command":"',
      ...Array.from({ length: n }, () => word),
      '"}',
    ].map((delta) =>
      responsesEvent({
        type: "response.function_call_arguments.delta",
        output_index: 0,
        item_id: "fc_1",
        delta,
      })
    ).join("") +
    responsesEvent({ type: "response.completed", response: { status: "completed" } });
  for (
    const [name, body, translation] of [
      ["chat", chatBody, chat],
      ["responses", responsesBody, responses],
    ] as const
  ) {
    await t.step(name, async () => {
      const { value: sse, ms: took } = await cpuTimed(() =>
        relayedSse([encoder.encode(body)], translation())
      );
      assertSound(sse, `${n} pieces`);
      assert.ok(sse.includes(`"partial_json":"${word}"`));
      // About a second of CPU.
      assert.ok(took < 4_000, `${took.toFixed(0)} ms`);
    });
  }
});

Deno.test("regression: 40000 Responses function calls queued behind an open one do not overflow the stack", async () => {
  // Each queued call was opened by a call per call: the stack ran out, and the client got
  // "ccp could not relay the stream".
  const n = 40_000;
  const items = Array.from({ length: n }, (_, i) =>
    responsesEvent({
      type: "response.output_item.added",
      output_index: i,
      item: { type: "function_call", id: `fc_${i}`, call_id: `call_${i}`, name: "Bash" },
    }) + responsesEvent({
      type: "response.function_call_arguments.delta",
      output_index: i,
      item_id: `fc_${i}`,
      delta: "{}",
    }));
  const body = encoder.encode(
    responsesEvent({ type: "response.created", response: { id: "resp_1" } }) + items.join("") +
      responsesEvent({ type: "response.completed", response: { status: "completed" } }),
  );
  const sse = await relayedSse([body], responses());
  assertSound(sse, "40000 queued calls");
  assert.equal(sse.split("event: content_block_start").length - 1, n);
});

// Values put where an index, an id or an object belongs.
const ODD = [null, -1, 0, 1, 2, 1.5, 1e9, 4294967296, "0", "", {}, [], true];

type Make = (random: () => number) => string;

function oneOf<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

/** An index or id: mostly a few small ones (so calls continue), sometimes an odd value. */
const small = (random: () => number) =>
  random() < 0.85 ? Math.floor(random() * 3) : oneOf(random, ODD);
const name = (random: () => number) => random() < 0.8 ? "Bash" : oneOf(random, ["", "Nope", null]);
const args = (random: () => number) =>
  oneOf(random, ['{"command":', '"ls"}', "{}", "", "}", '{"command":"a"}', null]);

const CHAT: Make[] = [
  (r) => chatEvent({ content: oneOf(r, ["hi ", "<think>", "</think>", "<tool_call>", "é😀", ""]) }),
  (r) => chatEvent({ reasoning_content: oneOf(r, ["hm", "", null]) }),
  (r) => chatEvent({ reasoning: oneOf(r, ["plan", null, {}]) }),
  (r) =>
    chatEvent({
      tool_calls: [{
        index: small(r),
        id: r() < 0.5 ? `call_${small(r)}` : undefined,
        function: { name: name(r), arguments: args(r) },
      }],
    }),
  (r) => chatEvent({ tool_calls: [{ index: small(r), function: { arguments: args(r) } }] }),
  (r) => `data: ${JSON.stringify({ choices: [{ index: small(r), delta: { content: "x" } }] })}\n\n`,
  (r) => `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: small(r) } })}\n\n`,
  () => ": ping\n\n",
];
// Nulls and numbers where objects belong: rarer, as most end the stream as malformed.
const CHAT_ODD: Make[] = [
  (r) => chatEvent({ tool_calls: oneOf(r, ODD) }),
  (r) => chatEvent(oneOf(r, ODD)),
  (r) => `data: ${JSON.stringify({ choices: oneOf(r, ODD) })}\n\n`,
  () => "data: null\n\n",
  () => "event: x\ndata: 1\n\n",
];
const CHAT_ENDS: Make[] = [
  (r) => chatEvent({}, oneOf(r, ["stop", "length", "tool_calls", "content_filter", "weird"])),
  (r) => oneOf(r, ["data: [DONE]\n\n", "data: {oops\n\n", ""]),
];

const RESPONSES: Make[] = [
  (r) => responsesEvent({ type: "response.created", response: oneOf(r, [{ id: "r" }, null]) }),
  (r) =>
    responsesEvent({
      type: "response.output_item.added",
      output_index: small(r),
      item: oneOf(r, [
        { type: "message", id: `m_${small(r)}` },
        { type: "reasoning", id: `rs_${small(r)}` },
        { type: "function_call", id: `fc_${small(r)}`, call_id: `c_${small(r)}`, name: name(r) },
        null,
        { type: "unknown_item" },
      ]),
    }),
  (r) =>
    responsesEvent({
      type: "response.output_text.delta",
      output_index: small(r),
      item_id: `m_${small(r)}`,
      delta: oneOf(r, ["hi", "", null]),
    }),
  (r) =>
    responsesEvent({
      type: oneOf(r, ["response.reasoning_summary_text.delta", "response.reasoning_text.delta"]),
      output_index: small(r),
      item_id: `rs_${small(r)}`,
      summary_index: small(r),
      delta: "hm",
    }),
  (r) =>
    responsesEvent({
      type: "response.function_call_arguments.delta",
      output_index: small(r),
      item_id: `fc_${small(r)}`,
      delta: args(r),
    }),
  (r) =>
    responsesEvent({
      type: "response.function_call_arguments.done",
      output_index: small(r),
      item_id: `fc_${small(r)}`,
      arguments: args(r),
    }),
  (r) =>
    responsesEvent({
      type: "response.output_item.done",
      output_index: small(r),
      item: oneOf(r, [
        {
          type: "function_call",
          id: `fc_${small(r)}`,
          call_id: "c",
          name: "Bash",
          arguments: "{}",
        },
        { type: "reasoning", id: `rs_${small(r)}`, encrypted_content: "enc", summary: [] },
        null,
      ]),
    }),
];
const RESPONSES_ODD: Make[] = [
  (r) => responsesEvent({ type: "response.unknown_event", value: oneOf(r, ODD) }),
  (r) => responsesEvent({ type: "response.output_text.delta", delta: oneOf(r, ODD) }),
  (r) => responsesEvent({ type: "response.output_item.added", item: oneOf(r, ODD) }),
  () => "data: null\n\n",
];
const RESPONSES_ENDS: Make[] = [
  (r) =>
    responsesEvent({
      type: oneOf(r, ["response.completed", "response.incomplete"]),
      response: oneOf(r, [{ status: "completed", usage: { input_tokens: 1 } }, null, {}]),
    }),
];

const geminiEvent = (parts: unknown, finish?: string) =>
  `data: ${JSON.stringify({ candidates: [{ content: { parts }, finishReason: finish }] })}\r\n\r\n`;

const GEMINI: Make[] = [
  (r) => geminiEvent([{ text: oneOf(r, ["hi", "", "é😀"]) }]),
  (r) => geminiEvent([{ text: "hm", thought: true, thoughtSignature: oneOf(r, ["c2ln", ""]) }]),
  (r) =>
    geminiEvent([{ functionCall: { name: name(r), args: oneOf(r, [{ command: "ls" }, ...ODD]) } }]),
  (r) => `data: ${JSON.stringify({ usageMetadata: { promptTokenCount: small(r) } })}\r\n\r\n`,
];
const GEMINI_ODD: Make[] = [
  (r) => geminiEvent(oneOf(r, ODD)),
  (r) => geminiEvent([oneOf(r, ODD)]),
  (r) => `data: ${JSON.stringify({ candidates: oneOf(r, ODD) })}\r\n\r\n`,
];
const GEMINI_ENDS: Make[] = [
  (r) => geminiEvent([], oneOf(r, ["STOP", "MAX_TOKENS", "SAFETY", "OTHER", "WEIRD"])),
  () => "",
];

// Each protocol's events, the ones that end a stream apart: most streams end at their end.
const PROTOCOLS: [string, Make[], Make[], Make[], () => SseTranslation][] = [
  ["Chat Completions", CHAT, CHAT_ODD, CHAT_ENDS, chat],
  ["Responses", RESPONSES, RESPONSES_ODD, RESPONSES_ENDS, responses],
  ["Gemini", GEMINI, GEMINI_ODD, GEMINI_ENDS, gemini],
];

for (const [protocol, makes, odd, ends, translation] of PROTOCOLS) {
  Deno.test(`property: a long random ${protocol} stream gives a sound Anthropic stream, however split`, async () => {
    const random = seeded(protocol.length * 104729);
    for (let run = 0; run < 120; run++) {
      const length = 1 + Math.floor(random() * 300);
      const event = () => {
        const roll = random();
        return oneOf(random, roll < 0.005 ? ends : roll < 0.02 ? odd : makes)(random);
      };
      const upstream = Array.from({ length }, event).join("") + oneOf(random, ends)(random);
      const bytes = encoder.encode(upstream);
      const reference = await relayedSse([bytes], translation());
      assertSound(reference, `${protocol} run ${run}:\n${upstream.slice(0, 4000)}`);
      const cuts = Array.from(
        { length: 1 + Math.floor(random() * 20) },
        () => Math.floor(random() * bytes.length),
      );
      assert.equal(await relayedSse(splitAt(bytes, cuts), translation()), reference, `run ${run}`);
    }
  });
}
