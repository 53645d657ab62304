/**
 * Property: however an upstream cuts the same content into deltas (mid-tag, mid-token,
 * mid-call, mid-UTF-16 pair), the message a client assembles is the same: think tags, control
 * tokens and tool calls written as text are recognised the same way, native tool-call
 * arguments come out whole. Seeded, so a failure reproduces.
 */

import assert from "node:assert/strict";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import type { OfferedTool } from "../../../src/translate/openai_chat/text_tool_parse.ts";
import type { TranslateOptions } from "../../../src/translate/openai_chat/translator.ts";
import {
  assertWellFormed,
  chatStream,
  normalizeIds,
  parseFrames,
  sdkMessage,
  translateChunks,
} from "../_stream_helpers.ts";
import { seeded } from "../../helpers/random.ts";
import { BASH_TOOL, READ_TOOL } from "../_tools.ts";

const TOOLS: OfferedTool[] = [BASH_TOOL, READ_TOOL];
const ON: Partial<TranslateOptions> = { dialect: OPENAI_DIALECTS.local, tools: TOOLS };

// The pieces content is made of: plain prose, near misses, tags, tokens, calls.
const ATOMS = [
  "Hello",
  " world ",
  "\n",
  "\r\n",
  "é😀",
  "<",
  "<th",
  "<think>",
  "</think>",
  "<think>plan it</think>\n\n",
  "<thou",
  "<thought>",
  "</thought>",
  "<thought>weigh it</thought>",
  "<|im_end|>",
  "<|eot_id|>",
  "<|",
  "<tool_",
  "<function",
  '<tool_call>{"name": "Read", "arguments": {"file_path": "/a"}}</tool_call>',
  '<tool_call>\n{"name": "Bash", "arguments": {"command": "ls <x>"}}\n</tool_call>\n',
  "<function=Read>\n<parameter=file_path>\n/b\n</parameter>\n</function>",
  "<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>ls <x></arg_value>\n</tool_call>",
  "<tool_call>Read<arg_key>file_path</arg_key><arg_value>/g</arg_value></tool_call>",
  "<tool_call>Read<arg_key>file_path</arg_key>",
  "<arg_value>",
  "</arg_value>",
  '<tool_call>{"name": "Nope", "arguments": {}}</tool_call>',
  "</tool_call>",
  // Kimi K2's section: whole, its tokens alone, a call without its section.
  "<|tool_calls_section_begin|> <|tool_call_begin|>functions.Read:0<|tool_call_argument_begin|>" +
  '{"file_path": "/k"}<|tool_call_end|><|tool_call_begin|>functions.Bash:1' +
  "<|tool_call_argument_begin|>{}<|tool_call_end|> <|tool_calls_section_end|>",
  "<|tool_calls_section_begin|>",
  "<|tool_calls_section_end|>",
  "<|tool_call_begin|>functions.Read:2<|tool_call_argument_begin|>{}<|tool_call_end|>",
];

function content(random: () => number): string {
  const n = 1 + Math.floor(random() * 8);
  return Array.from({ length: n }, () => ATOMS[Math.floor(random() * ATOMS.length)]!).join("");
}

function cut(text: string, random: () => number): string[] {
  const points = new Set<number>();
  const n = Math.floor(random() * Math.min(text.length, 10));
  for (let i = 0; i < n; i++) points.add(1 + Math.floor(random() * (text.length - 1)));
  const sorted = [...points].sort((a, b) => a - b);
  return [0, ...sorted].map((from, i) => text.slice(from, sorted[i] ?? text.length));
}

async function message(deltas: readonly unknown[]): Promise<string> {
  const out = normalizeIds(await translateChunks([chatStream(deltas)], ON));
  assertWellFormed(parseFrames(out));
  return JSON.stringify(await sdkMessage(out));
}

Deno.test("property: content cut into any deltas gives the same message", async () => {
  const random = seeded(20261205);
  for (let run = 0; run < 300; run++) {
    const text = content(random);
    const reference = await message([{ content: text }]);
    for (let k = 0; k < 4; k++) {
      const pieces = cut(text, random);
      assert.equal(
        await message(pieces.map((content) => ({ content }))),
        reference,
        `content ${JSON.stringify(text)} cut as ${JSON.stringify(pieces)}`,
      );
    }
  }
});

const CALLS = [
  { name: "Bash", args: '{"command": "echo \\"}{\\" é😀"}' },
  { name: "Read", args: '{"file_path": "/tmp/a b"}' },
  { name: "Read", args: "" },
  { name: "Bash", args: '{"command":"ls","nested":{"a":[1,{"b":"]"}]}}' },
];

Deno.test("property: parallel tool calls cut and interleaved any way give the same message", async () => {
  const random = seeded(7);
  const reference = await message([
    { reasoning_content: "Think." },
    { content: "Calling." },
    ...CALLS.map((c, index) => ({
      tool_calls: [{ index, id: `call_${index}`, function: { name: c.name, arguments: c.args } }],
    })),
  ]);
  for (let run = 0; run < 200; run++) {
    // Each call's fragments stay in order; the calls' fragments are mixed together.
    const queues = CALLS.map((c, index) =>
      cut(c.args, random).map((args, i) => ({
        index,
        ...(i === 0 ? { id: `call_${index}`, function: { name: c.name, arguments: args } } : {
          function: { arguments: args },
        }),
      }))
    );
    const deltas: unknown[] = [
      ...cut("Think.", random).map((reasoning_content) => ({ reasoning_content })),
      ...cut("Calling.", random).map((content) => ({ content })),
    ];
    // Calls begin in index order (as the servers number them); then fragments interleave.
    let begun = 0;
    while (queues.some((q) => q.length > 0)) {
      const live = queues.filter((q, i) => q.length > 0 && i <= begun);
      const q = live[Math.floor(random() * live.length)]!;
      // Some servers batch fragments of several calls into one delta.
      const batch = [q.shift()!];
      const other = live[Math.floor(random() * live.length)]!;
      if (random() < 0.3 && other !== q && other.length > 0) batch.push(other.shift()!);
      deltas.push({ tool_calls: batch });
      begun = Math.max(begun, ...batch.map((d) => d.index + 1));
    }
    assert.equal(await message(deltas), reference, JSON.stringify(deltas));
  }
});

Deno.test("property: reasoning fields and content, each cut any way, give the same message", async () => {
  const random = seeded(99);
  const fields = ["reasoning_content", "reasoning", "content", "content"] as const;
  for (let run = 0; run < 150; run++) {
    const segments = Array.from({ length: 1 + Math.floor(random() * 5) }, () => ({
      field: fields[Math.floor(random() * fields.length)]!,
      text: content(random),
    }));
    const reference = await message(segments.map((s) => ({ [s.field]: s.text })));
    const deltas = segments.flatMap((s) => cut(s.text, random).map((t) => ({ [s.field]: t })));
    assert.equal(await message(deltas), reference, JSON.stringify(deltas));
  }
});

Deno.test("content held back for a possible tag goes out before reasoning that follows it", async () => {
  const blocks = async (deltas: unknown[]) =>
    (JSON.parse(await message(deltas)).content as { type: string; text?: string }[])
      .map((b) => b.type === "text" ? `text:${b.text}` : b.type);
  for (const held of ["<", "<th", "<|", "<|im_", "<tool_", "<function", "<|tool_calls_sec"]) {
    assert.deepEqual(
      await blocks([{ content: `a ${held}` }, { reasoning_content: "r" }, { content: " b" }]),
      [`text:a ${held}`, "thinking", "text: b"],
      held,
    );
  }
  // OpenRouter sends a last encrypted reasoning detail after the answer's text.
  assert.deepEqual(
    await blocks([
      { content: "x <" },
      { reasoning_details: [{ type: "reasoning.encrypted", data: "e", index: 0 }] },
    ]),
    ["text:x <", "thinking"],
  );
});
