import assert from "node:assert/strict";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../../src/translate/openai_chat/request.ts";
import { encodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";
import { claudeCodeRequest } from "../_claude_code_request.ts";

const SIG = encodeCcpSignature({
  provider: "deepseek",
  protocol: "openai_chat",
  model: "deepseek-v4-pro",
  fields: ["reasoning_content"],
});

Deno.test("a full Claude Code 2.1.x request → DeepSeek Chat Completions", () => {
  const request = claudeCodeRequest(SIG);
  const before = structuredClone(request);
  const body = toOpenAIChatRequest(request, {
    dialect: OPENAI_DIALECTS.deepseek,
    provider: "deepseek",
    model: "deepseek-v4-pro",
  });
  assert.deepEqual(request, before, "input not mutated");

  // System: billing header gone, the two cached blocks and the mid-conversation system message merged.
  const [system, ...rest] = body.messages;
  assert.equal(system?.role, "system");
  assert.match(String(system?.content), /^You are a Claude agent/);
  assert.match(String(system?.content), /# Environment\nYou have been invoked/);
  assert.ok(!String(system?.content).includes("billing-header"));

  assert.deepEqual(rest.map((m) => m.role), ["user", "assistant", "tool"]);
  assert.equal(
    rest[0]?.content,
    "<system-reminder>\nAttribution for git commits …</system-reminder>\n\n\nCreate hello.txt containing hi",
  );
  const assistant = rest[1];
  assert.ok(assistant?.role === "assistant");
  assert.equal(assistant.content, "Writing it now.");
  assert.equal(assistant.reasoning_content, "I should write the file.");
  assert.deepEqual(assistant.tool_calls, [{
    id: "call_00_w1",
    type: "function",
    function: { name: "Write", arguments: '{"file_path":"/tmp/hello.txt","content":"hi"}' },
  }]);
  assert.deepEqual(rest[2], {
    role: "tool",
    tool_call_id: "call_00_w1",
    content: "File created successfully at: /tmp/hello.txt",
  });

  // 11 tools (the deferred placeholder is not loaded), schemas without $schema,
  // additionalProperties kept; nothing Anthropic-only leaks.
  assert.equal(body.tools?.length, 11);
  for (const tool of body.tools ?? []) {
    assert.equal(tool.function.parameters.$schema, undefined);
    assert.equal(tool.function.parameters.type, "object");
  }
  const text = JSON.stringify(body);
  for (
    const leaked of [
      "cache_control",
      "context_management",
      "output_config",
      "defer_loading",
      "metadata",
    ]
  ) {
    assert.ok(!text.includes(leaked), `${leaked} must not reach the provider`);
  }

  // Limits, thinking, streaming.
  assert.equal(body.max_tokens, 128000, "Claude Code's whole limit: DeepSeek V4 writes up to 384K");
  assert.deepEqual(body.thinking, { type: "enabled" });
  assert.equal(body.reasoning_effort, "medium");
  assert.equal(body.stream, true);
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.equal(body.user, undefined);
});

Deno.test("a full Claude Code 2.1.x request → every named dialect maps without throwing", async (t) => {
  for (const [name, dialect] of Object.entries(OPENAI_DIALECTS)) {
    await t.step(name, () => {
      const body = toOpenAIChatRequest(claudeCodeRequest(SIG), {
        dialect,
        provider: "p",
        model: "some-model",
      });
      assert.ok(body.messages.length >= 4);
      assert.ok(!JSON.stringify(body).includes("cache_control"));
      const max = body.max_tokens ?? body.max_completion_tokens;
      assert.ok(max === undefined || max <= 128000);
      JSON.stringify(body); // serialisable
    });
  }
});
