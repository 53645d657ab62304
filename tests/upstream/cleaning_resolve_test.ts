import assert from "node:assert/strict";
import { DEFAULT_ANTHROPIC_CLEANING, findPreset, PRESETS } from "../../src/providers/catalog.ts";
import { cleaningFor, ruleFor, stepsFor as stepsOf } from "../../src/upstream/cleaning/resolve.ts";
import { filterBetaHeader, forwardedAnthropicHeaders } from "../../src/upstream/http/headers.ts";
import { encodeCcpSignature } from "../../src/translate/reasoning/provenance.ts";

/** A provider as YAML names it: the preset by id (an unknown id is no preset). */
type Named = { preset?: string; baseUrl: string };
const source = ({ preset, baseUrl }: Named) => ({
  preset: preset === undefined ? undefined : findPreset(preset),
  baseUrl,
});
const stepsFor = (named: Named) => stepsOf(source(named));
const cleanFor = (named: Named) => cleaningFor(source(named));

Deno.test("every Anthropic-type preset lists its cleaning, each step with a one-line reason", () => {
  for (const preset of PRESETS) {
    if (preset.type !== "anthropic") {
      assert.equal(preset.cleaning, undefined, `${preset.id}: only Anthropic-type presets clean`);
      continue;
    }
    assert.ok(preset.cleaning && preset.cleaning.length > 0, preset.id);
    for (const step of preset.cleaning) {
      assert.ok(
        step.reason.length > 10 && !step.reason.includes("\n"),
        `${preset.id} ${step.rule}`,
      );
      assert.ok(ruleFor(step), `${preset.id} ${step.rule} resolves`);
    }
  }
});

Deno.test("the real Anthropic preset only fixes foreign history and keeps every beta", () => {
  const rules = stepsFor({ preset: "anthropic", baseUrl: "https://api.anthropic.com" });
  assert.deepEqual(rules.map((s) => s.rule), ["rewriteToolIds", "stripUnverifiableThinking"]);
  assert.deepEqual(
    stepsFor({ baseUrl: "https://api.anthropic.com" }),
    rules,
    "a preset-less provider at api.anthropic.com is the real thing",
  );
  const betas = ["claude-code-20250219", "context-management-2025-06-27", "future-2030-01-01"];
  const cleaning = cleanFor({ preset: "anthropic", baseUrl: "https://api.anthropic.com" });
  assert.equal(cleaning.betas(betas), betas);
});

Deno.test("a type: anthropic provider without preset gets the safe default", () => {
  const steps = stepsFor({ baseUrl: "http://10.0.0.5:4000" });
  assert.equal(steps, DEFAULT_ANTHROPIC_CLEANING);
  assert.deepEqual(steps.map((s) => s.rule).sort(), [
    "dropBillingHeader",
    "foldSystemMessages",
    "rewriteToolIds",
    "stripCcpThinking",
  ]);
  const body = Object.freeze({
    model: "m",
    max_tokens: 5,
    context_management: { edits: [] },
    messages: [{ role: "user", content: "q" }],
  });
  assert.equal(cleanFor({ baseUrl: "http://x" }).body(body, "m"), body, "nothing else is touched");
  assert.equal(stepsFor({ preset: "unknown_preset", baseUrl: "http://x" }), steps);
});

Deno.test("cleaningFor compiles each step list once", () => {
  const a = cleanFor({ preset: "deepseek", baseUrl: "https://api.deepseek.com/anthropic" });
  const b = cleanFor({ preset: "deepseek", baseUrl: "http://127.0.0.1:1/anthropic" });
  assert.equal(a, b);
});

Deno.test("third parties keep signed thinking; endpoints that may reach Anthropic drop ccp's", () => {
  const ccp = encodeCcpSignature({
    provider: "nim",
    protocol: "openai_chat",
    model: "glm",
    fields: ["reasoning_content"],
  });
  const body = Object.freeze({
    model: "m",
    max_tokens: 5,
    messages: [
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: [{ type: "thinking", thinking: "r", signature: ccp }, { type: "text", text: "a" }],
      },
      { role: "user", content: "more" },
    ],
  });
  for (const preset of ["deepseek", "zai", "minimax", "moonshot_anthropic", "ollama"]) {
    assert.equal(
      cleanFor({ preset, baseUrl: "http://x" }).body(body, "m").messages,
      body.messages,
      preset,
    );
  }
  for (const preset of ["anthropic", "open_router", "cliproxyapi"]) {
    const out = cleanFor({ preset, baseUrl: "http://x" }).body(body, "m");
    const turn = (out.messages as Array<{ content: Array<{ type: string }> }>)[1]!;
    assert.deepEqual(turn.content.map((b) => b.type), ["text"], preset);
  }
});

Deno.test("a tool-call turn without thinking gets an empty block on DeepSeek and Moonshot only", () => {
  // As Claude Code sends a session another model began: its tool-call turn without thinking.
  const body = {
    model: "m",
    max_tokens: 100,
    thinking: { type: "adaptive" },
    messages: [
      { role: "user", content: "start" },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] },
    ],
  };
  const types = (preset: string, b: Record<string, unknown> = body) => {
    const out = cleanFor({ preset, baseUrl: "http://x" }).body(b, "m");
    return (out.messages as Array<{ content: Array<{ type: string }> }>)[1]!.content
      .map((block) => block.type);
  };
  for (const preset of ["deepseek", "moonshot_anthropic"]) {
    assert.deepEqual(types(preset), ["thinking", "tool_use"], preset);
    const off = { ...body, thinking: { type: "disabled" } };
    assert.deepEqual(types(preset, off), ["tool_use"], `${preset}, thinking off`);
  }
  // DeepSeek thinks unless told not to: a request that says nothing is told, and needs none.
  const { thinking: _thinking, ...untold } = body;
  assert.deepEqual(types("deepseek", untold), ["tool_use"]);
  for (const preset of ["anthropic", "open_router", "zai", "minimax", "ollama", "cliproxyapi"]) {
    assert.deepEqual(types(preset), ["tool_use"], preset);
  }
});

Deno.test("filterBetaHeader: same Headers when all stay, header removed when none do", () => {
  const client = new Headers({
    "anthropic-beta": "claude-code-20250219,context-management-2025-06-27",
    "x-app": "cli",
  });
  const openRouter = cleanFor({ preset: "open_router", baseUrl: "http://x" });
  const filtered = filterBetaHeader(client, openRouter.betas);
  assert.equal(filtered.get("anthropic-beta"), "claude-code-20250219");
  assert.equal(filtered.get("x-app"), "cli");
  assert.equal(client.get("anthropic-beta"), "claude-code-20250219,context-management-2025-06-27");
  const anthropic = cleanFor({ preset: "anthropic", baseUrl: "http://x" });
  assert.equal(filterBetaHeader(client, anthropic.betas), client);
  const none = filterBetaHeader(client, () => []);
  assert.equal(none.has("anthropic-beta"), false);
  const bare = new Headers();
  assert.equal(filterBetaHeader(bare, openRouter.betas), bare);
});

Deno.test("stripCcpThinking keeps thinking on when the turn still starts with redacted thinking", () => {
  const ccp = encodeCcpSignature({
    provider: "nim",
    protocol: "openai_chat",
    model: "glm",
    fields: ["reasoning_content"],
  });
  const body = Object.freeze({
    model: "m",
    max_tokens: 5,
    thinking: { type: "adaptive" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    messages: [
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "r", signature: ccp },
          { type: "redacted_thinking", data: "x" },
          { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "ok" }] },
    ],
  });
  const out = cleanFor({ preset: "anthropic", baseUrl: "http://x" }).body(body, "m");
  assert.deepEqual(out.thinking, { type: "adaptive" });
  assert.deepEqual(out.context_management, body.context_management);
  const turn = (out.messages as Array<{ content: Array<{ type: string }> }>)[1]!;
  assert.deepEqual(turn.content.map((b) => b.type), ["redacted_thinking", "tool_use"]);
});

Deno.test("Claude Code's effort reaches the local servers that read it (Ollama, vLLM), not the others", () => {
  const body = Object.freeze({
    model: "m",
    max_tokens: 32000,
    thinking: { type: "adaptive" },
    output_config: { effort: "high" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    messages: [{ role: "user", content: "q" }],
  });
  for (const preset of ["ollama", "vllm"]) {
    const out = cleanFor({ preset, baseUrl: "http://127.0.0.1:1" }).body(body, "m");
    assert.deepEqual(out.output_config, { effort: "high" }, preset);
    assert.deepEqual(out.thinking, { type: "adaptive" }, preset);
    assert.equal("context_management" in out, false, preset);
  }
  for (const preset of ["lmstudio", "llamacpp"]) {
    const out = cleanFor({ preset, baseUrl: "http://127.0.0.1:1" }).body(body, "m");
    assert.equal("output_config" in out, false, preset);
    assert.deepEqual(out.thinking, { type: "adaptive" }, preset);
  }
});

// Claude Code's auto mode sends the user's working and home directories, settings paths and git
// state for a check only Anthropic's servers run.
Deno.test("Claude Code's safeguards go only where Anthropic may be reached", () => {
  const body = Object.freeze({
    model: "m",
    max_tokens: 1000,
    safeguards: { cwd: "/home/me/project", git: { branch: "main" } },
    messages: [{ role: "user", content: "q" }],
  });
  const kept = ["anthropic", "cliproxyapi", "open_router", undefined];
  for (const preset of kept) {
    const out = cleanFor({ preset, baseUrl: "https://gateway.example" }).body(body, "m");
    assert.ok("safeguards" in out, `${preset ?? "no preset"} may relay to Anthropic`);
  }
  for (const preset of PRESETS) {
    if (preset.type !== "anthropic" || kept.includes(preset.id)) continue;
    const out = cleanFor({ preset: preset.id, baseUrl: "https://x.example" }).body(body, "m");
    assert.equal("safeguards" in out, false, preset.id);
  }
});

Deno.test("filterBetaHeader: each list is filtered once per rule, and the view forwards what it kept", () => {
  let calls = 0;
  const dropped = new Set(["claude-code-20250219"]);
  const rule = (betas: readonly string[]) => {
    calls++;
    return betas.filter((beta) => !dropped.has(beta));
  };
  const list = "claude-code-20250219, context-management-2025-06-27,effort-2025-11-24";
  const client = new Headers({ "anthropic-beta": list, "x-app": "cli", "x-stainless-os": "Linux" });
  for (let i = 0; i < 3; i++) {
    const filtered = filterBetaHeader(client, rule);
    assert.equal(filtered.get("Anthropic-Beta"), "context-management-2025-06-27,effort-2025-11-24");
    assert.equal(filtered.has("anthropic-beta"), true);
    assert.equal(filtered.get("x-app"), "cli");
    assert.deepEqual(forwardedAnthropicHeaders(filtered), {
      "anthropic-beta": "context-management-2025-06-27,effort-2025-11-24",
      "anthropic-version": "2023-06-01",
      "x-app": "cli",
      "x-stainless-os": "Linux",
    });
  }
  // Another list is filtered by the same rule on its own; the client's headers are unchanged.
  const only = new Headers({ "anthropic-beta": "claude-code-20250219", "x-app": "cli" });
  const none = filterBetaHeader(only, rule);
  assert.equal(none.has("anthropic-beta"), false);
  assert.equal(none.get("anthropic-beta"), null);
  assert.deepEqual(forwardedAnthropicHeaders(none), {
    "anthropic-version": "2023-06-01",
    "x-app": "cli",
  });
  assert.equal(calls, 2);
  assert.equal(client.get("anthropic-beta"), list);
});
