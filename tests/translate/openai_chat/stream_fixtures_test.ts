import assert from "node:assert/strict";
import { APIError, type Message } from "../../helpers/anthropic_sdk.ts";
import { decodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";
import {
  assertWellFormed,
  bytewise,
  fixture,
  parseFrames,
  sdkMessage,
  translateChunks,
} from "../_stream_helpers.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import type { TranslateOptions } from "../../../src/translate/openai_chat/translator.ts";

/** Content with signatures decoded, so expectations read as provenance. */
function readable(message: Message): unknown[] {
  return message.content.map((b) => {
    if (b.type === "thinking") {
      const p = decodeCcpSignature(b.signature);
      return {
        type: "thinking",
        thinking: b.thinking,
        origin: p && { fields: p.fields, details: p.details },
      };
    }
    if (b.type === "tool_use") {
      return {
        type: "tool_use",
        id: /^toolu_[A-Za-z0-9]{24}$/.test(b.id) ? "toolu_*" : b.id,
        name: b.name,
        input: b.input,
      };
    }
    return b;
  });
}

/** Blocks as {@link readable} shows them. */
const text = (text: string) => ({ type: "text", text });
const thinking = (thinking: string, ...fields: string[]) => ({
  type: "thinking",
  thinking,
  origin: { fields, details: undefined },
});
const tool = (id: string, name: string, input: Record<string, unknown>) => ({
  type: "tool_use",
  id,
  name,
  input,
});

interface Case {
  file: string;
  options?: Partial<TranslateOptions>;
  content?: unknown[];
  stop?: string;
  stopSequence?: string | null;
  usage?: Record<string, number>;
  error?: RegExp;
}

const CASES: Case[] = [
  {
    file: "text_usage_chunk.sse",
    content: [text("Hello, world!")],
    stop: "end_turn",
    usage: { input_tokens: 20, output_tokens: 4, cache_read_input_tokens: 100 },
  },
  {
    file: "think_tags_split.sse",
    content: [
      thinking("Let me think.", "think_tag"),
      text("The answer is 4 <3."),
    ],
    stop: "end_turn",
    usage: { input_tokens: 50, output_tokens: 20 },
  },
  {
    file: "reasoning_content_text_tool.sse",
    content: [
      thinking("User wants a listing.", "reasoning_content"),
      text("I'll run it."),
      tool("call_00_abc", "Bash", { command: 'echo "hi" && ls', description: "List ü files" }),
    ],
    stop: "tool_use",
    usage: { input_tokens: 500, output_tokens: 80, cache_read_input_tokens: 1500 },
  },
  {
    file: "tool_no_id.sse",
    content: [tool("toolu_*", "Read", { file_path: "/tmp/a.txt" })],
    stop: "tool_use",
  },
  {
    file: "parallel_interleaved.sse",
    content: [
      tool("call_a", "Read", { file_path: "/a" }),
      tool("call_b", "Glob", { pattern: "**/*.ts" }),
    ],
    stop: "tool_use",
  },
  {
    file: "empty_args.sse",
    content: [tool("call_e", "ListAgents", {})],
    stop: "tool_use",
  },
  {
    file: "repeated_args.sse",
    content: [tool("call_r", "Write", { file_path: "/x", content: "a}b" })],
    stop: "tool_use",
  },
  { file: "content_filter.sse", content: [text("I cannot")], stop: "refusal" },
  { file: "length.sse", content: [text("A long answer")], stop: "max_tokens" },
  { file: "malformed_json.sse", error: /malformed chunk/ },
  {
    file: "early_close.sse",
    error: /closed the stream early \(no finish_reason and no \[DONE\]\)/,
  },
  { file: "midstream_error.sse", error: /Provider returned error \(upstream connect error\)/ },
  {
    file: "crlf.sse",
    content: [text("Line one\nline two")],
    stop: "end_turn",
    usage: { input_tokens: 7, output_tokens: 5 },
  },
  {
    file: "openrouter_reasoning_details.sse",
    options: { dialect: OPENAI_DIALECTS.openrouter },
    content: [
      {
        type: "thinking",
        thinking: "Plan: read file.",
        origin: {
          fields: ["reasoning", "reasoning_details"],
          details: [{
            type: "reasoning.text",
            text: "Plan: read file.",
            format: "anthropic-claude-v1",
            index: 0,
            signature: "sig-abc",
          }],
        },
      },
      tool("toolu_vrtx_01", "Read", { file_path: "/etc/hosts" }),
    ],
    stop: "tool_use",
    usage: { input_tokens: 900, output_tokens: 60 },
  },
  {
    file: "groq_x_groq_usage.sse",
    content: [text("Fast.")],
    usage: { input_tokens: 33, output_tokens: 2 },
  },
  {
    file: "stop_sequence.sse",
    options: { stopSequences: ["END"] },
    content: [text("Counting 1 2 3")],
    stop: "stop_sequence",
    stopSequence: "END",
  },
  {
    file: "index_reuse.sse",
    content: [
      tool("call_1", "Read", { file_path: "/a" }),
      tool("call_2", "Read", { file_path: "/b" }),
    ],
    stop: "tool_use",
  },
  {
    // No ids and index 0 for every call: a name after complete arguments, or new arguments
    // after the same name repeated, begin the next call (arguments split mid-escape and mid-number).
    file: "index_reuse_no_ids.sse",
    content: [
      tool("toolu_*", "Read", { file_path: "/a/café.md" }),
      tool("toolu_*", "Read", { file_path: "/b" }),
      tool("toolu_*", "Bash", { command: 'echo "a}"', timeout: 120 }),
    ],
    stop: "tool_use",
    usage: { input_tokens: 410, output_tokens: 61 },
  },
  {
    // No index, no id, the name in every fragment: its last repeat, with no arguments, is no call.
    file: "no_index_names_repeated.sse",
    content: [
      tool("toolu_*", "Read", { file_path: "/a" }),
      tool("toolu_*", "Read", { file_path: "/b" }),
    ],
    stop: "tool_use",
  },
  {
    // vLLM's last flush (GLM-5.1, vllm-project/vllm#42167): the whole arguments again in the
    // finishing chunk, though the closing brace never came; only that brace is new.
    file: "vllm_final_flush.sse",
    content: [
      tool("chatcmpl-tool-a41f", "record_expense", {
        date: "2025-03-26",
        amount: 300,
        fee_type: "过路费",
        income_type: "支出",
      }),
    ],
    stop: "tool_use",
  },
  {
    // Azure OpenAI: the prompt's filter results come first, in a chunk with no choices.
    file: "azure_filter_results.sse",
    content: [text("Two files changed.")],
    stop: "end_turn",
    usage: { input_tokens: 92, output_tokens: 4, cache_read_input_tokens: 128 },
  },
  {
    // OpenRouter: keep-alive comments, and the usage after the finish in a chunk whose choice
    // still has an (empty) delta.
    file: "openrouter_comments_usage.sse",
    content: [tool("functions.Glob:0", "Glob", { pattern: "src/**/*.ts" })],
    stop: "tool_use",
    usage: { input_tokens: 476, output_tokens: 18, cache_read_input_tokens: 1024 },
  },
  {
    // llama.cpp: the usage and its timings ride on the finishing chunk.
    file: "llamacpp_timings.sse",
    content: [
      thinking("The user wants the date.", "reasoning_content"),
      tool("Xq3cUv8mP2aTn5Lw", "Bash", { command: "date -u" }),
    ],
    stop: "tool_use",
    usage: { input_tokens: 2048, output_tokens: 31 },
  },
  {
    // LM Studio (Gemma 4): every fragment of the one call has a fresh id and an empty name.
    file: "lmstudio_fresh_ids.sse",
    content: [tool("613095127", "Bash", { command: "ls -la" })],
    stop: "tool_use",
  },
  { file: "finish_no_done.sse", content: [text("Done.")], stop: "end_turn" },
  {
    file: "text_after_tool.sse",
    content: [
      text("Checking."),
      tool("call_t", "Bash", { command: "pwd" }),
      text(" Then more."),
    ],
    stop: "tool_use",
  },
  {
    // vLLM run without a reasoning parser: the template opened `<think>` in the prompt, so only
    // `</think>` shows in content (split across three chunks here, and at every byte below).
    file: "vllm_thinking_2507_no_parser.sse",
    options: { dialect: OPENAI_DIALECTS.local, upstreamModel: "Qwen/Qwen3-30B-A3B-Thinking-2507" },
    content: [
      thinking("Okay, the user wants the tests run. I'll answer with a plan.\n", "think_tag"),
      text("Run `deno task test`."),
    ],
    stop: "end_turn",
    usage: { input_tokens: 812, output_tokens: 29 },
  },
  {
    // The same model behind a server that parses the reasoning out: content is the answer.
    file: "vllm_thinking_2507_parsed.sse",
    options: { dialect: OPENAI_DIALECTS.local, upstreamModel: "Qwen/Qwen3-30B-A3B-Thinking-2507" },
    content: [
      thinking("Okay, the user wants the tests run.", "reasoning_content"),
      text("\n\nRun `deno task test`."),
    ],
    stop: "end_turn",
  },
  {
    // Text Generation Inference before 3.2: the one call as an object, never named, its
    // arguments the grammar's text naming it; "eos_token" ends it, a usage-only chunk follows.
    file: "tgi2_tool_call.sse",
    content: [
      tool("toolu_*", "Read", { file_path: "/etc/hosts", limit: 20 }),
    ],
    stop: "tool_use",
    usage: { input_tokens: 310, output_tokens: 26 },
  },
  {
    // The same server when no tool fits: its grammar's `no_tool` carries the answer.
    file: "tgi2_no_tool.sse",
    content: [text("Hi \u00e9t\u00e9!\n")],
    stop: "end_turn",
  },
  {
    file: "done_without_blank_line.sse",
    content: [text("ok")],
    stop: "end_turn",
  },
];

Deno.test("OpenAI stream fixtures → Anthropic stream, validated by the Anthropic SDK", async (t) => {
  for (const c of CASES) {
    await t.step(c.file, async () => {
      const bytes = await fixture(c.file);
      for (const chunks of [[bytes], bytewise(bytes)]) {
        const sse = await translateChunks(chunks, c.options);
        assertWellFormed(parseFrames(sse));
        if (c.error) {
          await assert.rejects(() => sdkMessage(sse), (err: unknown) => {
            assert.ok(err instanceof APIError);
            assert.match(String(err.message), c.error!);
            return true;
          });
          continue;
        }
        const message = await sdkMessage(sse);
        assert.equal(message.model, "claude-opus-5-5");
        assert.equal(message.id, "msg_fixture");
        if (c.content) assert.deepEqual(readable(message), c.content);
        if (c.stop) assert.equal(message.stop_reason, c.stop);
        if (c.stopSequence !== undefined) assert.equal(message.stop_sequence, c.stopSequence);
        for (const [key, value] of Object.entries(c.usage ?? {})) {
          assert.equal(
            (message.usage as unknown as Record<string, number>)[key],
            value,
            `usage.${key}`,
          );
        }
      }
    });
  }
});

Deno.test("errors before any content emit only an error event", async () => {
  const sse = await translateChunks([
    new TextEncoder().encode('data: {"error":{"message":"quota","code":429}}\n\n'),
  ]);
  const frames = parseFrames(sse);
  assert.deepEqual(frames.map((f) => f.event), ["error"]);
  assert.equal(frames[0]?.data.error?.type, "rate_limit_error");
});

Deno.test("an empty upstream body is an error, never a hang", async () => {
  const sse = await translateChunks([]);
  assert.match(sse, /event: error/);
  assert.match(sse, /closed the stream without sending any data/);
});
