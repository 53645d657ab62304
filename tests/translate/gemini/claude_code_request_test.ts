import assert from "node:assert/strict";
import { toGeminiRequest } from "../../../src/translate/gemini/request.ts";
import { encodeGeminiSignature } from "../../../src/translate/gemini/signature.ts";
import { claudeCodeRequest } from "../_claude_code_request.ts";

const SIG = encodeGeminiSignature({
  provider: "gemini",
  protocol: "gemini",
  model: "gemini-3-pro-preview",
  sig: "VEhPVUdIVA==",
  next: "Q0FMTA==",
});

Deno.test("a full Claude Code 2.1.x request → Gemini generateContent", () => {
  const request = claudeCodeRequest(SIG);
  const before = structuredClone(request);
  const body = toGeminiRequest(request, { provider: "gemini", model: "gemini-3-pro-preview" });
  assert.deepEqual(request, before, "input not mutated");

  // System: billing header gone; the two cached blocks and the mid-conversation system message.
  const system = body.systemInstruction?.parts[0]?.text ?? "";
  assert.match(system, /^You are a Claude agent/);
  assert.match(system, /Main prompt\./);
  assert.match(system, /# Environment\nYou have been invoked/);
  assert.ok(!system.includes("billing-header"));

  assert.deepEqual(body.contents.map((c) => c.role), ["user", "model", "user"]);
  assert.deepEqual(body.contents[0]?.parts, [
    { text: "<system-reminder>\nAttribution for git commits …</system-reminder>\n" },
    { text: "Create hello.txt containing hi" },
  ]);
  // The thought and the call's signature come back exactly where Gemini sent them.
  assert.deepEqual(body.contents[1]?.parts, [
    { text: "I should write the file.", thought: true, thoughtSignature: "VEhPVUdIVA==" },
    { text: "Writing it now.", thoughtSignature: "Q0FMTA==" },
    {
      functionCall: { name: "Write", args: { file_path: "/tmp/hello.txt", content: "hi" } },
      // No signature of its own: the step's first call gets Google's placeholder.
      thoughtSignature: "skip_thought_signature_validator",
    },
  ]);
  assert.deepEqual(body.contents[2]?.parts, [{
    functionResponse: {
      name: "Write",
      response: { result: "File created successfully at: /tmp/hello.txt" },
    },
  }]);

  // 11 client tools (the deferred placeholder is not loaded); ListAgents has no arguments.
  const declared = body.tools?.[0]?.functionDeclarations ?? [];
  assert.equal(declared.length, 11);
  assert.deepEqual(declared.filter((d) => !d.parameters).map((d) => d.name), ["ListAgents"]);
  const findings = declared.find((d) => d.name === "ReportFindings")?.parameters;
  assert.deepEqual(findings?.properties?.findings, { type: "ARRAY", items: { type: "OBJECT" } });
  const wakeup = declared.find((d) => d.name === "ScheduleWakeup")?.parameters;
  assert.deepEqual(wakeup?.properties?.at, { type: "STRING", format: "date-time" });

  // Claude Code's 128000 → the model's limit; adaptive + effort medium → Pro's "high".
  assert.deepEqual(body.generationConfig, {
    maxOutputTokens: 65536,
    thinkingConfig: { thinkingLevel: "high", includeThoughts: true },
  });

  // Nothing Anthropic-only leaks into the body.
  const text = JSON.stringify(body);
  for (
    const leaked of [
      "cache_control",
      "$schema",
      "additionalProperties",
      "context_management",
      "output_config",
      "metadata",
      "defer_loading",
      "ccp:v1:",
      'signature"',
    ]
  ) {
    assert.ok(!text.includes(leaked), `${leaked} leaked`);
  }
});
