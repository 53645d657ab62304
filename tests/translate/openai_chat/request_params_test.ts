import assert from "node:assert/strict";
import type { MessagesRequest, ToolDefinition } from "../../../src/protocols/anthropic.ts";
import type { ChatCompletionRequest } from "../../../src/protocols/openai_chat.ts";
import {
  DEFAULT_OPENAI_DIALECT,
  type OpenAIDialect,
} from "../../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import {
  type OpenAITarget,
  toOpenAIChatRequest,
} from "../../../src/translate/openai_chat/request.ts";
import { req } from "../_request.ts";
import { CEREBRAS_RULES, refusalOf } from "../../mocks/hosted_chat_strict.ts";

const D = OPENAI_DIALECTS;

function map(
  request: MessagesRequest,
  dialect: OpenAIDialect = DEFAULT_OPENAI_DIALECT,
  extra: Partial<OpenAITarget> = {},
): ChatCompletionRequest {
  return toOpenAIChatRequest(request, { dialect, model: "up-model", provider: "prov", ...extra });
}

const BASH: ToolDefinition = {
  name: "Bash",
  description: "Run a command",
  input_schema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: { command: { type: "string" }, format: { type: "string", format: "uri" } },
    required: ["command"],
    additionalProperties: false,
  },
};

Deno.test("tools", async (t) => {
  await t.step("client tools become functions with the same schema ($schema dropped)", () => {
    const body = map(req({ tools: [BASH] }));
    assert.deepEqual(body.tools, [{
      type: "function",
      function: {
        name: "Bash",
        description: "Run a command",
        parameters: {
          type: "object",
          properties: { command: { type: "string" }, format: { type: "string", format: "uri" } },
          required: ["command"],
          additionalProperties: false,
        },
      },
    }]);
  });
  await t.step(
    "per-provider cleaning drops keywords, never a property that shares the name",
    () => {
      const strict = {
        ...DEFAULT_OPENAI_DIALECT,
        schemaDropKeys: ["$schema", "format", "additionalProperties"],
      };
      assert.deepEqual(map(req({ tools: [BASH] }), strict).tools?.[0]?.function.parameters, {
        type: "object",
        properties: { command: { type: "string" }, format: { type: "string" } },
        required: ["command"],
      });
    },
  );
  await t.step(
    "server tools are not sent as functions; an empty schema becomes an object schema",
    () => {
      const body = map(req({
        tools: [
          { type: "web_search_20250305", name: "web_search" },
          { type: "code_execution_20250825", name: "code_execution" },
          { name: "Ping", input_schema: {} },
        ],
      }));
      assert.deepEqual(body.tools?.map((x) => x.function), [{
        name: "Ping",
        parameters: { type: "object", properties: {} },
      }]);
    },
  );
  await t.step("no function tools left: no tools and no tool_choice", () => {
    const body = map(
      req({
        tools: [{ type: "web_fetch_20250910", name: "web_fetch" }],
        tool_choice: { type: "any" },
      }),
    );
    assert.equal(body.tools, undefined);
    assert.equal(body.tool_choice, undefined);
  });
});

Deno.test("tool_choice", async (t) => {
  const tools = [BASH];
  for (
    const [choice, expected] of [
      [{ type: "auto" }, "auto"],
      [{ type: "any" }, "required"],
      [{ type: "none" }, "none"],
      [{ type: "tool", name: "Bash" }, { type: "function", function: { name: "Bash" } }],
      [{ type: "tool", name: "web_search" }, "auto"],
    ] as const
  ) {
    await t.step(`${JSON.stringify(choice)} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(map(req({ tools, tool_choice: choice })).tool_choice, expected);
    });
  }
  await t.step("disable_parallel_tool_use → parallel_tool_calls: false", () => {
    assert.equal(
      map(req({ tools, tool_choice: { type: "auto", disable_parallel_tool_use: true } }))
        .parallel_tool_calls,
      false,
    );
  });
  await t.step("Cerebras refuses parallel_tool_calls: it is never sent there", () => {
    const body = map(
      req({ tools, tool_choice: { type: "auto", disable_parallel_tool_use: true } }),
      D.cerebras,
      { model: "gpt-oss-120b" },
    );
    assert.equal(body.parallel_tool_calls, undefined);
    assert.equal(refusalOf(CEREBRAS_RULES, body as unknown as Record<string, unknown>), undefined);
  });
  await t.step("Mistral spells it any; DeepSeek cannot be forced", () => {
    assert.equal(map(req({ tools, tool_choice: { type: "any" } }), D.mistral).tool_choice, "any");
    assert.equal(
      map(req({ tools, tool_choice: { type: "tool", name: "Bash" } }), D.deepseek).tool_choice,
      "auto",
    );
  });
});

Deno.test("max_tokens", async (t) => {
  await t.step("capped at the dialect's limit, in the dialect's field", () => {
    assert.equal(map(req({ max_tokens: 128000 })).max_tokens, 16384);
    const openai = map(req({ max_tokens: 128000 }), D.openai, { model: "gpt-4o" });
    assert.equal(openai.max_completion_tokens, 16384);
    assert.equal(openai.max_tokens, undefined);
    assert.equal(
      map(req({ max_tokens: 32000 }), D.groq, { model: "llama-3.3-70b-versatile" })
        .max_completion_tokens,
      32000,
    );
  });
  await t.step("DeepSeek V4 gets Claude Code's whole limit: its answers hold up to 384K", () => {
    // Thinking is on and its reasoning counts in max_tokens: a cap of 8192 cut answers short.
    const sent = (model: string, max: number) =>
      map(req({ max_tokens: max, thinking: { type: "adaptive" } }), D.deepseek, { model })
        .max_tokens;
    assert.equal(sent("deepseek-v4-pro", 128000), 128000);
    assert.equal(sent("deepseek-flash", 32000), 32000);
    assert.equal(sent("deepseek-v4-flash", 500000), 384000);
  });
  await t.step(
    "the model's declared limit beats the dialect's; small requests pass unchanged",
    () => {
      assert.equal(
        map(req({ max_tokens: 128000 }), D.openai, { model: "x", maxOutputTokens: 64000 })
          .max_completion_tokens,
        64000,
      );
      assert.equal(map(req({ max_tokens: 100 })).max_tokens, 100);
    },
  );
  await t.step(
    "local servers: a large request is omitted so the server fits its own window",
    () => {
      assert.equal(map(req({ max_tokens: 32000 }), D.local).max_tokens, undefined);
      assert.equal(map(req({ max_tokens: 1 }), D.local).max_tokens, 1);
    },
  );
  await t.step(
    "with a context window and a prompt count, prompt + max_tokens fit the window",
    () => {
      assert.equal(
        map(req({ max_tokens: 16000 }), DEFAULT_OPENAI_DIALECT, {
          contextWindow: 32768,
          inputTokens: 20000,
        }).max_tokens,
        12704,
      );
    },
  );
  await t.step(
    "a prompt count that leaves under 1024 tokens of room fits nothing: the server's count decides",
    () => {
      const fit = (inputTokens: number) =>
        map(req({ max_tokens: 16000 }), DEFAULT_OPENAI_DIALECT, {
          contextWindow: 32768,
          inputTokens,
        }).max_tokens;
      assert.equal(fit(40000), 16000);
      assert.equal(fit(32000), 16000);
      assert.equal(fit(31000), 1704);
    },
  );
  await t.step(
    "a model that reasons though not asked to gets room for it on top of the client's limit",
    () => {
      const off = { thinking: { type: "disabled" as const } };
      const sent = (
        dialect: OpenAIDialect,
        model: string,
        extra: Partial<MessagesRequest> = {},
      ) => {
        const body = map(req({ max_tokens: 64, ...extra }), dialect, { model });
        return body.max_completion_tokens ?? body.max_tokens;
      };
      // No off switch: the weakest effort, and room for it.
      const o3 = map(req({ max_tokens: 64, ...off }), D.openai, { model: "o3" });
      assert.equal(o3.reasoning_effort, "low");
      assert.equal(o3.max_completion_tokens, 64 + 4096);
      assert.equal(sent(D.openai, "o4-mini"), 64 + 4096);
      assert.equal(sent(D.openai, "gpt-5"), 64 + 1024, "minimal still thinks a little");
      assert.equal(sent(D.openai, "gpt-5.1"), 64, "none turns it off");
      assert.equal(sent(D.openai, "gpt-4.1"), 64);
      // Models that reason whatever the switch says, wherever they are served.
      assert.equal(sent(D.deepseek, "deepseek-reasoner", off), 64 + 8192);
      assert.equal(sent(D.deepseek, "deepseek-chat", off), 64);
      assert.equal(sent(D.kimi, "kimi-k2-thinking", off), 64 + 8192);
      assert.equal(sent(D.kimi, "kimi-k2.5", off), 64);
      assert.equal(sent(D.nvidia_nim, "deepseek-ai/deepseek-r1"), 64 + 8192);
      assert.equal(sent(D.together, "Qwen/QwQ-32B"), 64 + 8192);
      assert.equal(sent(DEFAULT_OPENAI_DIALECT, "qwen3-235b-a22b-thinking-2507"), 64 + 8192);
      assert.equal(sent(D.local, "deepseek-r1-distill-qwen-7b"), 4096, "capped at the limit");
      const oss = map(req({ max_tokens: 64 }), D.groq, { model: "openai/gpt-oss-120b" });
      assert.equal(oss.reasoning_effort, "low");
      assert.equal(sent(D.xai, "grok-4"), 64 + 8192);
      assert.equal(sent(D.xai, "grok-4.3"), 64);
      assert.equal(sent(D.xai, "grok-4-fast-non-reasoning"), 64);
      // OpenRouter's reasoning models think by default and count it in max_tokens.
      assert.equal(sent(D.openrouter, "deepseek/deepseek-r1"), 64 + 8192);
      assert.equal(sent(D.openrouter, "openai/gpt-5-mini"), 64 + 8192);
      assert.equal(sent(D.openrouter, "google/gemini-2.5-pro"), 64 + 8192);
      assert.equal(sent(D.openrouter, "z-ai/glm-4.6"), 64 + 8192);
      // Its models that do not reason answer within the client's own limit.
      assert.equal(sent(D.openrouter, "meta-llama/llama-3.3-70b-instruct"), 64);
      assert.equal(sent(D.openrouter, "anthropic/claude-sonnet-4.5"), 64);
      assert.equal(sent(D.openrouter, "openai/gpt-5-chat"), 64);
      assert.equal(sent(D.openrouter, "x-ai/grok-4-fast-non-reasoning"), 64);
      assert.equal(sent(D.openrouter, "google/gemini-2.5-flash-lite"), 64);
      assert.equal(sent(D.openrouter, "openai/gpt-5.1"), 64, "5.1 and later: none by default");
      assert.equal(sent(D.openrouter, "openai/gpt-5.1-codex"), 64 + 8192);
      // Thinking asked for: the client's budget already includes it.
      const on = { thinking: { type: "enabled" as const, budget_tokens: 1024 } };
      assert.equal(sent(D.openai, "o3", { ...on, max_tokens: 4000 }), 4000);
    },
  );
});

Deno.test("sampling, stop, user, stream", async (t) => {
  await t.step(
    "temperature, top_p pass; stop_sequences → stop (at most 4); top_k only where accepted",
    () => {
      const request = req({
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ["a", "b", "c", "d", "e"],
      });
      const body = map(request);
      assert.equal(body.temperature, 0.2);
      assert.equal(body.top_p, 0.9);
      assert.equal(body.top_k, undefined);
      assert.deepEqual(body.stop, ["a", "b", "c", "d"]);
      assert.equal(map(request, D.together).top_k, 40);
    },
  );
  await t.step("metadata.user_id → user, hashed where the provider limits its length", () => {
    const long = JSON.stringify({ device_id: "f".repeat(64), account_uuid: "", session_id: "s" });
    assert.equal(
      map(req({ metadata: { user_id: long } })).user,
      undefined,
      "generic servers get no user",
    );
    const user = map(req({ metadata: { user_id: long } }), D.openai).user;
    assert.match(String(user), /^ccp_[0-9a-f]{16}$/);
    assert.equal(map(req({ metadata: { user_id: long } }), D.openai).user, user, "stable");
    assert.equal(map(req({ metadata: { user_id: "u1" } }), D.openai).user, "u1");
  });
  await t.step("prompt_cache_key: one per client session where the provider caches by key", () => {
    // Claude Code's user_id names its session; Mistral caches a prefix only for requests that
    // share a key, and OpenAI keeps requests with one key on the same cache.
    const session = (id: string) =>
      JSON.stringify({ device_id: "f".repeat(64), account_uuid: "", session_id: id });
    const key = (user_id: string, dialect = D.mistral) =>
      map(req({ metadata: { user_id } }), dialect).prompt_cache_key;
    assert.match(String(key(session("a"))), /^ccp_[0-9a-f]{16}$/);
    assert.equal(key(session("a")), key(session("a")), "stable within a session");
    assert.notEqual(key(session("a")), key(session("b")), "new per session");
    assert.equal(key(session("a"), D.openai), key(session("a")));
    assert.equal(key(session("a"), DEFAULT_OPENAI_DIALECT), undefined, "generic servers: none");
    assert.equal(map(req(), D.mistral).prompt_cache_key, undefined, "no user_id: none");
  });
  await t.step("stream: true asks for usage where accepted", () => {
    assert.deepEqual(map(req({ stream: true })).stream_options, { include_usage: true });
    assert.equal(map(req({ stream: true }), D.mistral).stream_options, undefined);
    assert.equal(map(req()).stream, undefined);
  });
});

Deno.test("thinking → the provider's own switch", async (t) => {
  const enabled = (budget: number) =>
    req({ thinking: { type: "enabled", budget_tokens: budget }, stream: true });
  const adaptive = req({
    thinking: { type: "adaptive" },
    output_config: { effort: "medium" },
    stream: true,
  });
  await t.step("reasoning_effort from the budget (OpenAI gpt-5)", () => {
    assert.equal(map(enabled(31999), D.openai, { model: "gpt-5" }).reasoning_effort, "high");
    assert.equal(map(enabled(2000), D.openai, { model: "gpt-5" }).reasoning_effort, "low");
    assert.equal(map(enabled(10000), D.openai, { model: "gpt-5" }).reasoning_effort, "medium");
    assert.equal(map(adaptive, D.openai, { model: "gpt-5" }).reasoning_effort, "medium");
    assert.equal(
      map(req(), D.openai, { model: "gpt-5" }).reasoning_effort,
      "minimal",
      "absent → off switch",
    );
    // gpt-5.1 and later refuse `minimal` but can skip reasoning.
    assert.equal(map(req(), D.openai, { model: "gpt-5.1" }).reasoning_effort, "none");
    assert.equal(map(enabled(2000), D.openai, { model: "gpt-5.2" }).reasoning_effort, "low");
    assert.equal(map(req(), D.openai, { model: "gpt-5-mini" }).reasoning_effort, "minimal");
    assert.equal(
      map(enabled(31999), D.openai, { model: "gpt-4o" }).reasoning_effort,
      undefined,
      "not a reasoning model",
    );
  });
  await t.step("gpt-5-pro takes only `high`, its default (OpenAI and generic servers)", () => {
    for (const dialect of [D.openai, DEFAULT_OPENAI_DIALECT]) {
      const effort = (request: MessagesRequest) =>
        map(request, dialect, { model: "gpt-5-pro" }).reasoning_effort;
      assert.equal(effort(enabled(2000)), "high");
      assert.equal(effort(enabled(10000)), "high");
      assert.equal(effort(adaptive), "high");
      assert.equal(effort(req({ thinking: { type: "adaptive" } })), undefined);
      assert.equal(effort(req()), undefined, "no `minimal`: high is all it does");
      assert.equal(effort(req({ thinking: { type: "disabled" } })), undefined);
      const body = map(req({ max_tokens: 64 }), dialect, { model: "gpt-5-pro" });
      assert.equal(body.max_completion_tokens ?? body.max_tokens, 64 + 8192);
    }
  });
  await t.step("NVIDIA NIM chat_template_kwargs", () => {
    assert.deepEqual(map(adaptive, D.nvidia_nim).chat_template_kwargs, {
      thinking: true,
      enable_thinking: true,
      clear_thinking: false,
    });
    assert.deepEqual(
      map(req({ thinking: { type: "disabled" } }), D.nvidia_nim).chat_template_kwargs,
      {
        thinking: false,
        enable_thinking: false,
      },
    );
  });
  await t.step("OpenRouter reasoning object; absent thinking leaves the model's default", () => {
    assert.deepEqual(
      map(enabled(31999), D.openrouter).reasoning,
      { effort: "high" },
      "budget cannot fit",
    );
    assert.deepEqual(map({ ...enabled(2048), max_tokens: 20000 }, D.openrouter).reasoning, {
      max_tokens: 2048,
    });
    assert.deepEqual(map(adaptive, D.openrouter).reasoning, { effort: "medium" });
    assert.deepEqual(map(req({ thinking: { type: "adaptive" } }), D.openrouter).reasoning, {
      enabled: true,
    });
    assert.equal(map(req(), D.openrouter).reasoning, undefined);
    assert.deepEqual(map(req({ thinking: { type: "disabled" } }), D.openrouter).reasoning, {
      enabled: false,
    });
  });
  await t.step("OpenRouter: a model with a fixed set of efforts is sent one of them", () => {
    const pro = (request: MessagesRequest) =>
      map({ ...request, max_tokens: 20000 }, D.openrouter, { model: "openai/gpt-5-pro" })
        .reasoning;
    // A budget would be turned into an effort by OpenRouter, one gpt-5-pro may refuse.
    assert.deepEqual(pro(enabled(2048)), { effort: "high" });
    assert.deepEqual(pro(adaptive), { effort: "high" });
    assert.deepEqual(pro(req({ thinking: { type: "adaptive" } })), { enabled: true });
    assert.equal(pro(req({ thinking: { type: "disabled" } })), undefined, "it cannot stop");
    const mini = (request: MessagesRequest) =>
      map(request, D.openrouter, { model: "x-ai/grok-3-mini" }).reasoning;
    assert.deepEqual(mini(adaptive), { effort: "low" }, "medium: the nearest below is low");
    assert.deepEqual(mini(req({ thinking: { type: "disabled" } })), { effort: "low" });
  });
  await t.step("Qwen enable_thinking + thinking_budget, only when streaming", () => {
    const body = map(enabled(8000), D.qwen);
    assert.equal(body.enable_thinking, true);
    assert.equal(body.thinking_budget, 8000);
    assert.equal(map({ ...enabled(8000), stream: false }, D.qwen).enable_thinking, false);
  });
  await t.step("DeepSeek / Kimi thinking type (+ effort)", () => {
    const ds = map({ ...adaptive, output_config: { effort: "max" } }, D.deepseek);
    assert.deepEqual(ds.thinking, { type: "enabled" });
    assert.equal(ds.reasoning_effort, "max");
    assert.deepEqual(map(req(), D.kimi).thinking, { type: "disabled" });
  });
  await t.step("Groq: only reasoning models get reasoning parameters", () => {
    assert.equal(
      map(adaptive, D.groq, { model: "llama-3.3-70b-versatile" }).reasoning_format,
      undefined,
    );
    const qwen = map(adaptive, D.groq, { model: "qwen/qwen3-32b" });
    assert.equal(qwen.reasoning_format, "parsed");
    assert.equal(qwen.reasoning_effort, undefined, "qwen3 only knows 'default'");
    assert.equal(map(req(), D.groq, { model: "qwen/qwen3-32b" }).reasoning_effort, "none");
    assert.equal(
      map(adaptive, D.groq, { model: "openai/gpt-oss-120b" }).reasoning_effort,
      "medium",
    );
  });
  await t.step("Together reasoning.enabled; Cerebras GLM disable_reasoning", () => {
    assert.deepEqual(map(adaptive, D.together, { model: "moonshotai/Kimi-K2.5" }).reasoning, {
      enabled: true,
    });
    assert.equal(map(req(), D.cerebras, { model: "zai-glm-4.6" }).disable_reasoning, true);
  });
});

Deno.test("named quirks", async (t) => {
  const history = req({
    temperature: 0.5,
    messages: [
      { role: "user", content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "toolu_01ABCdef", name: "Bash", input: {} }],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_01ABCdef", content: "ok" }],
      },
    ],
  });
  await t.step("Mistral: 9-character tool call ids, consistent on both sides", () => {
    const body = map(history, D.mistral);
    const call = body.messages[1];
    const result = body.messages[2];
    assert.ok(call?.role === "assistant" && result?.role === "tool");
    const id = call.tool_calls?.[0]?.id;
    assert.match(String(id), /^[A-Za-z0-9]{9}$/);
    assert.equal(result.tool_call_id, id);
  });
  await t.step("DeepSeek: text parts flattened into a string", () => {
    assert.equal(map(history, D.deepseek).messages[0]?.content, "a\n\nb");
  });
  await t.step("OpenAI reasoning models: sampling parameters dropped", () => {
    assert.equal(map(history, D.openai, { model: "o3-mini" }).temperature, undefined);
    assert.equal(map(history, D.openai, { model: "gpt-4o" }).temperature, 0.5);
  });
  await t.step("Kimi: the platform's fixed sampling is never overridden", () => {
    // Claude Code's auto-mode check: no thinking, temperature 1, a 64-token grade. Kimi K2.5 and
    // later answer any value but their own with a 400, here "only 0.6 is allowed".
    const check = req({
      model: "claude-sonnet-5",
      max_tokens: 64,
      temperature: 1,
      top_p: 0.9,
      stop_sequences: ["</block>"],
    });
    for (const model of ["kimi-k2.6", "kimi-k2.5", "kimi-k3", "kimi-for-coding", "k3-256k"]) {
      const body = map(check, D.kimi, { model });
      assert.deepEqual(body.thinking, { type: "disabled" }, model);
      assert.equal(body.temperature, undefined, model);
      assert.equal(body.top_p, undefined, model);
      assert.deepEqual(body.stop, ["</block>"], model);
    }
    assert.equal(map(check, D.kimi, { model: "moonshot-v1-32k" }).temperature, 1);
  });
});
