/**
 * Kimi K2's own tool-call tokens left in `content` (a server without its tool parser, or one
 * that leaks them) become tool_use blocks: streamed in any pieces, several calls to a section,
 * ids `functions.Name:n` turned into the client's tool name and a fresh tool_use id. The checks
 * every text form gets (one call cut at every position) are in text_tool_forms_test.ts.
 */

import assert from "node:assert/strict";
import { type Message } from "../../helpers/anthropic_sdk.ts";
import { dialectForModel } from "../../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { openAIResponseToAnthropic } from "../../../src/translate/openai_chat/response.ts";
import type { OfferedTool } from "../../../src/translate/openai_chat/text_tool_parse.ts";
import type { TranslateOptions } from "../../../src/translate/openai_chat/translator.ts";
import {
  assertWellFormed,
  BASE_OPTIONS,
  contentStream,
  cuts,
  parseFrames,
  sdkMessage,
  toolUse,
  translateChunks,
  wellFormedMessage,
} from "../_stream_helpers.ts";
import { BASH_TOOL, READ_TOOL } from "../_tools.ts";

// The MCP tool is offered under the shortened name the Chat wire allows.
const MCP_WIRE = "mcp__inventory_server_with_long_name__record_th_f1ff34b64ae8fdb6";
const MCP_CLIENT = "mcp__inventory_server_with_long_name__record_the_thing_in_the_ledger";
const TOOLS: OfferedTool[] = [
  BASH_TOOL,
  READ_TOOL,
  { name: "TodoRead", input_schema: { type: "object", properties: {} } },
  { name: MCP_WIRE, input_schema: { type: "object", properties: { item: { type: "string" } } } },
];

const ON: Partial<TranslateOptions> = {
  dialect: OPENAI_DIALECTS.kimi,
  upstreamModel: "kimi-k2-0905-preview",
  tools: TOOLS,
  toolNames: new Map([[MCP_WIRE, MCP_CLIENT]]),
};
const encoder = new TextEncoder();

const BEGIN = "<|tool_calls_section_begin|>";
const END = "<|tool_calls_section_end|>";
function call(id: string, args: string, layout = ""): string {
  return `<|tool_call_begin|>${layout}${id}${layout}<|tool_call_argument_begin|>${layout}${args}` +
    `${layout}<|tool_call_end|>`;
}

/** A recorded-style stream whose content arrives in `pieces`, finishing with `finish`. */
function sse(pieces: readonly string[], finish = "stop"): Uint8Array {
  return contentStream(pieces, {
    finish,
    usage: { prompt_tokens: 9, completion_tokens: 5 },
    fields: { id: "chatcmpl-k2", object: "chat.completion.chunk", model: "kimi-k2-0905-preview" },
  });
}

/** Streams the pieces through ccp's translation; checks the events and returns the message. */
function streamed(pieces: readonly string[]): Promise<Message> {
  return wellFormedMessage([sse(pieces)], ON);
}

Deno.test("Kimi K2 tool tokens in content become tool_use blocks", async (t) => {
  await t.step(
    "a section and nothing else: only tool_use blocks, stop_reason tool_use",
    async () => {
      const m = await streamed([BEGIN, call("functions.Read:3", '{"file_path":"/a"}'), END]);
      assert.equal(m.content.length, 1);
      assert.deepEqual(toolUse(m, 0), { name: "Read", input: { file_path: "/a" } });
      assert.equal(m.stop_reason, "tool_use");
    },
  );
  await t.step("two calls with layout between the tokens, empty args {}, text after", async () => {
    // As K2 Thinking writes it: spaces around every token.
    const text = `Checking. ${BEGIN} ${call("functions.Read:1", '{"file_path": "/b"}', " ")} ` +
      `${call("functions.TodoRead:2", "{}", " ")} ${END}\nDone.`;
    for (const pieces of [[text], [...text], ...cuts(text)]) {
      const m = await streamed(pieces);
      assert.equal(m.content.length, 4, JSON.stringify(pieces));
      assert.deepEqual(m.content[0], { type: "text", text: "Checking. " });
      assert.deepEqual(toolUse(m, 1), { name: "Read", input: { file_path: "/b" } });
      assert.deepEqual(toolUse(m, 2), { name: "TodoRead", input: {} });
      assert.deepEqual(m.content[3], { type: "text", text: "Done." });
      assert.equal(m.stop_reason, "tool_use");
    }
  });
  await t.step("ids without `functions.`, nothing after the argument token, MCP name", async () => {
    const m = await streamed([
      BEGIN,
      call("TodoRead:0", ""),
      call(`functions.${MCP_WIRE}:1`, '{"item": "a<|b|>c"}'),
      END,
    ]);
    assert.deepEqual(toolUse(m, 0), { name: "TodoRead", input: {} });
    assert.deepEqual(toolUse(m, 1), { name: MCP_CLIENT, input: { item: "a<|b|>c" } });
    const ids = m.content.map((b) => (b as { id: string }).id);
    assert.notEqual(ids[0], ids[1]);
  });
  await t.step("the singular section tokens some builds write", async () => {
    const text = "<|tool_call_section_begin|>" + call("functions.Bash:0", '{"command":"pwd"}') +
      "<|tool_call_section_end|>";
    for (const pieces of cuts(text)) {
      const m = await streamed(pieces);
      assert.deepEqual(toolUse(m, 0), { name: "Bash", input: { command: "pwd" } });
    }
  });
  await t.step("Kimi's turn tokens are removed from text", async () => {
    const m = await streamed(["Done.<|im_e", "nd|><|im_middle|>", "<|im_assistant|>"]);
    assert.deepEqual(m.content, [{ type: "text", text: "Done." }]);
  });
});

Deno.test("Kimi K2 sections that are not calls stay text, unchanged", async (t) => {
  // The way the other text forms decide: a call must name an offered tool and give an object;
  // anything else in a section, and the whole section is prose (a model explaining the format).
  const example = "```\n" + BEGIN + call("functions.get_weather:0", '{"city": "Paris"}') + END +
    "\n```\n";
  const prose = `${BEGIN} then ${call("functions.Bash:0", '{"command":"ls"}')}${END}`;
  const badJson = BEGIN + call("functions.Bash:0", '{"command":') + END;
  const list = BEGIN + call("functions.Bash:0", "[1]") + END;
  const noIndex = BEGIN + call("functions.Bash", '{"command":"ls"}') + END;
  const mixed = BEGIN + call("functions.Bash:0", '{"command":"ls"}') +
    call("functions.Rm:1", "{}") + END;
  for (const text of [example, prose, badJson, list, noIndex, mixed]) {
    await t.step(JSON.stringify(text), async () => {
      for (const pieces of [[text], ...cuts(text)]) {
        const m = await streamed(pieces);
        assert.deepEqual(m.content, [{ type: "text", text }], JSON.stringify(pieces));
        assert.equal(m.stop_reason, "end_turn");
      }
    });
  }
});

Deno.test("a Kimi K2 section the stream leaves open", async (t) => {
  await t.step("every call ended with its own token: the calls run", async () => {
    // The section's closing token is missing (or cut after its start); each call is whole.
    for (const tail of ["", "\n", "<|tool_calls_sec"]) {
      const m = await streamed([
        "On it.",
        BEGIN,
        call("functions.Bash:0", '{"command":"ls"}'),
        call("functions.Read:1", '{"file_path":"/c"}') + tail,
      ]);
      assert.deepEqual(m.content[0], { type: "text", text: "On it." });
      assert.deepEqual(toolUse(m, 1), { name: "Bash", input: { command: "ls" } });
      assert.deepEqual(toolUse(m, 2), { name: "Read", input: { file_path: "/c" } });
      assert.equal(m.stop_reason, "tool_use");
    }
  });
  await t.step("a call cut before its end token: the whole section is text", async () => {
    // Running the calls before it and dropping a possibly truncated command would hide what the
    // model meant; the text shows it, and Claude Code runs nothing half-written.
    const open = BEGIN + call("functions.Read:0", '{"file_path":"/c"}') +
      '<|tool_call_begin|>functions.Bash:1<|tool_call_argument_begin|>{"command":"rm -rf /tmp/x';
    const m = await streamed(["On it.", open]);
    assert.deepEqual(m.content, [{ type: "text", text: "On it." + open }]);
    assert.equal(m.stop_reason, "end_turn");
  });
  await t.step("cut by max_tokens mid-call: text, stop_reason max_tokens", async () => {
    const open = BEGIN + '<|tool_call_begin|>functions.Bash:0<|tool_call_argument_begin|>{"com';
    const bytes = sse([open], "length");
    const out = await translateChunks([bytes], ON);
    assertWellFormed(parseFrames(out));
    const m = await sdkMessage(out);
    assert.deepEqual(m.content, [{ type: "text", text: open }]);
    assert.equal(m.stop_reason, "max_tokens");
  });
  await t.step("a lone section token before native tool_calls is dropped", async () => {
    // A server whose parser takes the calls but lets the section's first token through.
    const frame = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const native = {
      index: 0,
      id: "functions.Bash:0",
      function: { name: "Bash", arguments: '{"command":"ls"}' },
    };
    const body = frame({ content: "Listing." }) + frame({ content: BEGIN }) +
      frame({ tool_calls: [native] }) + frame({}, "tool_calls") + "data: [DONE]\n\n";
    const out = await translateChunks([encoder.encode(body)], ON);
    assertWellFormed(parseFrames(out));
    const m = await sdkMessage(out);
    assert.deepEqual(m.content[0], { type: "text", text: "Listing." });
    assert.equal(m.content.length, 2);
    assert.equal((m.content[1] as { name: string }).name, "Bash");
  });
});

Deno.test("a non-streaming answer's Kimi K2 section becomes tool_use blocks", () => {
  const content = `Let me check.${BEGIN}${call("functions.Bash:0", '{"command":"ls"}')}` +
    `${call("functions.TodoRead:1", "{}")}${END}`;
  const m = openAIResponseToAnthropic({
    id: "c",
    model: "kimi-k2-0905-preview",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 4 },
  }, { ...BASE_OPTIONS, ...ON });
  assert.equal(m.content.length, 3);
  assert.deepEqual(m.content[0], { type: "text", text: "Let me check." });
  assert.deepEqual(toolUse(m, 1), { name: "Bash", input: { command: "ls" } });
  assert.deepEqual(toolUse(m, 2), { name: "TodoRead", input: {} });
  assert.equal(m.stop_reason, "tool_use");
});

Deno.test("which dialects recover Kimi K2's tokens by default", () => {
  const on = (name: keyof typeof OPENAI_DIALECTS, model: string) =>
    dialectForModel(OPENAI_DIALECTS[name], model).textToolCalls;
  assert.equal(on("kimi", "kimi-k2-0905-preview"), true, "Moonshot's own API");
  assert.equal(on("kimi", "kimi-latest"), true, "every model of the kimi preset");
  assert.equal(on("local", "Kimi-K2-Instruct"), true);
  for (const name of ["nvidia_nim", "groq", "together", "openrouter"] as const) {
    assert.equal(on(name, "moonshotai/Kimi-K2-Instruct-0905"), true, name);
    assert.equal(on(name, "meta/llama-3.3-70b-instruct"), false, `${name}: other models`);
  }
  assert.equal(on("openai_compatible", "kimi-k2"), false, "a generic server: the setting");
});
