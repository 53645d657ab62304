import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";

/** What Ollama's /v1 sends for a Qwen model run without a tool-call parser. */
function ollamaStream(): string {
  const pieces = [
    "I'll list the files.\n<tool",
    '_call>\n{"name": "Bash", "argu',
    'ments": {"command": "ls"}}\n</tool_call><|im_',
    "end|>",
  ];
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-7",
        object: "chat.completion.chunk",
        model: "qwen3",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  return [
    chunk({ role: "assistant", content: "" }),
    ...pieces.map((content) => chunk({ role: "assistant", content })),
    chunk({ role: "assistant", content: "" }, "stop"),
    "data: [DONE]\n\n",
  ].join("");
}

/** Claude Code's request shape: tools offered, streaming. */
const REQUEST = {
  model: "claude-sonnet-4-5",
  max_tokens: 32000,
  stream: true,
  messages: [{ role: "user", content: "list the files" }],
  tools: [{
    name: "Bash",
    description: "Runs a command",
    input_schema: { type: "object", properties: { command: { type: "string" } } },
  }],
};

async function ask(
  settings: string,
): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const upstream = startOpenAIMock({ sse: ollamaStream() });
  const config = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  ollama:
    preset: ollama
    type: openai
    base_url: ${upstream.url}
${settings}
routes:
  default: ollama/qwen3
`,
  });
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, REQUEST, { "anthropic-version": "2023-06-01" });
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    assert.equal(upstream.requests.length, 1);
    return events;
  } finally {
    await ccp.close();
    await upstream.close();
  }
}

Deno.test("a local model's text-form tool call reaches Claude Code as a tool_use", async () => {
  const events = await ask("");
  const starts = events.filter((e) => e.event === "content_block_start").map((e) => e.data);
  assert.deepEqual(starts.map((s) => s.index), [0, 1]);
  const tool = starts[1]!.content_block as { type: string; id: string; name: string };
  assert.equal(tool.type, "tool_use");
  assert.equal(tool.name, "Bash");
  assert.match(tool.id, /^toolu_/);
  const json = events.filter((e) => e.event === "content_block_delta" && e.data.index === 1)
    .map((e) => (e.data.delta as { partial_json: string }).partial_json).join("");
  assert.deepEqual(JSON.parse(json), { command: "ls" });
  const text = events.filter((e) => e.event === "content_block_delta" && e.data.index === 0)
    .map((e) => (e.data.delta as { text: string }).text).join("");
  assert.equal(text, "I'll list the files.\n");
  const delta = events.find((e) => e.event === "message_delta")!.data.delta as {
    stop_reason: string;
  };
  assert.equal(delta.stop_reason, "tool_use");
  assert.equal(events.at(-1)!.event, "message_stop");
});

Deno.test("model_settings text_tool_calls: false relays the text unchanged", async () => {
  const events = await ask(`    model_settings:\n      qwen3: { text_tool_calls: false }`);
  assert.deepEqual(
    events.filter((e) => e.event === "content_block_start").map((e) => e.data.index),
    [0],
  );
  const text = events.filter((e) => e.event === "content_block_delta")
    .map((e) => (e.data.delta as { text: string }).text).join("");
  assert.match(text, /<tool_call>[\s\S]*<\/tool_call><\|im_end\|>$/);
  const delta = events.find((e) => e.event === "message_delta")!.data.delta as {
    stop_reason: string;
  };
  assert.equal(delta.stop_reason, "end_turn");
});

Deno.test("a non-streaming answer's text-form call arrives as a tool_use", async () => {
  const content = "<function=Bash>\n<parameter=command>\npwd\n</parameter>\n</function><|im_end|>";
  const upstream = startOpenAIMock({
    json: {
      id: "chatcmpl-8",
      object: "chat.completion",
      model: "qwen3-coder",
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: { prompt_tokens: 12, completion_tokens: 9 },
    },
  });
  const config = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  vllm:
    preset: vllm
    type: openai
    base_url: ${upstream.url}
routes:
  default: vllm/qwen3-coder
`,
  });
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, { ...REQUEST, stream: false }, {
      "anthropic-version": "2023-06-01",
    });
    assert.equal(res.status, 200);
    const message = await res.json();
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.content.length, 1);
    assert.equal(message.content[0].type, "tool_use");
    assert.equal(message.content[0].name, "Bash");
    assert.deepEqual(message.content[0].input, { command: "pwd" });
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

/** Kimi K2 through `preset` (whose dialect turns the recovery on for `model`). */
async function kimiThrough(preset: string, model: string): Promise<void> {
  // Moonshot-style chunks: the section's tokens cut across deltas, two calls, usage in the choice.
  const pieces = [
    "Let me look.<|tool_calls_sec",
    "tion_begin|><|tool_call_begin|>functions.Bash:0<|tool_call_argu",
    'ment_begin|>{"command": "l',
    's"}<|tool_call_end|><|tool_call_begin|>functions.Bash:1<|tool_call_argument_begin|>{}',
    "<|tool_call_end|><|tool_calls_section_end|>",
  ];
  const chunk = (delta: unknown, finish: string | null = null, usage?: unknown) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-k2",
        object: "chat.completion.chunk",
        model,
        choices: [{ index: 0, delta, finish_reason: finish, ...(usage ? { usage } : {}) }],
      })
    }\n\n`;
  const sse = [
    chunk({ role: "assistant", content: "" }),
    ...pieces.map((content) => chunk({ content })),
    chunk({}, "stop", { prompt_tokens: 20, completion_tokens: 30, total_tokens: 50 }),
    "data: [DONE]\n\n",
  ].join("");
  const upstream = startOpenAIMock({ sse });
  const config = configFromYaml({
    file: "config.yaml",
    env: {},
    text: `
providers:
  up:
    preset: ${preset}
    base_url: ${upstream.url}
    api_key: sk-test
routes:
  default: up/${model}
`,
  });
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, REQUEST, { "anthropic-version": "2023-06-01" });
    assert.equal(res.status, 200);
    const events = parseSse(await res.text());
    const starts = events.filter((e) => e.event === "content_block_start")
      .map((e) => e.data.content_block as { type: string; id?: string; name?: string });
    assert.deepEqual(starts.map((b) => b.type), ["text", "tool_use", "tool_use"]);
    assert.deepEqual(starts.slice(1).map((b) => b.name), ["Bash", "Bash"]);
    for (const b of starts.slice(1)) assert.match(b.id!, /^toolu_/);
    const json = (index: number) =>
      events.filter((e) => e.event === "content_block_delta" && e.data.index === index)
        .map((e) => (e.data.delta as { partial_json: string }).partial_json).join("");
    assert.deepEqual(JSON.parse(json(1)), { command: "ls" });
    assert.deepEqual(JSON.parse(json(2) || "{}"), {});
    const text = events.filter((e) => e.event === "content_block_delta" && e.data.index === 0)
      .map((e) => (e.data.delta as { text: string }).text).join("");
    assert.equal(text, "Let me look.");
    const delta = events.find((e) => e.event === "message_delta")!.data.delta as {
      stop_reason: string;
    };
    assert.equal(delta.stop_reason, "tool_use");
    // ccp offered the tools on the wire, under their own names.
    const sent = upstream.requests[0]!.body as { tools: { function: { name: string } }[] };
    assert.deepEqual(sent.tools.map((t) => t.function.name), ["Bash"]);
  } finally {
    await ccp.close();
    await upstream.close();
  }
}

Deno.test("Kimi K2's tool tokens left in content reach Claude Code as tool_use blocks", async (t) => {
  await t.step("Moonshot's API (preset kimi)", () => kimiThrough("kimi", "kimi-k2-0905-preview"));
  await t.step(
    "a host serving many models (preset nvidia_nim)",
    () => kimiThrough("nvidia_nim", "moonshotai/kimi-k2-instruct-0905"),
  );
});
