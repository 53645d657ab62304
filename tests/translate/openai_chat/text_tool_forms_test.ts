/**
 * The checks every text form of tool call gets, one row per form: a call written into `content`
 * becomes a tool_use block however the stream is cut (at every position, a character per chunk,
 * the SSE bytes one by one), and the text before its marker is not held back. What only one form
 * has (Hermes JSON and Qwen3-Coder XML: text_tool_calls_test.ts; Kimi K2's tokens:
 * kimi_tool_calls_test.ts; GLM's key/value pairs: glm_tool_calls_test.ts) is tested there.
 */

import assert from "node:assert/strict";
import { type Message } from "../../helpers/anthropic_sdk.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import type { OfferedTool } from "../../../src/translate/openai_chat/text_tool_parse.ts";
import type { TranslateOptions } from "../../../src/translate/openai_chat/translator.ts";
import {
  assertWellFormed,
  bytewise,
  contentStream,
  cuts,
  parseFrames,
  sdkMessage,
  toolUse,
  translateChunks,
} from "../_stream_helpers.ts";
import { BASH_TOOL } from "../_tools.ts";

const TOOLS: OfferedTool[] = [BASH_TOOL];
const USAGE = { prompt_tokens: 9, completion_tokens: 5 };

interface Form {
  readonly name: string;
  readonly options: Partial<TranslateOptions>;
  /** A recorded-style stream of the form's server, whose content arrives in `pieces`. */
  readonly stream: (pieces: readonly string[]) => Uint8Array;
  /** Text, then one call of Bash `ls`. */
  readonly call: string;
  readonly textBefore: string;
  /** "Hi " and the start of the form's marker, cut inside it. */
  readonly markerStart: readonly string[];
}

const FORMS: readonly Form[] = [
  {
    name: "Hermes JSON (Ollama /v1)",
    options: { dialect: OPENAI_DIALECTS.local, tools: TOOLS },
    stream: (pieces) => contentStream(pieces, { usage: USAGE }),
    call: 'Let me look.\n<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"}}\n' +
      "</tool_call>",
    textBefore: "Let me look.\n",
    markerStart: ["Hi <tool_", "call>{"],
  },
  {
    name: "GLM key/value pairs (vLLM without its GLM parser)",
    options: { dialect: OPENAI_DIALECTS.local, tools: TOOLS },
    stream: (pieces) => contentStream(pieces, { usage: USAGE }),
    call: "Listing now.\n<tool_call>Bash\n<arg_key>command</arg_key>\n<arg_value>ls</arg_value>\n" +
      "</tool_call>",
    textBefore: "Listing now.\n",
    markerStart: ["Hi <tool_c", "all>Bash"],
  },
  {
    name: "Kimi K2 tokens",
    options: { dialect: OPENAI_DIALECTS.kimi, upstreamModel: "kimi-k2-0905-preview", tools: TOOLS },
    stream: (pieces) =>
      contentStream(pieces, {
        usage: USAGE,
        fields: {
          id: "chatcmpl-k2",
          object: "chat.completion.chunk",
          model: "kimi-k2-0905-preview",
        },
      }),
    call: "I'll list the files.<|tool_calls_section_begin|><|tool_call_begin|>functions.Bash:0" +
      '<|tool_call_argument_begin|>{"command":"ls"}<|tool_call_end|><|tool_calls_section_end|>',
    textBefore: "I'll list the files.",
    markerStart: ["Hi <|tool_calls_sec", "tion"],
  },
];

/** Streams the pieces through ccp's translation; checks the events and returns the message. */
async function streamed(form: Form, pieces: readonly string[], split = false): Promise<Message> {
  const bytes = form.stream(pieces);
  const out = await translateChunks(split ? bytewise(bytes) : [bytes], form.options);
  const frames = parseFrames(out);
  assertWellFormed(frames);
  assert.equal(frames.at(-2)?.data.usage?.output_tokens, 5, "the upstream's usage is kept");
  return await sdkMessage(out);
}

for (const form of FORMS) {
  Deno.test(`text-form tool calls (${form.name}) become tool_use blocks however cut`, async (t) => {
    await t.step("split at every position: mid-marker, mid-JSON", async () => {
      for (const pieces of cuts(form.call)) {
        const m = await streamed(form, pieces);
        assert.equal(m.content.length, 2, JSON.stringify(pieces));
        assert.deepEqual(m.content[0], { type: "text", text: form.textBefore });
        assert.deepEqual(toolUse(m, 1), { name: "Bash", input: { command: "ls" } });
        assert.equal(m.stop_reason, "tool_use");
      }
    });
    await t.step("one character per chunk, SSE bytes split one by one", async () => {
      const m = await streamed(form, [...form.call], true);
      assert.deepEqual(toolUse(m, 1), { name: "Bash", input: { command: "ls" } });
      assert.equal(m.stop_reason, "tool_use");
    });
    await t.step("text before a marker streams at once", async () => {
      const out = await translateChunks([form.stream(form.markerStart)], form.options);
      const first = parseFrames(out).find((f) => f.data.delta?.type === "text_delta");
      assert.deepEqual(first?.data.delta, { type: "text_delta", text: "Hi " });
    });
  });
}
