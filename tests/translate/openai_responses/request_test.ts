/** Anthropic Messages → OpenAI Responses request mapping. */

import assert from "node:assert/strict";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import { toResponsesRequest } from "../../../src/translate/openai_responses/request.ts";
import { responsesResponseToAnthropic } from "../../../src/translate/openai_responses/response.ts";
import { encodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";
import { responseObject } from "../../mocks/responses_wire.ts";
import { claudeCodeRequest } from "../_claude_code_request.ts";

const TARGET = { provider: "codex", model: "gpt-5.1-codex" };

const responsesSignature = (provider: string, model: string, encrypted: string) =>
  encodeCcpSignature({
    provider,
    protocol: "openai_responses",
    model,
    fields: ["reasoning"],
    details: [{
      type: "reasoning",
      summary: [{ type: "summary_text", text: "s" }],
      encrypted_content: encrypted,
    }],
  });

function req(over: Partial<MessagesRequest>): MessagesRequest {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1000,
    messages: [{ role: "user", content: "hi" }],
    ...over,
  };
}

Deno.test("Responses request: the Claude Code request fixture", async (t) => {
  const source = claudeCodeRequest(
    responsesSignature("codex", "gpt-5.1-codex", "enc-A"),
  );
  const before = JSON.stringify(source);
  const body = toResponsesRequest({ ...source, stream: true }, TARGET);
  await t.step(
    "pure: the input is not changed",
    () => assert.equal(JSON.stringify(source), before),
  );
  await t.step("stateless: store false, no previous_response_id, streamed", () => {
    assert.equal(body.store, false);
    assert.equal("previous_response_id" in body, false);
    assert.equal(body.stream, true);
  });
  await t.step("instructions from the system blocks, without the billing header", () => {
    assert.ok(body.instructions && body.instructions.length > 0);
    assert.ok(!body.instructions!.includes("x-anthropic-billing-header"));
  });
  await t.step("tools are functions with strict false and cleaned schemas", () => {
    assert.equal(body.tools!.length, 11, "the deferred placeholder is not loaded");
    for (const tool of body.tools!) {
      assert.equal(tool.type, "function");
      assert.equal(tool.strict, false);
      assert.equal("$schema" in tool.parameters, false, tool.name);
    }
  });
  await t.step("thinking → reasoning with summaries and encrypted content", () => {
    assert.equal(body.reasoning?.summary, "auto");
    assert.deepEqual(body.include, ["reasoning.encrypted_content"]);
    assert.equal("temperature" in body, false);
  });
  await t.step("a mid-conversation system message stays in place as a developer message", () => {
    assert.ok(body.input.some((i) => i.type === "message" && i.role === "developer"));
  });
  await t.step("history: function calls paired with their outputs", () => {
    const calls = body.input.filter((i) => i.type === "function_call");
    const outputs = body.input.filter((i) => i.type === "function_call_output");
    assert.ok(calls.length > 0);
    for (const output of outputs) {
      if (output.type !== "function_call_output") continue;
      const at = body.input.indexOf(output);
      assert.ok(
        body.input.slice(0, at).some((i) =>
          i.type === "function_call" && i.call_id === output.call_id
        ),
        "an output follows its call",
      );
    }
  });
  await t.step(
    "same provider and upstream model: the reasoning item is replayed, without its id",
    () => {
      const reasoning = body.input.filter((i) => i.type === "reasoning");
      assert.deepEqual(reasoning, [{
        type: "reasoning",
        summary: [{ type: "summary_text", text: "s" }],
        encrypted_content: "enc-A",
      }]);
    },
  );
});

Deno.test("Responses request: reasoning goes back only where it came from", async (t) => {
  const turn = (signature: string): MessagesRequest =>
    req({
      messages: [
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: [{ type: "thinking", thinking: "t", signature }, { type: "text", text: "ok" }],
        },
        { role: "user", content: "again" },
      ],
    });
  const reasoningOf = (signature: string) =>
    toResponsesRequest(turn(signature), TARGET).input.filter((i) => i.type === "reasoning").length;
  await t.step(
    "same provider, same upstream model",
    () => assert.equal(reasoningOf(responsesSignature("codex", "gpt-5.1-codex", "e")), 1),
  );
  // Only the same upstream model gets its reasoning back. A dated snapshot is a name ccp sends only when a
  // route names it, so it is another target, as is another case or an org-prefixed name.
  for (const model of ["gpt-5.1-codex-2025-11-13", "GPT-5.1-Codex", "openai/gpt-5.1-codex"]) {
    await t.step(
      `the same family under another name (${model})`,
      () => assert.equal(reasoningOf(responsesSignature("codex", model, "e")), 0),
    );
  }
  await t.step("an answer naming a dated snapshot still goes back to the model ccp sent", () => {
    // The API answers with the snapshot it ran; the signature records the name ccp sent.
    const answer = responsesResponseToAnthropic(
      responseObject({
        items: [{ kind: "reasoning", summary: ["plan"], encrypted: "enc-S" }, {
          kind: "text",
          text: "ok",
        }],
      }, "gpt-5.1-codex-2025-11-13"),
      {
        clientModel: "claude-opus-5-5",
        inputTokens: 1,
        provider: "codex",
        upstreamModel: "gpt-5.1-codex",
      },
    );
    const thinking = answer.content.find((b) => b.type === "thinking");
    assert.ok(thinking?.type === "thinking");
    assert.equal(reasoningOf(thinking.signature), 1);
  });
  await t.step(
    "another provider",
    () => assert.equal(reasoningOf(responsesSignature("other", "gpt-5.1-codex", "e")), 0),
  );
  await t.step(
    "another model",
    () => assert.equal(reasoningOf(responsesSignature("codex", "gpt-5-mini", "e")), 0),
  );
  await t.step("reasoning from the Chat Completions protocol", () => {
    const chat = encodeCcpSignature({
      provider: "codex",
      protocol: "openai_chat",
      model: "gpt-5.1-codex",
      fields: ["reasoning_content"],
    });
    assert.equal(reasoningOf(chat), 0);
  });
  await t.step(
    "a genuine Anthropic signature",
    () => assert.equal(reasoningOf("EqQBCkgIAhABGAIiQ"), 0),
  );
});

Deno.test("Responses request: parameters", async (t) => {
  await t.step("prompt_cache_key: a hash of metadata.user_id (Claude Code's session)", () => {
    const user_id = JSON.stringify({ device_id: "d", account_uuid: "", session_id: "s1" });
    const key = toResponsesRequest(req({ metadata: { user_id } }), TARGET).prompt_cache_key;
    assert.match(String(key), /^ccp_[0-9a-f]{16}$/);
    assert.ok(!String(key).includes("s1"), "the id itself is not sent");
    assert.equal(toResponsesRequest(req({}), TARGET).prompt_cache_key, undefined);
  });
  await t.step("max_tokens → max_output_tokens, capped by the model and never below 16", () => {
    assert.equal(
      toResponsesRequest(req({ max_tokens: 32000 }), { ...TARGET, maxOutputTokens: 8000 })
        .max_output_tokens,
      8000,
    );
    const plain = { ...TARGET, model: "gpt-4.1" };
    assert.equal(toResponsesRequest(req({ max_tokens: 1 }), plain).max_output_tokens, 16);
  });
  await t.step(
    "reasoning not asked for but not switched off gets room on top of max_tokens",
    () => {
      const limit = (model: string, extra: Partial<MessagesRequest> = {}, over = {}) =>
        toResponsesRequest(req({ max_tokens: 64, ...extra }), { ...TARGET, model, ...over })
          .max_output_tokens;
      assert.equal(limit("o3"), 64 + 4096);
      assert.equal(limit("gpt-5.1-codex"), 64 + 4096);
      assert.equal(limit("gpt-5-pro"), 64 + 8192);
      assert.equal(limit("gpt-5"), 64 + 1024);
      assert.equal(limit("gpt-5.1"), 64, "`none` turns reasoning off");
      assert.equal(limit("gpt-4.1"), 64);
      assert.equal(limit("o3", { thinking: { type: "enabled", budget_tokens: 2048 } }), 64);
      assert.equal(
        limit("o3", {}, { maxOutputTokens: 1000 }),
        1000,
        "never above the model's limit",
      );
      assert.equal(
        limit("o3", {}, { contextWindow: 200_000, inputTokens: 198_000 }),
        200_000 - 198_000 - 64,
        "within the context window",
      );
    },
  );
  await t.step("tool_choice and parallel_tool_calls", () => {
    const tools = [{ name: "Bash", input_schema: { type: "object" } }];
    const of = (tool_choice: MessagesRequest["tool_choice"]) =>
      toResponsesRequest(req({ tools, tool_choice }), TARGET);
    assert.equal(of({ type: "auto" }).tool_choice, "auto");
    assert.equal(of({ type: "any" }).tool_choice, "required");
    assert.equal(of({ type: "none" }).tool_choice, "none");
    assert.deepEqual(of({ type: "tool", name: "Bash" }).tool_choice, {
      type: "function",
      name: "Bash",
    });
    assert.equal(of({ type: "tool", name: "web_search" }).tool_choice, "auto");
    assert.equal(of({ type: "auto", disable_parallel_tool_use: true }).parallel_tool_calls, false);
  });
  await t.step("server tools are not sent as functions", () => {
    const body = toResponsesRequest(
      req({ tools: [{ type: "web_search_20250305", name: "web_search" }] }),
      TARGET,
    );
    assert.equal(body.tools, undefined);
  });
  await t.step(
    "effort: explicit beats a budget; max maps to high; adaptive leaves it to the model",
    () => {
      assert.equal(
        toResponsesRequest(req({ thinking: { type: "enabled", budget_tokens: 2000 } }), TARGET)
          .reasoning?.effort,
        "low",
      );
      assert.equal(
        toResponsesRequest(
          req({ thinking: { type: "adaptive" }, output_config: { effort: "max" } }),
          TARGET,
        ).reasoning?.effort,
        "high",
      );
      assert.equal(
        toResponsesRequest(
          req({ thinking: { type: "adaptive" }, output_config: { effort: "xhigh" } }),
          TARGET,
        ).reasoning?.effort,
        "high",
        "xhigh, between high and max, is not dropped",
      );
      assert.equal(
        toResponsesRequest(req({ thinking: { type: "adaptive" } }), TARGET).reasoning?.effort,
        undefined,
      );
    },
  );
  await t.step("gpt-5-pro takes only `high`: every effort asked for becomes it", () => {
    const pro = (over: Partial<MessagesRequest>, model = "gpt-5-pro") =>
      toResponsesRequest(req(over), { provider: "p", model }).reasoning;
    for (const budget of [1024, 8000, 31999]) {
      assert.deepEqual(pro({ thinking: { type: "enabled", budget_tokens: budget } }), {
        effort: "high",
        summary: "auto",
      });
    }
    for (const effort of ["low", "medium", "high", "xhigh", "max"] as const) {
      const adaptive = { thinking: { type: "adaptive" as const }, output_config: { effort } };
      assert.equal(pro(adaptive)?.effort, "high", effort);
      assert.equal(pro(adaptive, "gpt-5-pro-2025-10-06")?.effort, "high", effort);
    }
    assert.deepEqual(pro({ thinking: { type: "adaptive" } }), { summary: "auto" });
  });
  await t.step('display "omitted": no summaries asked for, the effort as before', () => {
    const reasoning = (thinking: MessagesRequest["thinking"], model = "gpt-5.5") =>
      toResponsesRequest(req({ thinking, output_config: { effort: "high" } }), {
        provider: "p",
        model,
      }).reasoning;
    assert.deepEqual(reasoning({ type: "adaptive", display: "omitted" }), { effort: "high" });
    assert.deepEqual(reasoning({ type: "enabled", budget_tokens: 31999, display: "omitted" }), {
      effort: "high",
    });
    assert.deepEqual(reasoning({ type: "adaptive", display: "updates" }), {
      effort: "high",
      summary: "auto",
    });
    assert.deepEqual(reasoning({ type: "adaptive" }), { effort: "high", summary: "auto" });
  });
  await t.step("no thinking asked for: the weakest effort the model family takes", () => {
    const off = (model: string, thinking?: MessagesRequest["thinking"]) =>
      toResponsesRequest(req(thinking ? { thinking } : {}), { provider: "p", model });
    const cases: Array<[string, unknown]> = [
      ["gpt-5", { effort: "minimal" }],
      ["gpt-5-mini-2025-08-07", { effort: "minimal" }],
      ["gpt-5.1", { effort: "none" }],
      ["openai/gpt-5.2", { effort: "none" }],
      ["gpt-5.1-codex", { effort: "low" }],
      ["gpt-5-codex", { effort: "low" }],
      ["o3", { effort: "low" }],
      ["o4-mini", { effort: "low" }],
      ["gpt-5-pro", undefined], // takes only its default
      ["gpt-4.1", undefined], // not a reasoning model: the field would be refused
      ["gpt-5-chat-latest", undefined], // GPT-5's chat model takes no reasoning setting either
    ];
    for (const [model, want] of cases) {
      assert.deepEqual(off(model).reasoning, want, model);
      assert.deepEqual(off(model, { type: "disabled" }).reasoning, want, `${model} disabled`);
      assert.equal(off(model).include, undefined, "nothing encrypted to carry back");
    }
    const plain = toResponsesRequest(req({ temperature: 0.2 }), {
      provider: "p",
      model: "gpt-4.1",
    });
    assert.equal(plain.temperature, 0.2, "sampling still goes to a non-reasoning model");
  });
  await t.step("temperature and top_p only for models that accept them", () => {
    assert.equal("temperature" in toResponsesRequest(req({ temperature: 0.2 }), TARGET), false);
    const plain = toResponsesRequest(req({ temperature: 0.2, top_p: 0.9 }), {
      provider: "p",
      model: "gpt-4.1",
    });
    assert.equal(plain.temperature, 0.2);
    assert.equal(plain.top_p, 0.9);
  });
  await t.step("images in a tool result follow as a user item; the output says so", () => {
    const body = toResponsesRequest(
      req({
        messages: [
          { role: "user", content: "look" },
          {
            role: "assistant",
            content: [{
              type: "tool_use",
              id: "toolu_1",
              name: "Read",
              input: { file_path: "a.png" },
            }],
          },
          {
            role: "user",
            content: [{
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [{ type: "text", text: "the image" }, {
                type: "image",
                source: { type: "base64", media_type: "image/png", data: "iVBOR" },
              }],
            }],
          },
        ],
      }),
      TARGET,
    );
    assert.deepEqual(body.input.slice(1), [
      {
        type: "function_call",
        call_id: "toolu_1",
        name: "Read",
        arguments: '{"file_path":"a.png"}',
      },
      {
        type: "function_call_output",
        call_id: "toolu_1",
        output: "the image\n[image output follows in the next message]",
      },
      {
        type: "message",
        role: "user",
        content: [{ type: "input_image", image_url: "data:image/png;base64,iVBOR" }],
      },
    ]);
  });
  await t.step("a PDF in a tool result is named as one where it follows", () => {
    const body = toResponsesRequest(
      req({
        messages: [
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "toolu_1", name: "Read", input: {} }],
          },
          {
            role: "user",
            content: [{
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [{
                type: "document",
                source: { type: "base64", media_type: "application/pdf", data: "JVB" },
              }],
            }],
          },
        ],
      }),
      TARGET,
    );
    const output = body.input.find((i) => i.type === "function_call_output");
    assert.equal(
      (output as { output: string }).output,
      "[PDF document output follows in the next message]",
    );
  });
  await t.step("a URL document is an input_file the API fetches", () => {
    const body = toResponsesRequest(
      req({
        messages: [{
          role: "user",
          content: [
            { type: "document", source: { type: "url", url: "https://example.com/paper.pdf" } },
            { type: "text", text: "Summarise it." },
          ],
        }],
      }),
      TARGET,
    );
    assert.deepEqual(body.input, [{
      type: "message",
      role: "user",
      content: [
        { type: "input_file", file_url: "https://example.com/paper.pdf" },
        { type: "input_text", text: "Summarise it." },
      ],
    }]);
  });
  await t.step("assistant text is output_text; an error result is marked", () => {
    const body = toResponsesRequest(
      req({
        messages: [
          { role: "user", content: "x" },
          {
            role: "assistant",
            content: [{ type: "text", text: "a" }, {
              type: "tool_use",
              id: "c1",
              name: "Bash",
              input: {},
            }],
          },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "c1", content: "boom", is_error: true }],
          },
        ],
      }),
      TARGET,
    );
    assert.deepEqual(body.input.slice(1), [
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "a" }] },
      { type: "function_call", call_id: "c1", name: "Bash", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "Error: boom" },
    ]);
  });
});
