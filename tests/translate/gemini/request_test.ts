/**
 * Anthropic → Gemini request mapping: the system instruction, tools and tool_choice,
 * generationConfig, and the shape the request must have. Contents and thinking have their
 * own files (contents_test.ts, thinking_test.ts).
 */

import assert from "node:assert/strict";
import { ClientRequestError } from "../../../src/core/errors.ts";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import { geminiToolNamer, renamedTools } from "../../../src/translate/gemini/names.ts";
import { toGeminiRequest } from "../../../src/translate/gemini/request.ts";
import { req } from "../_request.ts";
import { map } from "./_map.ts";

Deno.test("system instruction", async (t) => {
  await t.step("a string becomes systemInstruction", () => {
    assert.deepEqual(map(req({ system: "Be brief." })).systemInstruction, {
      parts: [{ text: "Be brief." }],
    });
  });
  await t.step(
    "blocks joined; billing header and cache_control dropped; early system messages added",
    () => {
      const body = map(req({
        system: [
          { type: "text", text: "x-anthropic-billing-header: cc_version=1; cc_entrypoint=cli;" },
          { type: "text", text: "A", cache_control: { type: "ephemeral" } },
          { type: "text", text: "B" },
        ],
        messages: [
          { role: "user", content: "Q" },
          { role: "system", content: [{ type: "text", text: "# Environment" }] },
          { role: "assistant", content: "A1" },
          { role: "system", content: "Later note" },
        ],
      }));
      assert.deepEqual(body.systemInstruction, {
        parts: [{ text: "A\n\nB\n\n# Environment" }],
      });
      // One after the first answer stays in its place, so later requests begin as this one did.
      assert.deepEqual(body.contents, [
        { role: "user", parts: [{ text: "Q" }] },
        { role: "model", parts: [{ text: "A1" }] },
        { role: "user", parts: [{ text: "<system-reminder>\nLater note\n</system-reminder>" }] },
      ]);
      assert.ok(!JSON.stringify(body).includes("cache_control"));
    },
  );
  await t.step("no system at all → no systemInstruction", () => {
    assert.equal(map(req()).systemInstruction, undefined);
  });
});

Deno.test("tools and tool_choice", async (t) => {
  const tools = [
    {
      name: "Bash",
      description: "Run a command",
      input_schema: {
        type: "object",
        properties: { command: { type: "string" } },
        required: ["command"],
        additionalProperties: false,
      },
    },
    { name: "ListAgents", input_schema: { type: "object", properties: {} } },
    { type: "web_search_20250305", name: "web_search", max_uses: 5 },
  ];
  await t.step("function declarations with cleaned schemas; server tools not sent", () => {
    assert.deepEqual(map(req({ tools })).tools, [{
      functionDeclarations: [
        {
          name: "Bash",
          description: "Run a command",
          parameters: {
            type: "OBJECT",
            properties: { command: { type: "STRING" } },
            required: ["command"],
          },
        },
        { name: "ListAgents", description: "" },
      ],
    }]);
  });
  await t.step("only server tools → no tools, no toolConfig", () => {
    const body = map(req({ tools: [tools[2]!], tool_choice: { type: "any" } }));
    assert.equal(body.tools, undefined);
    assert.equal(body.toolConfig, undefined);
  });
  await t.step("tool_choice → functionCallingConfig", () => {
    const mode = (choice: MessagesRequest["tool_choice"]) =>
      map(req({ tools, tool_choice: choice })).toolConfig;
    assert.equal(mode(undefined), undefined);
    assert.deepEqual(mode({ type: "auto" }), { functionCallingConfig: { mode: "AUTO" } });
    assert.deepEqual(mode({ type: "any" }), { functionCallingConfig: { mode: "ANY" } });
    assert.deepEqual(mode({ type: "none" }), { functionCallingConfig: { mode: "NONE" } });
    assert.deepEqual(mode({ type: "tool", name: "Bash" }), {
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["Bash"] },
    });
    assert.deepEqual(mode({ type: "tool", name: "web_search" }), {
      functionCallingConfig: { mode: "AUTO" },
    });
  });
  await t.step("names Gemini rejects are renamed the same way in declarations and history", () => {
    const long = `mcp__${"very_long_server_name_".repeat(4)}__search`;
    const odd = "mcp__my server__do/it";
    const body = map(req({
      tools: [
        { name: long, input_schema: { type: "object", properties: { q: { type: "string" } } } },
        { name: odd, input_schema: { type: "object" } },
      ],
      tool_choice: { type: "tool", name: odd },
      messages: [
        { role: "user", content: "Search" },
        { role: "assistant", content: [{ type: "tool_use", id: "t", name: long, input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "ok" }] },
      ],
    }));
    const names = body.tools?.[0]?.functionDeclarations.map((d) => d.name) ?? [];
    assert.equal(names[0]!.length, 64);
    assert.match(names[0]!, /^[A-Za-z_][A-Za-z0-9_.:-]*$/);
    assert.equal(names[1], "mcp__my_server__do_it");
    assert.deepEqual(body.toolConfig?.functionCallingConfig.allowedFunctionNames, [names[1]]);
    assert.equal(body.contents[1]?.parts[0]?.functionCall?.name, names[0]);
    assert.equal(body.contents[2]?.parts[0]?.functionResponse?.name, names[0]);
    assert.deepEqual(
      renamedTools([{ name: long }, { name: odd }, { name: "Bash" }]),
      new Map([[names[0]!, long], [names[1]!, odd]]),
    );
    const geminiFunctionName = geminiToolNamer(undefined);
    assert.equal(geminiFunctionName("Bash"), "Bash");
    assert.equal(geminiFunctionName("9lives"), "_9lives");
    assert.notEqual(geminiFunctionName(`${long}a`), geminiFunctionName(`${long}b`));
  });
});

Deno.test("generationConfig", async (t) => {
  await t.step("max_tokens is capped at the model's output limit", () => {
    assert.equal(map(req({ max_tokens: 128000 })).generationConfig?.maxOutputTokens, 65536);
    assert.equal(map(req({ max_tokens: 4000 })).generationConfig?.maxOutputTokens, 4000);
    assert.equal(
      map(req({ max_tokens: 32000 }), "gemini-2.0-flash").generationConfig?.maxOutputTokens,
      8192,
    );
    assert.equal(
      map(req({ max_tokens: 128000 }), "gemini-3-pro-preview").generationConfig?.maxOutputTokens,
      65536,
    );
  });
  await t.step("thinking not asked for: room for what a model still thinks", () => {
    const max = (model: string, extra: Partial<MessagesRequest> = {}) =>
      map(req({ max_tokens: 64, ...extra }), model).generationConfig?.maxOutputTokens;
    assert.equal(max("gemini-2.5-flash"), 64, "switched off");
    assert.equal(max("gemini-2.5-pro"), 64 + 4096);
    assert.equal(max("gemini-3-pro-preview"), 64 + 4096);
    assert.equal(max("gemini-3-flash-preview"), 64 + 1024, "minimal still thinks a little");
    assert.equal(max("gemini-2.0-flash"), 64);
    assert.equal(max("gemini-2.5-pro", { thinking: { type: "adaptive" } }), 64);
    const capped = toGeminiRequest(req({ max_tokens: 64 }), {
      provider: "p",
      model: "gemini-2.5-pro",
      maxOutputTokens: 1000,
    });
    assert.equal(capped.generationConfig?.maxOutputTokens, 1000, "never above the model's limit");
  });
  await t.step("sampling parameters and at most five stop sequences", () => {
    const config = map(req({
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["a", "b", "c", "d", "e", "f"],
    })).generationConfig;
    assert.deepEqual(config, {
      maxOutputTokens: 1000,
      thinkingConfig: { thinkingBudget: 0 },
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stopSequences: ["a", "b", "c", "d", "e"],
    });
  });
});

Deno.test("messages must be an array", () => {
  assert.throws(
    () =>
      toGeminiRequest({ model: "m", max_tokens: 1 } as unknown as MessagesRequest, {
        provider: "p",
        model: "gemini-2.5-flash",
      }),
    ClientRequestError,
  );
});
