/** Responses API streams → Anthropic streams: fixtures at every split point, and the ugly cases. */

import assert from "node:assert/strict";
import { UpstreamError } from "../../../src/core/errors.ts";
import { decodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";
import { responsesTranslation } from "../../../src/translate/openai_responses/stream.ts";
import { responsesResponseToAnthropic } from "../../../src/translate/openai_responses/response.ts";
import {
  CONTEXT_OVERFLOW_SCRIPT,
  responseObject,
  type ResponsesScript,
  responsesSse,
} from "../../mocks/responses_wire.ts";
import {
  assertWellFormed,
  bytewise,
  parseFrames,
  relayChunks,
  sdkMessage,
  splitAt,
} from "../_stream_helpers.ts";

const OPTIONS = {
  clientModel: "claude-opus-5-5",
  inputTokens: 1234,
  provider: "codex",
  upstreamModel: "gpt-5.1-codex",
  messageId: "msg_fixture",
};

const encoder = new TextEncoder();

async function translate(chunks: Uint8Array[]): Promise<string> {
  const out = relayChunks(chunks, responsesTranslation(OPTIONS));
  return (await Array.fromAsync(out.pipeThrough(new TextDecoderStream()))).join("");
}

const WRITE_ARGS = '{"file_path":"/tmp/a.txt","content":"héllo wörld ✓\\n"}';

const SCRIPTS: Record<string, ResponsesScript> = {
  text: { items: [{ kind: "text", text: "Hello from the Responses API — ünïcode ✓" }] },
  reasoning_text: {
    items: [
      {
        kind: "reasoning",
        summary: ["**Planning**\n\nI think.", "Then I answer."],
        encrypted: "gAAAA-enc-1",
      },
      { kind: "text", text: "The answer is 42." },
    ],
    usage: { input: 2000, cached: 1500, output: 300, reasoning: 256 },
  },
  encrypted_only_reasoning_then_call: {
    items: [
      { kind: "reasoning", summary: [], encrypted: "gAAAA-enc-only" },
      { kind: "call", name: "Write", args: WRITE_ARGS, callId: "call_W1" },
    ],
  },
  parallel_calls: {
    items: [
      { kind: "text", text: "Reading both." },
      { kind: "call", name: "Read", args: '{"file_path":"a.ts"}', callId: "call_A" },
      { kind: "call", name: "Read", args: '{"file_path":"b.ts"}', callId: "call_B" },
    ],
  },
  empty_arguments: { items: [{ kind: "call", name: "TodoRead", args: "", callId: "call_E" }] },
  max_tokens: {
    items: [{ kind: "text", text: "This answer was cut" }],
    end: { status: "incomplete", reason: "max_output_tokens" },
  },
  refusal: {
    items: [{ kind: "refusal", text: "I can’t help with that request." }],
    usage: { input: 900, output: 9 },
  },
  content_filter: {
    items: [{ kind: "text", text: "Here is the first part" }],
    end: { status: "incomplete", reason: "content_filter" },
  },
  failed: {
    items: [{ kind: "text", text: "partial" }],
    end: { status: "failed", code: "server_error", message: "The model failed." },
  },
  context_overflow: CONTEXT_OVERFLOW_SCRIPT,
};

/** One Responses event with its sequence number, as the API frames it. */
function at(n: number, type: string, data: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n, ...data })}\n\n`;
}

function fixture(name: string): Uint8Array {
  return encoder.encode(responsesSse(SCRIPTS[name]!, "gpt-5.1-codex"));
}

Deno.test("Responses stream: every fixture, split at every point, gives the same well-formed stream", async (t) => {
  for (const name of Object.keys(SCRIPTS)) {
    await t.step(name, async () => {
      const bytes = fixture(name);
      const reference = await translate([bytes]);
      assertWellFormed(parseFrames(reference));
      // Every two-way split (multi-byte UTF-8 split included) and one byte at a time.
      for (let cut = 1; cut < bytes.length; cut += Math.max(1, Math.floor(bytes.length / 300))) {
        assert.equal(await translate(splitAt(bytes, [cut])), reference, `cut at ${cut}`);
      }
      assert.equal(await translate(bytewise(bytes)), reference, "bytewise");
    });
  }
});

Deno.test("Responses stream: the Anthropic SDK reads each answer", async (t) => {
  await t.step(
    "reasoning then text: a signed thinking block carrying the encrypted item",
    async () => {
      const sse = await translate([fixture("reasoning_text")]);
      const message = await sdkMessage(sse);
      assert.equal(message.model, "claude-opus-5-5");
      assert.equal(message.stop_reason, "end_turn");
      assert.equal(message.content.length, 2);
      const [thinking, text] = message.content;
      assert.equal(thinking!.type, "thinking");
      if (thinking!.type !== "thinking") return;
      assert.equal(thinking!.thinking, "**Planning**\n\nI think.\n\nThen I answer.");
      const origin = decodeCcpSignature(thinking!.signature);
      assert.equal(origin?.protocol, "openai_responses");
      assert.equal(origin?.provider, "codex");
      assert.deepEqual(origin?.details, [{
        type: "reasoning",
        summary: [
          { type: "summary_text", text: "**Planning**\n\nI think." },
          { type: "summary_text", text: "Then I answer." },
        ],
        encrypted_content: "gAAAA-enc-1",
      }]);
      assert.deepEqual(text, { type: "text", text: "The answer is 42." });
      // Cached tokens are not input tokens for Anthropic; reasoning tokens are output.
      assert.equal(message.usage.input_tokens, 500);
      assert.equal(message.usage.cache_read_input_tokens, 1500);
      assert.equal(message.usage.output_tokens, 300);
    },
  );
  await t.step("encrypted-only reasoning still travels, then a tool call", async () => {
    const message = await sdkMessage(
      await translate([fixture("encrypted_only_reasoning_then_call")]),
    );
    assert.deepEqual(message.content.map((b) => b.type), ["thinking", "tool_use"]);
    const call = message.content[1]!;
    if (call.type !== "tool_use") return;
    assert.equal(call.id, "call_W1", "the call id maps one to one, so tool results find it");
    assert.deepEqual(call.input, JSON.parse(WRITE_ARGS));
    assert.equal(message.stop_reason, "tool_use");
  });
  await t.step("parallel calls in order, each complete", async () => {
    const message = await sdkMessage(await translate([fixture("parallel_calls")]));
    assert.deepEqual(
      message.content.map((b) => b.type === "tool_use" ? [b.id, b.input] : b.type),
      ["text", ["call_A", { file_path: "a.ts" }], ["call_B", { file_path: "b.ts" }]],
    );
  });
  await t.step("a call without arguments gets {}", async () => {
    const message = await sdkMessage(await translate([fixture("empty_arguments")]));
    const call = message.content[0]!;
    assert.ok(call.type === "tool_use");
    assert.deepEqual(call.input, {});
  });
  await t.step("incomplete for max_output_tokens is max_tokens", async () => {
    const message = await sdkMessage(await translate([fixture("max_tokens")]));
    assert.equal(message.stop_reason, "max_tokens");
  });
  await t.step(
    "a refusal is the answer's text: the model declined, no filter stopped it",
    async () => {
      const message = await sdkMessage(await translate([fixture("refusal")]));
      assert.deepEqual(message.content, [
        { type: "text", text: "I can’t help with that request." },
      ]);
      assert.equal(message.stop_reason, "end_turn");
      assert.equal(message.usage.output_tokens, 9);
    },
  );
  await t.step("incomplete for content_filter is a refusal, keeping what came", async () => {
    const message = await sdkMessage(await translate([fixture("content_filter")]));
    assert.equal(message.stop_reason, "refusal");
    assert.deepEqual(message.content.map((b) => b.type === "text" && b.text), [
      "Here is the first part",
    ]);
  });
  await t.step("response.failed ends with one error event", async () => {
    const frames = parseFrames(await translate([fixture("failed")]));
    assert.equal(frames.filter((f) => f.event === "error").length, 1);
    assert.match(String(frames.at(-1)!.data.error!.message), /codex.*The model failed/);
  });
  await t.step("an over-long prompt reads as Anthropic's, so Claude Code compacts", async () => {
    const frames = parseFrames(await translate([fixture("context_overflow")]));
    assertWellFormed(frames);
    const error = frames.at(-1)!.data.error!;
    assert.equal(error.type, "invalid_request_error");
    assert.match(
      String(error.message),
      /^prompt is too long \(.*codex.*exceeds the context window/,
    );
  });
});

Deno.test("Responses stream: the ugly cases", async (t) => {
  const head = (model = "gpt-5.1-codex") =>
    responsesSse({ items: [{ kind: "text", text: "hi" }] }, model).split(
      "event: response.output_item.added",
    )[0]!;
  // The events of call_1 (item fc_1) at output 0, and the answer's end.
  const CALL = { id: "fc_1", type: "function_call", call_id: "call_1" };
  const LS = '{"command":"ls"}';
  const callAdded = (n: number, named: boolean) =>
    at(n, "response.output_item.added", {
      output_index: 0,
      item: { ...CALL, ...(named ? { name: "Bash" } : {}), arguments: "" },
    });
  const argsDelta = (n: number, delta: string) =>
    at(n, "response.function_call_arguments.delta", { item_id: "fc_1", output_index: 0, delta });
  const callDone = (n: number) =>
    at(n, "response.output_item.done", {
      output_index: 0,
      item: { ...CALL, name: "Bash", arguments: LS },
    });
  const completed = (n: number, model = "gpt-5.1-codex") =>
    at(n, "response.completed", { response: responseObject({ items: [] }, model) });
  await t.step("a call item whose fields are not strings is read as one without them", async () => {
    const item = { id: 5, type: "function_call", call_id: ["c"], name: 7, arguments: [null] };
    const frames = parseFrames(
      await translate([encoder.encode(
        head() +
          `event: response.output_item.added\ndata: ${
            JSON.stringify({ type: "response.output_item.added", output_index: 0, item })
          }\n\n` +
          `event: response.output_item.done\ndata: ${
            JSON.stringify({ type: "response.output_item.done", output_index: 0, item })
          }\n\n` +
          'event: response.completed\ndata: {"type":"response.completed","response":{}}\n\n',
      )]),
    );
    assertWellFormed(frames);
    assert.equal(frames.at(-1)!.event, "message_stop", JSON.stringify(frames.at(-1)));
  });
  await t.step("a malformed event ends the stream with one error", async () => {
    const frames = parseFrames(
      await translate([
        encoder.encode(head() + "event: response.output_text.delta\ndata: {oops\n\n"),
      ]),
    );
    assertWellFormed(frames);
    assert.equal(frames.at(-1)!.event, "error");
    assert.match(String(frames.at(-1)!.data.error!.message), /malformed/);
  });
  await t.step(
    "a stream closed before response.completed is an error, not a silent end",
    async () => {
      const frames = parseFrames(await translate([encoder.encode(head())]));
      assertWellFormed(frames);
      assert.match(String(frames.at(-1)!.data.error!.message), /before response\.completed/);
    },
  );
  await t.step("an error event mid-stream becomes the matching Anthropic error", async () => {
    const frames = parseFrames(
      await translate([encoder.encode(
        head() +
          'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Rate limit reached","param":null,"sequence_number":3}\n\n',
      )]),
    );
    assertWellFormed(frames);
    assert.equal(frames.at(-1)!.data.error!.type, "rate_limit_error");
  });
  await t.step("an error event saying the model is overloaded is overloaded_error", async () => {
    const typeOf = async (event: Record<string, unknown>) => {
      const frames = parseFrames(
        await translate([encoder.encode(
          head() + `event: error\ndata: ${JSON.stringify({ type: "error", ...event })}\n\n`,
        )]),
      );
      assertWellFormed(frames);
      return frames.at(-1)!.data.error!.type;
    };
    assert.equal(
      await typeOf({
        error: {
          type: "server_error",
          message: "That model is currently overloaded with other requests.",
        },
      }),
      "overloaded_error",
    );
    assert.equal(await typeOf({ code: "server_error", message: "Internal error" }), "api_error");
    // A rate limit that says the provider is out of capacity, as a 429 before the stream.
    assert.equal(
      await typeOf({ code: "rate_limit_exceeded", message: "No capacity available right now" }),
      "overloaded_error",
    );
    assert.equal(
      await typeOf({ code: "rate_limit_exceeded", message: "Rate limit reached" }),
      "rate_limit_error",
    );
  });
  await t.step("an error event with its fields wrapped in `error` keeps its message", async () => {
    const frames = parseFrames(
      await translate([encoder.encode(
        head() +
          'event: error\ndata: {"type":"error","error":{"type":"insufficient_quota","code":"insufficient_quota","message":"You exceeded your current quota.","param":null},"sequence_number":2}\n\n',
      )]),
    );
    assertWellFormed(frames);
    const error = frames.at(-1)!.data.error!;
    assert.match(String(error.message), /codex.*You exceeded your current quota\./);
    assert.equal(error.type, "rate_limit_error");
  });
  await t.step(
    "reasoning nobody asked for (nothing encrypted, no summary) adds no block",
    async () => {
      const reasoning = { id: "rs_1", type: "reasoning", summary: [] };
      const body = head() +
        at(2, "response.output_item.added", { output_index: 0, item: reasoning }) +
        at(3, "response.output_item.done", { output_index: 0, item: reasoning }) +
        at(4, "response.output_text.delta", { item_id: "msg_1", output_index: 1, delta: "Hi." }) +
        completed(5, "gpt-5");
      const message = await sdkMessage(await translate([encoder.encode(body)]));
      assert.deepEqual(message.content.map((b) => b.type), ["text"]);
    },
  );
  await t.step("text that interleaves with an open call waits for it", async () => {
    const body = head() +
      callAdded(2, true) +
      argsDelta(3, '{"comm') +
      at(4, "response.output_text.delta", {
        item_id: "msg_9",
        output_index: 1,
        delta: "late words",
      }) +
      argsDelta(5, 'and":"ls"}') +
      callDone(6) +
      completed(7);
    const message = await sdkMessage(await translate([encoder.encode(body)]));
    assert.deepEqual(message.content.map((b) => b.type === "tool_use" ? b.input : b.type), [
      { command: "ls" },
      "text",
    ]);
  });
  await t.step("a call added without its name opens its block once the name comes", async () => {
    // Recorded from a Responses server that names the call only in output_item.done.
    const body = head() +
      callAdded(2, false) +
      argsDelta(3, LS) +
      at(4, "response.function_call_arguments.done", {
        item_id: "fc_1",
        output_index: 0,
        arguments: LS,
      }) +
      callDone(5) +
      completed(6);
    const wire = await translate([encoder.encode(body)]);
    const frames = parseFrames(wire);
    assertWellFormed(frames);
    const starts = frames.filter((f) => f.event === "content_block_start")
      .map((f) => (f.data.content_block as { name?: string }).name);
    assert.deepEqual(starts, ["Bash"]);
    const message = await sdkMessage(wire);
    assert.deepEqual(message.content.map((b) => b.type === "tool_use" ? b.input : b.type), [
      { command: "ls" },
    ]);
    assert.equal(message.stop_reason, "tool_use");
  });
  await t.step("a call that never gets a name is dropped, as on the Chat path", async () => {
    const body = head() +
      callAdded(2, false) +
      argsDelta(3, LS) +
      at(4, "response.output_text.delta", { item_id: "msg_1", output_index: 1, delta: "Hi." }) +
      completed(5);
    const message = await sdkMessage(await translate([encoder.encode(body)]));
    assert.deepEqual(message.content.map((b) => b.type), ["text"]);
  });
});

Deno.test("Responses JSON answer → the same Message the stream gives", async (t) => {
  for (
    const name of [
      "reasoning_text",
      "parallel_calls",
      "max_tokens",
      "encrypted_only_reasoning_then_call",
      "refusal",
      "content_filter",
    ]
  ) {
    await t.step(name, async () => {
      const streamed = await sdkMessage(await translate([fixture(name)]));
      const json = responsesResponseToAnthropic(
        responseObject(SCRIPTS[name]!, "gpt-5.1-codex"),
        OPTIONS,
      );
      assert.deepEqual(
        JSON.parse(JSON.stringify(json.content)),
        JSON.parse(JSON.stringify(streamed.content, (k, v) => (k === "citations" ? undefined : v))),
      );
      assert.equal(json.stop_reason, streamed.stop_reason);
      assert.equal(json.usage.output_tokens, streamed.usage.output_tokens);
    });
  }
  await t.step("a failed response is a 502 naming the provider", () => {
    assert.throws(
      () => responsesResponseToAnthropic(responseObject(SCRIPTS.failed!, "m"), OPTIONS),
      /codex.*The model failed/,
    );
  });
  await t.step("raw reasoning text (no summary) is a thinking block, as when streamed", () => {
    const message = responsesResponseToAnthropic({
      ...responseObject({ items: [{ kind: "text", text: "Four." }] }, "gpt-oss-120b"),
      output: [
        {
          id: "rs_1",
          type: "reasoning",
          summary: [],
          content: [{ type: "reasoning_text", text: "Two plus two is four." }],
        },
        ...(responseObject({ items: [{ kind: "text", text: "Four." }] }, "m").output as unknown[]),
      ],
    }, OPTIONS);
    assert.deepEqual(message.content.map((b) => b.type === "thinking" ? b.thinking : b.type), [
      "Two plus two is four.",
      "text",
    ]);
  });
  await t.step("a failed over-long prompt is a 400 in Anthropic's words", () => {
    assert.throws(
      () => responsesResponseToAnthropic(responseObject(SCRIPTS.context_overflow!, "m"), OPTIONS),
      (error: unknown) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.status, 400);
        assert.equal(error.errorType, "invalid_request_error");
        assert.match(error.message, /^prompt is too long \(.*exceeds the context window/);
        return true;
      },
    );
  });
});
