import assert from "node:assert/strict";
import { APIError, type Message } from "../../helpers/anthropic_sdk.ts";
import { decodeGeminiSignature } from "../../../src/translate/gemini/signature.ts";
import { geminiTranslation } from "../../../src/translate/gemini/stream.ts";
import type { GeminiTranslateOptions } from "../../../src/translate/gemini/translator.ts";
import {
  assertWellFormed,
  bytewise,
  parseFrames,
  relayChunks,
  sdkMessage,
} from "../_stream_helpers.ts";

const OPTIONS: GeminiTranslateOptions = {
  clientModel: "claude-opus-5-5",
  inputTokens: 1234,
  provider: "gem",
  upstreamModel: "gemini-3-pro-preview",
  messageId: "msg_fixture",
};

async function translate(chunks: Uint8Array[], over: Partial<GeminiTranslateOptions> = {}) {
  const out = relayChunks(chunks, geminiTranslation({ ...OPTIONS, ...over }));
  return (await Array.fromAsync(out.pipeThrough(new TextDecoderStream()))).join("");
}

function fixture(name: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(`../../fixtures/gemini/${name}`, import.meta.url));
}

/** Content with signatures decoded, so expectations read as what Gemini sent. */
function readable(message: Message): unknown[] {
  return message.content.map((b) => {
    if (b.type === "thinking") {
      const p = decodeGeminiSignature(b.signature);
      assert.ok(p, "a Gemini ccp signature");
      assert.equal(p.provider, "gem");
      assert.equal(p.model, "gemini-3-pro-preview");
      return { type: "thinking", thinking: b.thinking, sig: p.sig, next: p.next };
    }
    if (b.type === "tool_use") {
      assert.match(b.id, /^toolu_[A-Za-z0-9]{24}$/);
      return { type: "tool_use", name: b.name, input: b.input };
    }
    return b;
  });
}

interface Case {
  file: string;
  content?: unknown[];
  stop?: string;
  usage?: Record<string, number>;
  error?: RegExp;
}

const CASES: Case[] = [
  {
    file: "text_stream.sse",
    content: [{ type: "text", text: "Hello, world! ✓" }],
    stop: "end_turn",
    usage: { input_tokens: 20, output_tokens: 5, cache_read_input_tokens: 100 },
  },
  {
    file: "thoughts_then_text.sse",
    content: [
      {
        type: "thinking",
        thinking: "**Planning**\nThe user wants 2+2. That is 4.",
        sig: undefined,
        next: "U0lHX0E=",
      },
      { type: "text", text: "The answer is 4." },
    ],
    stop: "end_turn",
    usage: { input_tokens: 50, output_tokens: 36 },
  },
  {
    file: "function_call_signature.sse",
    content: [
      { type: "thinking", thinking: "I should list the files.", sig: undefined, next: "RkNfU0lH" },
      { type: "tool_use", name: "Bash", input: { command: "ls -la", description: "List files" } },
    ],
    stop: "tool_use",
    usage: { input_tokens: 300, output_tokens: 52 },
  },
  {
    file: "parallel_calls.sse",
    content: [
      { type: "text", text: "Reading both files." },
      { type: "thinking", thinking: "", sig: undefined, next: "UEFSX1NJRw==" },
      { type: "tool_use", name: "Read", input: { file_path: "/a.txt" } },
      { type: "tool_use", name: "Read", input: { file_path: "/b.txt" } },
      { type: "tool_use", name: "ListAgents", input: {} },
    ],
    stop: "tool_use",
    usage: { input_tokens: 400, output_tokens: 30 },
  },
  {
    file: "max_tokens.sse",
    content: [{ type: "text", text: "This answer is cut off" }],
    stop: "max_tokens",
    usage: { input_tokens: 10, output_tokens: 8 },
  },
  {
    // The limit cut the call short: Claude Code asks for more rather than run it.
    file: "max_tokens_call.sse",
    content: [
      { type: "text", text: "Writing the notes." },
      { type: "tool_use", name: "Bash", input: { command: "cat > notes.md <<'END'\n# Notes\n" } },
    ],
    stop: "max_tokens",
    usage: { input_tokens: 60, output_tokens: 64 },
  },
  {
    file: "safety.sse",
    content: [
      { type: "text", text: "Here is how" },
      { type: "text", text: "[Gemini ended the answer with finishReason SAFETY]" },
    ],
    stop: "refusal",
    usage: { input_tokens: 15, output_tokens: 3 },
  },
  {
    // Output too close to a source is no policy refusal: the turn ends, saying what happened.
    file: "recitation.sse",
    content: [
      { type: "text", text: "Here is the function:\n\n```c\nstatic int" },
      {
        type: "text",
        text: "[Gemini stopped the answer because it matched existing text or code (a published " +
          "source) too closely; Google withholds such output. Asking for the change in other " +
          "words, or in smaller pieces, may get past it (finishReason RECITATION).]",
      },
    ],
    stop: "end_turn",
    usage: { input_tokens: 40, output_tokens: 12 },
  },
  {
    file: "prompt_blocked.sse",
    content: [{
      type: "text",
      text: "[Gemini refused the request: the prompt was blocked (blockReason PROHIBITED_CONTENT)]",
    }],
    stop: "refusal",
    usage: { input_tokens: 12, output_tokens: 0 },
  },
  {
    file: "usage_last_chunk.sse",
    content: [{ type: "text", text: "Done." }],
    stop: "end_turn",
    usage: { input_tokens: 77, output_tokens: 2 },
  },
  {
    file: "trailing_signature.sse",
    content: [{ type: "text", text: "Plain answer." }],
    stop: "end_turn",
  },
  {
    file: "thought_signature_part.sse",
    content: [
      { type: "thinking", thinking: "Thinking hard.", sig: "VEhPVUdIVA==", next: undefined },
      { type: "thinking", thinking: "More thought.", sig: undefined, next: undefined },
      { type: "text", text: "Result." },
    ],
    stop: "end_turn",
    usage: { input_tokens: 30, output_tokens: 12 },
  },
  {
    // As Gemini sends it: a candidate with no content, a usage with no candidate count.
    file: "malformed_function_call.sse",
    content: [{
      type: "text",
      text: "[Gemini stopped the answer because the tool call it wrote does not parse. Asking " +
        "again usually gets a good call (finishReason MALFORMED_FUNCTION_CALL: Malformed " +
        "function call: print(default_api.Bash().]",
    }],
    stop: "end_turn",
    usage: { input_tokens: 40, output_tokens: 0 },
  },
  {
    // A request offering no tools (a title, say) after a history of calls: Gemini tries one.
    // Its last chunk carries the counts: the thoughts are output, the cache hit is no input.
    file: "unexpected_tool_call.sse",
    content: [
      {
        type: "thinking",
        thinking: "**Summarizing the session**\nA title for it.",
        sig: undefined,
        next: undefined,
      },
      {
        type: "text",
        text: "[Gemini stopped the answer because it called a tool the request did not offer " +
          "it, or did not let it call (finishReason UNEXPECTED_TOOL_CALL).]",
      },
    ],
    stop: "end_turn",
    usage: { input_tokens: 1024, cache_read_input_tokens: 4096, output_tokens: 51 },
  },
  {
    // Vertex AI: the project's Model Armor policy withheld the rest of the answer.
    file: "model_armor.sse",
    content: [
      { type: "text", text: "Sure, the key" },
      {
        type: "text",
        text: "[Gemini ended the answer with finishReason MODEL_ARMOR: Response blocked by " +
          "Model Armor.]",
      },
    ],
    stop: "refusal",
    usage: { input_tokens: 30, output_tokens: 3 },
  },
  { file: "malformed_chunk.sse", error: /malformed chunk/ },
  { file: "early_close.sse", error: /closed the stream early \(no finishReason\)/ },
  { file: "midstream_error.sse", error: /UNAVAILABLE: The model is overloaded/ },
];

Deno.test("Gemini stream fixtures → well-formed Anthropic streams", async (t) => {
  for (const c of CASES) {
    await t.step(c.file, async () => {
      const sse = await translate([await fixture(c.file)]);
      const frames = parseFrames(sse);
      assertWellFormed(frames);
      const start = frames[0]!.data.message!;
      assert.equal(start.usage.input_tokens, 1234, "message_start carries ccp's local count");
      if (c.error) {
        assert.equal(frames.at(-1)!.event, "error");
        assert.match(String(frames.at(-1)!.data.error!.message), c.error);
        await assert.rejects(sdkMessage(sse), APIError);
        return;
      }
      const message = await sdkMessage(sse);
      assert.equal(message.model, "claude-opus-5-5");
      assert.equal(message.id, "msg_fixture");
      assert.deepEqual(readable(message), c.content);
      assert.equal(message.stop_reason, c.stop);
      for (const [key, value] of Object.entries(c.usage ?? {})) {
        assert.equal((message.usage as unknown as Record<string, number>)[key], value, key);
      }
    });
  }
});

Deno.test("thought tokens count as output and are reported apart", async () => {
  const sse = await translate([await fixture("thoughts_then_text.sse")]);
  const delta = parseFrames(sse).find((f) => f.event === "message_delta")!;
  assert.deepEqual(delta.data.usage, {
    input_tokens: 50,
    output_tokens: 36,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 },
    output_tokens_details: { thinking_tokens: 30 },
  });
});

Deno.test("renamed tools come back under the client's name", async () => {
  const sse = await translate([await fixture("function_call_signature.sse")], {
    toolNames: new Map([["Bash", "mcp__server__Bash"]]),
  });
  const message = await sdkMessage(sse);
  assert.equal(message.content.find((b) => b.type === "tool_use")?.name, "mcp__server__Bash");
});

Deno.test("tool ids are distinct within one answer", async () => {
  const message = await sdkMessage(await translate(bytewise(await fixture("parallel_calls.sse"))));
  const ids = message.content.flatMap((b) => (b.type === "tool_use" ? [b.id] : []));
  assert.equal(ids.length, 3);
  assert.equal(new Set(ids).size, 3);
});

Deno.test("an empty body is an error, not a silent empty answer", async () => {
  const frames = parseFrames(await translate([]));
  assert.deepEqual(frames.map((f) => f.event), ["error"]);
  assert.match(String(frames[0]!.data.error!.message), /without sending any data/);
});

Deno.test("a mid-stream error saying overloaded is overloaded_error, with no code, a server error's or a 429", async () => {
  const first =
    '{"candidates":[{"content":{"parts":[{"text":"Partial"}],"role":"model"},"index":0}]}';
  const typeOf = async (error: Record<string, unknown>) => {
    const body = `data: ${first}\n\ndata: ${JSON.stringify({ error })}\n\n`;
    const frames = parseFrames(await translate([new TextEncoder().encode(body)]));
    assertWellFormed(frames);
    return frames.at(-1)!.data.error!.type;
  };
  assert.equal(await typeOf({ message: "The model is overloaded." }), "overloaded_error");
  assert.equal(await typeOf({ message: "Internal error encountered." }), "api_error");
  // Gemini's usual overload: 503 UNAVAILABLE, which before the stream Claude Code would retry.
  assert.equal(
    await typeOf({ code: 503, status: "UNAVAILABLE", message: "The model is overloaded." }),
    "overloaded_error",
  );
  // Another server error, or another status, keeps its status's type.
  assert.equal(await typeOf({ code: 503, message: "Service unavailable." }), "api_error");
  assert.equal(await typeOf({ code: 429, message: "Resource exhausted." }), "rate_limit_error");
  // A 429 that says the model is out of capacity, as before the stream (a 529 there).
  assert.equal(
    await typeOf({ code: 429, status: "RESOURCE_EXHAUSTED", message: "The model is overloaded." }),
    "overloaded_error",
  );
});
