import assert from "node:assert/strict";
import { ClientRequestError } from "../../../src/core/errors.ts";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import type { GeminiRequest } from "../../../src/protocols/gemini.ts";
import { CONTINUE_MODEL_TURN, SKIP_SIGNATURE } from "../../../src/translate/gemini/contents.ts";
import { geminiToolNamer, renamedTools } from "../../../src/translate/gemini/names.ts";
import { toGeminiRequest } from "../../../src/translate/gemini/request.ts";
import { encodeGeminiSignature } from "../../../src/translate/gemini/signature.ts";
import { encodeCcpSignature } from "../../../src/translate/reasoning/provenance.ts";

function req(extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return {
    model: "claude-x",
    max_tokens: 1000,
    messages: [{ role: "user", content: "Hi" }],
    ...extra,
  };
}

function map(
  request: MessagesRequest,
  model = "gemini-2.5-flash",
  provider = "gem",
): GeminiRequest {
  const before = structuredClone(request);
  const out = toGeminiRequest(request, { provider, model });
  assert.deepEqual(request, before, "input not mutated");
  return out;
}

Deno.test("system instruction", async (t) => {
  await t.step("a string becomes systemInstruction", () => {
    assert.deepEqual(map(req({ system: "Be brief." })).systemInstruction, {
      parts: [{ text: "Be brief." }],
    });
  });
  await t.step(
    "blocks joined; billing header and cache_control dropped; system messages added",
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
        parts: [{ text: "A\n\nB\n\n# Environment\n\nLater note" }],
      });
      assert.deepEqual(body.contents, [
        { role: "user", parts: [{ text: "Q" }] },
        { role: "model", parts: [{ text: "A1" }] },
      ]);
      assert.ok(!JSON.stringify(body).includes("cache_control"));
    },
  );
  await t.step("no system at all → no systemInstruction", () => {
    assert.equal(map(req()).systemInstruction, undefined);
  });
});

Deno.test("contents", async (t) => {
  await t.step("roles user/model; empty text dropped; adjacent turns of one role merged", () => {
    const body = map(req({
      messages: [
        { role: "user", content: [{ type: "text", text: "" }, { type: "text", text: "one" }] },
        { role: "user", content: "two" },
        { role: "assistant", content: "" },
        { role: "assistant", content: [{ type: "text", text: "three" }] },
      ],
    }));
    assert.deepEqual(body.contents, [
      { role: "user", parts: [{ text: "one" }, { text: "two" }] },
      { role: "model", parts: [{ text: "three" }] },
    ]);
  });
  await t.step("images: base64 → inlineData, https → fileData, data: URL → inlineData", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBO" } },
          { type: "image", source: { type: "url", url: "https://example.com/cat.JPG" } },
          { type: "image", source: { type: "url", url: "https://example.com/render" } },
          { type: "image", source: { type: "url", url: "data:image/webp;base64,UklG" } },
        ],
      }],
    }));
    assert.deepEqual(body.contents[0]?.parts, [
      { inlineData: { mimeType: "image/png", data: "iVBO" } },
      { fileData: { fileUri: "https://example.com/cat.JPG", mimeType: "image/jpeg" } },
      { fileData: { fileUri: "https://example.com/render" } },
      { inlineData: { mimeType: "image/webp", data: "UklG" } },
    ]);
  });
  await t.step("images Gemini cannot read are a clear 400", () => {
    for (
      const source of [
        { type: "file" as const, file_id: "file_011" },
        { type: "url" as const, url: "ftp://example.com/a.png" },
      ]
    ) {
      assert.throws(
        () => map(req({ messages: [{ role: "user", content: [{ type: "image", source }] }] })),
        (e: unknown) =>
          e instanceof ClientRequestError && e.status === 400 && /provider "gem"/.test(e.message),
      );
    }
  });
  await t.step("documents: PDF inline, text as text, URL as fileData", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: "JVBE" },
          },
          { type: "document", title: "Notes", source: { type: "text", data: "plain" } },
          { type: "document", source: { type: "url", url: "https://example.com/paper" } },
        ],
      }],
    }));
    assert.deepEqual(body.contents[0]?.parts, [
      { inlineData: { mimeType: "application/pdf", data: "JVBE" } },
      { text: "Notes\n\nplain" },
      { fileData: { fileUri: "https://example.com/paper", mimeType: "application/pdf" } },
    ]);
  });
  await t.step(
    "tool_use → functionCall; tool_result → functionResponse named after the call",
    () => {
      const body = map(req({
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [
              { type: "text", text: "Running." },
              { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
              { type: "tool_use", id: "toolu_2", name: "Read", input: { file_path: "/x" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "text", text: "<system-reminder>note</system-reminder>" },
              { type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" },
              {
                type: "tool_result",
                tool_use_id: "toolu_2",
                is_error: true,
                content: [{ type: "text", text: "ENOENT" }, { type: "text", text: "no file" }],
              },
            ],
          },
        ],
      }));
      assert.deepEqual(body.contents[1], {
        role: "model",
        parts: [
          { text: "Running." },
          { functionCall: { name: "Bash", args: { command: "ls" } } },
          { functionCall: { name: "Read", args: { file_path: "/x" } } },
        ],
      });
      assert.deepEqual(body.contents[2], {
        role: "user",
        parts: [
          { functionResponse: { name: "Bash", response: { result: "a.txt" } } },
          { functionResponse: { name: "Read", response: { error: "ENOENT\nno file" } } },
          { text: "<system-reminder>note</system-reminder>" },
        ],
      });
    },
  );
  await t.step(
    "parallel results come back in the calls' order, whatever order the client sent them in",
    () => {
      // Claude Code lists parallel results in the order the tools finished; Gemini pairs a
      // response with its call by position, so two Bash calls would get each other's output.
      const body = map(req({
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [
              { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "echo one" } },
              { type: "tool_use", id: "toolu_2", name: "Bash", input: { command: "echo two" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_2", content: "two" },
              { type: "tool_result", tool_use_id: "toolu_1", content: "one" },
            ],
          },
        ],
      }));
      assert.deepEqual(body.contents[2]?.parts, [
        { functionResponse: { name: "Bash", response: { result: "one" } } },
        { functionResponse: { name: "Bash", response: { result: "two" } } },
      ]);
    },
  );
  await t.step("images inside a tool result follow the responses as inlineData", () => {
    const body = map(req({
      messages: [
        { role: "user", content: "Take a screenshot" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Shot", input: {} }] },
        {
          role: "user",
          content: [{
            type: "tool_result",
            tool_use_id: "t1",
            content: [
              { type: "text", text: "captured" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } },
            ],
          }],
        },
      ],
    }));
    assert.deepEqual(body.contents[2]?.parts, [
      { functionResponse: { name: "Shot", response: { result: "captured" } } },
      { inlineData: { mimeType: "image/png", data: "AA" } },
    ]);
  });
  await t.step("a tool result without its call becomes text", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "gone", content: "old output" }],
      }],
    }));
    assert.deepEqual(body.contents[0]?.parts, [{ text: "[result of tool call gone]\nold output" }]);
  });
  await t.step("a non-object tool input becomes empty args", () => {
    const body = map(req({
      messages: [{ role: "user", content: "Go" }, {
        role: "assistant",
        content: [{ type: "tool_use", id: "t", name: "X", input: "s" }],
      }],
    }));
    assert.deepEqual(body.contents[1]?.parts, [{ functionCall: { name: "X", args: {} } }]);
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
  await t.step("sampling parameters and at most five stop sequences", () => {
    const config = map(req({
      temperature: 0.3,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["a", "b", "c", "d", "e", "f"],
    })).generationConfig;
    assert.deepEqual(config, {
      maxOutputTokens: 1000,
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stopSequences: ["a", "b", "c", "d", "e"],
    });
  });
});

Deno.test("thinking → thinkingConfig", async (t) => {
  const cfg = (extra: Partial<MessagesRequest>, model: string) =>
    map(req({ max_tokens: 64000, ...extra }), model).generationConfig?.thinkingConfig;
  await t.step("absent → the model's default (nothing sent)", () => {
    assert.equal(cfg({}, "gemini-2.5-flash"), undefined);
    assert.equal(cfg({}, "gemini-3-pro-preview"), undefined);
  });
  await t.step("2.5: an enabled budget is clamped to the model's range", () => {
    const enabled = (n: number) => ({ thinking: { type: "enabled" as const, budget_tokens: n } });
    assert.deepEqual(cfg(enabled(31999), "gemini-2.5-flash"), {
      thinkingBudget: 24576,
      includeThoughts: true,
    });
    assert.deepEqual(cfg(enabled(31999), "gemini-2.5-pro"), {
      thinkingBudget: 31999,
      includeThoughts: true,
    });
    assert.deepEqual(cfg(enabled(100), "gemini-2.5-flash-lite"), {
      thinkingBudget: 512,
      includeThoughts: true,
    });
  });
  await t.step("2.5: adaptive → dynamic, or a budget sized by output_config.effort", () => {
    const adaptive = (effort?: "low" | "medium" | "high" | "max") => ({
      thinking: { type: "adaptive" as const },
      ...(effort ? { output_config: { effort } } : {}),
    });
    assert.deepEqual(cfg(adaptive(), "gemini-2.5-pro"), {
      thinkingBudget: -1,
      includeThoughts: true,
    });
    assert.equal(cfg(adaptive("low"), "gemini-2.5-flash")?.thinkingBudget, 2048);
    assert.equal(cfg(adaptive("medium"), "gemini-2.5-flash")?.thinkingBudget, 8192);
    assert.equal(cfg(adaptive("high"), "gemini-2.5-flash")?.thinkingBudget, -1);
    assert.equal(cfg(adaptive("max"), "gemini-2.5-pro")?.thinkingBudget, 32768);
  });
  await t.step("2.5: disabled → budget 0 where allowed, omitted on 2.5 Pro", () => {
    const off = { thinking: { type: "disabled" as const } };
    assert.deepEqual(cfg(off, "gemini-2.5-flash"), { thinkingBudget: 0 });
    assert.deepEqual(cfg(off, "gemini-2.5-flash-lite"), { thinkingBudget: 0 });
    assert.equal(cfg(off, "gemini-2.5-pro"), undefined);
  });
  await t.step("Gemini 3: levels the model supports", () => {
    const adaptive = (effort?: "low" | "medium" | "high" | "max") => ({
      thinking: { type: "adaptive" as const },
      ...(effort ? { output_config: { effort } } : {}),
    });
    assert.deepEqual(cfg(adaptive(), "gemini-3-pro-preview"), { includeThoughts: true });
    assert.deepEqual(cfg(adaptive("medium"), "gemini-3-pro-preview"), {
      thinkingLevel: "high",
      includeThoughts: true,
    });
    assert.deepEqual(cfg(adaptive("medium"), "gemini-3-flash-preview"), {
      thinkingLevel: "medium",
      includeThoughts: true,
    });
    assert.equal(cfg(adaptive("low"), "gemini-3-pro-preview")?.thinkingLevel, "low");
    assert.equal(
      cfg({ thinking: { type: "enabled", budget_tokens: 2000 } }, "gemini-3-flash-preview")
        ?.thinkingLevel,
      "low",
    );
    assert.deepEqual(cfg({ thinking: { type: "disabled" } }, "gemini-3-flash-preview"), {
      thinkingLevel: "minimal",
    });
    assert.equal(cfg({ thinking: { type: "disabled" } }, "gemini-3-pro-preview"), undefined);
  });
  await t.step("Gemini 3.7 Flash and later take low, medium and high only", () => {
    // "minimal" is a 400 there; thinking off leaves the model's default, as on Pro.
    for (const model of ["gemini-3.7-flash", "gemini-3.8-flash", "gemini-flash-latest"]) {
      assert.equal(cfg({ thinking: { type: "disabled" } }, model), undefined, model);
      assert.equal(
        cfg({ thinking: { type: "adaptive" }, output_config: { effort: "low" } }, model)
          ?.thinkingLevel,
        "low",
      );
    }
    // Flash-Lite and 3.6 Flash still have it.
    for (const model of ["gemini-3.5-flash-lite", "gemini-3.6-flash", "gemini-3.8-flash-lite"]) {
      assert.deepEqual(cfg({ thinking: { type: "disabled" } }, model), {
        thinkingLevel: "minimal",
      });
    }
  });
  await t.step("an effort ccp does not know counts as none given", () => {
    for (const effort of ["x", "xhigh", "toString", "__proto__"]) {
      const unknown = {
        thinking: { type: "adaptive" },
        output_config: { effort },
      } as unknown as Partial<MessagesRequest>;
      assert.deepEqual(cfg(unknown, "gemini-3-pro-preview"), { includeThoughts: true }, effort);
      assert.deepEqual(
        cfg(unknown, "gemini-2.5-pro"),
        { thinkingBudget: -1, includeThoughts: true },
        effort,
      );
    }
  });
  await t.step("models without thinking get no thinkingConfig", () => {
    assert.equal(cfg({ thinking: { type: "adaptive" } }, "gemini-2.0-flash"), undefined);
    assert.equal(cfg({ thinking: { type: "adaptive" } }, "gemma-3-27b-it"), undefined);
  });
});

Deno.test("thinking replay: thought signatures go back on their parts", async (t) => {
  const sign = (over: { provider?: string; model?: string; sig?: string; next?: string }) =>
    encodeGeminiSignature({
      provider: over.provider ?? "gem",
      protocol: "gemini",
      model: over.model ?? "gemini-3-pro-preview",
      ...(over.sig ? { sig: over.sig } : {}),
      ...(over.next ? { next: over.next } : {}),
    });
  const history = (blocks: MessagesRequest["messages"][number]["content"]) =>
    req({
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: blocks },
      ] as MessagesRequest["messages"],
    });
  await t.step("same provider and model: thought part and the call's signature", () => {
    const body = map(
      history([
        { type: "thinking", thinking: "Plan.", signature: sign({ sig: "T1", next: "C1" }) },
        { type: "tool_use", id: "a", name: "Bash", input: { command: "ls" } },
        { type: "thinking", thinking: "", signature: sign({ next: "C2" }) },
        { type: "tool_use", id: "b", name: "Read", input: {} },
      ]),
      "gemini-3-pro-preview",
    );
    assert.deepEqual(body.contents[1]?.parts, [
      { text: "Plan.", thought: true, thoughtSignature: "T1" },
      { functionCall: { name: "Bash", args: { command: "ls" } }, thoughtSignature: "C1" },
      { functionCall: { name: "Read", args: {} }, thoughtSignature: "C2" },
    ]);
  });
  await t.step("a text signature lands on the text that followed the thought", () => {
    const body = map(
      history([
        { type: "thinking", thinking: "Hmm.", signature: sign({ next: "X1" }) },
        { type: "text", text: "Answer." },
      ]),
      "gemini-3-pro-preview",
    );
    assert.deepEqual(body.contents[1]?.parts, [{ text: "Answer.", thoughtSignature: "X1" }]);
  });
  await t.step(
    "reasoning from elsewhere is dropped; Gemini 3 gets the documented placeholder",
    () => {
      const openai = encodeCcpSignature({
        provider: "gem",
        protocol: "openai_chat",
        model: "gemini-3-pro-preview",
        fields: ["reasoning_content"],
      });
      const body = map(
        history([
          {
            type: "thinking",
            thinking: "other provider",
            signature: sign({ provider: "x", next: "N" }),
          },
          {
            type: "thinking",
            thinking: "other model",
            signature: sign({ model: "gemini-2.5-pro" }),
          },
          { type: "thinking", thinking: "chat completions", signature: openai },
          { type: "thinking", thinking: "anthropic", signature: "EqQBCkgIARABGAIiQ" },
          { type: "redacted_thinking", data: "abc" },
          { type: "tool_use", id: "a", name: "Bash", input: {} },
          { type: "tool_use", id: "b", name: "Bash", input: {} },
        ]),
        "gemini-3-pro-preview",
      );
      assert.deepEqual(body.contents[1]?.parts, [
        { functionCall: { name: "Bash", args: {} }, thoughtSignature: SKIP_SIGNATURE },
        { functionCall: { name: "Bash", args: {} } },
      ]);
    },
  );
  await t.step("2.x models get no placeholder", () => {
    const body = map(
      history([{ type: "tool_use", id: "a", name: "Bash", input: {} }]),
      "gemini-2.5-flash",
    );
    assert.deepEqual(body.contents[1]?.parts, [{ functionCall: { name: "Bash", args: {} } }]);
  });
  await t.step("a dated model name of the same family still matches", () => {
    const body = map(
      history([
        {
          type: "thinking",
          thinking: "x",
          signature: sign({ model: "gemini-2.5-flash", sig: "S" }),
        },
        { type: "text", text: "y" },
      ]),
      "gemini-2.5-flash-20260101",
    );
    assert.deepEqual(body.contents[1]?.parts, [
      { text: "x", thought: true, thoughtSignature: "S" },
      { text: "y" },
    ]);
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

Deno.test("a history that opens with a function call gets a user turn before it", () => {
  // Gemini answers 400 "Please ensure that function call turn comes immediately after a user
  // turn or after a function response turn" when a trimmed history starts with a call.
  const body = map(req({
    messages: [
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "text" }] },
    ],
  }));
  assert.deepEqual(body.contents.map((c) => c.role), ["user", "model", "user"]);
  assert.deepEqual(body.contents[0]?.parts, [{ text: "[earlier conversation omitted]" }]);
  assert.deepEqual(body.contents[1]?.parts, [{ functionCall: { name: "Read", args: {} } }]);
  // A history that opens with plain model text is left as it is.
  const text = map(req({
    messages: [{ role: "assistant", content: "Hello." }, { role: "user", content: "Hi" }],
  }));
  assert.deepEqual(text.contents.map((c) => c.role), ["model", "user"]);
});

Deno.test("a history ending on a model turn, for models that refuse one", async (t) => {
  // Gemini 3.5 Flash-Lite, 3.6 Flash and later answer 400 "Requests ending with a model turn
  // are not supported"; Claude Code ends on an assistant turn to resume an interrupted answer.
  const prefill = req({
    messages: [{ role: "user", content: "Count to five" }, {
      role: "assistant",
      content: "One, two,",
    }],
  });
  // gemini-3.5-flash and gemini-3-flash-preview are now served by 3.6 Flash.
  for (
    const model of [
      "gemini-3.6-flash",
      "gemini-3.8-flash",
      "gemini-3.5-flash-lite",
      "gemini-3.5-flash",
      "gemini-3-flash-preview",
    ]
  ) {
    await t.step(`${model}: a user turn asks to continue`, () => {
      const body = map(prefill, model);
      assert.deepEqual(body.contents.map((c) => c.role), ["user", "model", "user"]);
      assert.deepEqual(body.contents[1]?.parts, [{ text: "One, two," }]);
      assert.deepEqual(body.contents[2]?.parts, [{ text: CONTINUE_MODEL_TURN }]);
    });
  }
  for (const model of ["gemini-2.5-flash", "gemini-3-pro-preview", "gemini-3.1-pro-preview"]) {
    await t.step(`${model} continues the model turn itself`, () => {
      const body = map(prefill, model);
      assert.deepEqual(body.contents.map((c) => c.role), ["user", "model"]);
    });
  }
  await t.step("a history ending on a user turn is left alone", () => {
    const body = map(req(), "gemini-3.6-flash");
    assert.deepEqual(body.contents.map((c) => c.role), ["user"]);
  });
});
