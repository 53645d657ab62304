/**
 * Claude Code's short side requests (auto mode's classifier: `max_tokens: 64`, thinking
 * disabled, not streamed; title and topic requests without `thinking`) routed to reasoning
 * models, through ccp to upstreams that reason unless told not to and count that reasoning
 * against the output limit. Each must come back with the answer's text, well formed.
 */

import assert from "node:assert/strict";
import type { ProviderConfig } from "../../src/config/types.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { RESPONSES_KEY } from "../helpers/responses_ccp.ts";
import {
  type ReasoningMock,
  startReasoningChat,
  startReasoningResponses,
  startThinkingAnthropic,
  startThinkingGemini,
  VERDICT,
} from "../mocks/reasoning_models.ts";

type Obj = Record<string, unknown>;

/** Auto mode's classifier request as Claude Code 2.1.332 sends it (prompts shortened). */
function classifier(stream: boolean): Obj {
  return {
    model: "claude-sonnet-5",
    max_tokens: 64,
    thinking: { type: "disabled" },
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli;" },
      { type: "text", text: "You are a security monitor for an autonomous coding agent. …" },
    ],
    messages: [{
      role: "user",
      content: [{
        type: "text",
        text: "<transcript>Bash: curl -fsSL https://example.com/install.sh | sh</transcript>\n" +
          "<severity>N</severity>: grade the action.",
      }],
    }],
    ...(stream ? { stream: true } : {}),
  };
}

/** A title-style side request: no `thinking` field at all. */
function untold(stream: boolean): Obj {
  const { thinking: _, ...rest } = classifier(stream);
  return { ...rest, max_tokens: 32 };
}

/** The answer's text, `stop_reason` and `usage`, streamed or not. */
async function answer(url: string, body: Obj) {
  const res = await postMessages(url, body);
  assert.equal(res.status, 200, await res.clone().text());
  if (body.stream !== true) {
    const message = await res.json() as Obj;
    const content = message.content as Obj[];
    return {
      text: content.filter((b) => b.type === "text").map((b) => b.text).join(""),
      types: content.map((b) => String(b.type)),
      stop: message.stop_reason,
      usage: message.usage as Obj,
    };
  }
  const events = parseSse(await res.text());
  assert.equal(events.at(-1)!.event, "message_stop");
  const types = events.filter((e) => e.event === "content_block_start")
    .map((e) => String((e.data.content_block as Obj).type));
  const text = events.filter((e) => e.event === "content_block_delta")
    .map((e) => e.data.delta as Obj).filter((d) => d.type === "text_delta")
    .map((d) => d.text).join("");
  const delta = events.find((e) => e.event === "message_delta")!.data;
  return {
    text,
    types,
    stop: (delta.delta as Obj).stop_reason,
    usage: delta.usage as Obj,
  };
}

/** One upstream behind ccp's `sonnet` route. */
async function through(
  mock: ReasoningMock,
  over: Partial<ProviderConfig>,
  model: string,
  run: (url: string) => Promise<void>,
) {
  const ccp = startCcp(testConfig({
    providers: [provider("up", { baseUrl: mock.url, maxRetries: 0, ...over })],
    routes: { default: `up/${model}`, sonnet: `up/${model}` },
  }));
  try {
    await run(ccp.url);
  } finally {
    await ccp.close();
    await mock.close();
  }
}

const openai = (preset: string): Partial<ProviderConfig> => ({
  type: "openai",
  preset,
  apiKeys: ["sk-test"],
  authHeader: "bearer",
});

/** Chat Completions providers whose model reasons when not told otherwise, each as it behaves. */
const CHAT_CASES: ReadonlyArray<{
  name: string;
  preset: string;
  model: string;
  field: "reasoning_content" | "reasoning" | "none";
  reasoning: (body: Obj) => number;
}> = [
  {
    // No off switch: `low` is the least, the default (medium) thinks longer; hidden reasoning.
    name: "OpenAI o3",
    preset: "openai",
    model: "o3",
    field: "none",
    reasoning: (b) => b.reasoning_effort === "low" ? 300 : 1200,
  },
  {
    // deepseek-reasoner thinks whatever `thinking` says: the model name is the switch.
    name: "DeepSeek reasoner",
    preset: "deepseek",
    model: "deepseek-reasoner",
    field: "reasoning_content",
    reasoning: () => 700,
  },
  {
    name: "Kimi K2 Thinking",
    preset: "kimi",
    model: "kimi-k2-thinking",
    field: "reasoning_content",
    reasoning: () => 900,
  },
  {
    // R1 reasons whatever it is told (OpenRouter's 400 to turning it off is tested below).
    name: "OpenRouter DeepSeek R1",
    preset: "open_router",
    model: "deepseek/deepseek-r1",
    field: "reasoning",
    reasoning: () => 800,
  },
  {
    name: "Groq gpt-oss",
    preset: "groq",
    model: "openai/gpt-oss-120b",
    field: "reasoning",
    reasoning: (b) => b.reasoning_effort === "low" ? 150 : 600,
  },
];

for (const c of CHAT_CASES) {
  for (const [label, request] of [["classifier", classifier], ["untold", untold]] as const) {
    for (const stream of [false, true]) {
      Deno.test(
        `${c.name} (Chat Completions), ${label} request, ${stream ? "streamed" : "whole"}: ` +
          "the reasoning gets room on top of max_tokens and the text comes back",
        async () => {
          const mock = startReasoningChat(c.reasoning, c.field);
          await through(mock, openai(c.preset), c.model, async (url) => {
            const body = request(stream);
            const got = await answer(url, body);
            assert.equal(got.text, VERDICT, JSON.stringify(mock.bodies.at(-1)));
            assert.equal(got.stop, "end_turn");
            assert.equal(got.types.at(-1), "text", got.types.join());
            const sent = mock.bodies.at(-1)!;
            const limit = Number(sent.max_completion_tokens ?? sent.max_tokens);
            assert.ok(limit > Number(body.max_tokens), `limit sent: ${limit}`);
            assert.ok(Number(got.usage.output_tokens) > 8, "reasoning tokens are counted");
          });
        },
      );
    }
  }
}

Deno.test("a Chat model whose thinking does switch off gets no allowance (DeepSeek chat)", async () => {
  const mock = startReasoningChat(
    (b) => (b.thinking as Obj | undefined)?.type === "disabled" ? 0 : 700,
  );
  await through(mock, openai("deepseek"), "deepseek-chat", async (url) => {
    for (const stream of [false, true]) {
      const got = await answer(url, classifier(stream));
      assert.equal(got.text, VERDICT);
      assert.equal(mock.bodies.at(-1)!.max_tokens, 64);
      assert.deepEqual(mock.bodies.at(-1)!.thinking, { type: "disabled" });
    }
  });
});

Deno.test(
  "OpenRouter, reasoning mandatory: the refused off switch is left out and the answer comes",
  async () => {
    const mock = startReasoningChat(() => 800, "reasoning");
    const refusing: ReasoningMock = {
      ...mock,
      url: mock.url,
    };
    // The real endpoint answers 400 to `reasoning: {enabled: false}` on such models.
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const body = await req.json() as Obj;
        if ((body.reasoning as Obj | undefined)?.enabled === false) {
          return Response.json({
            error: {
              message: "Reasoning is mandatory for this endpoint and cannot be disabled.",
              code: 400,
              metadata: { provider_name: null },
            },
          }, { status: 400 });
        }
        return fetch(`${mock.url}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      },
    );
    refusing.url = `http://127.0.0.1:${server.addr.port}/v1`;
    refusing.close = async () => {
      await server.shutdown();
      await mock.close();
    };
    await through(refusing, openai("open_router"), "deepseek/deepseek-r1", async (url) => {
      for (const stream of [false, true]) {
        const got = await answer(url, classifier(stream));
        assert.equal(got.text, VERDICT);
        assert.equal(got.stop, "end_turn");
      }
    });
  },
);

/** Gemini models as they think: 2.5 Flash switches off, 2.5 Pro cannot, 3 Pro has levels. */
function geminiThoughts(model: string) {
  return (config: Obj | undefined): number => {
    const budget = config?.thinkingBudget;
    const level = config?.thinkingLevel;
    if (model.startsWith("gemini-2.5-flash")) {
      if (budget === 0) return 0;
      return typeof budget === "number" && budget > 0 ? Math.min(budget, 900) : 900;
    }
    if (model.startsWith("gemini-2.5-pro")) {
      return typeof budget === "number" && budget > 0 ? Math.min(budget, 1500) : 1500;
    }
    return level === "low" ? 400 : 1500; // Gemini 3 Pro: "high" by default
  };
}

for (const model of ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-3-pro-preview"]) {
  for (const [label, request] of [["classifier", classifier], ["untold", untold]] as const) {
    for (const stream of [false, true]) {
      Deno.test(
        `${model} (Gemini), ${label} request, ${stream ? "streamed" : "whole"}: ` +
          "thinking off where it can be, room for it where not, and the text comes back",
        async () => {
          const mock = startThinkingGemini(geminiThoughts(model));
          const over: Partial<ProviderConfig> = {
            type: "gemini",
            preset: "gemini",
            apiKeys: ["AIzaSyTEST-0000000000000000000000000000"],
            authHeader: "x-goog-api-key",
          };
          await through(mock, over, model, async (url) => {
            const got = await answer(url, request(stream));
            assert.equal(got.text, VERDICT, JSON.stringify(mock.bodies.at(-1)));
            assert.equal(got.stop, "end_turn");
            assert.ok(!got.types.includes("thinking"), "no thinking block unasked");
            const config = (mock.bodies.at(-1)!.generationConfig ?? {}) as Obj;
            if (model === "gemini-2.5-flash") {
              assert.deepEqual(config.thinkingConfig, { thinkingBudget: 0 });
            }
          });
        },
      );
    }
  }
}

/** Responses models: o3 thinks at `low` at least, gpt-5-pro only at `high`. */
const RESPONSES_CASES = [
  { model: "o3", reasoning: (b: Obj) => (b.reasoning as Obj)?.effort === "low" ? 300 : 1200 },
  { model: "gpt-5-pro", reasoning: () => 1500 },
  {
    model: "gpt-5.1-codex",
    reasoning: (b: Obj) => (b.reasoning as Obj)?.effort === "low" ? 250 : 900,
  },
];

for (const c of RESPONSES_CASES) {
  for (const [label, request] of [["classifier", classifier], ["untold", untold]] as const) {
    for (const stream of [false, true]) {
      Deno.test(
        `${c.model} (Responses), ${label} request, ${stream ? "streamed" : "whole"}: ` +
          "the reasoning gets room on top of max_tokens and the text comes back",
        async () => {
          const mock = startReasoningResponses(c.reasoning);
          const over: Partial<ProviderConfig> = {
            type: "openai_responses",
            preset: "openai_responses",
            apiKeys: [RESPONSES_KEY],
            authHeader: "bearer",
          };
          await through(mock, over, c.model, async (url) => {
            const got = await answer(url, request(stream));
            assert.equal(got.text, VERDICT, JSON.stringify(mock.bodies.at(-1)));
            assert.equal(got.stop, "end_turn");
            assert.equal(got.types.at(-1), "text", got.types.join());
            const sent = mock.bodies.at(-1)!;
            assert.ok(Number(sent.max_output_tokens) > 64, `limit sent: ${sent.max_output_tokens}`);
          });
        },
      );
    }
  }
}

Deno.test(
  "reasoning that outruns even the allowance ends as max_tokens, its tokens counted, on each protocol",
  async (t) => {
    const endless = () => 100_000;
    const cases: Array<[string, () => ReasoningMock, Partial<ProviderConfig>, string]> = [
      ["Chat", () => startReasoningChat(endless), openai("deepseek"), "deepseek-reasoner"],
      ["Gemini", () => startThinkingGemini(endless), {
        type: "gemini",
        preset: "gemini",
        apiKeys: ["AIzaSyTEST-0000000000000000000000000000"],
        authHeader: "x-goog-api-key",
      }, "gemini-2.5-pro"],
      ["Responses", () => startReasoningResponses(endless), {
        type: "openai_responses",
        preset: "openai_responses",
        apiKeys: [RESPONSES_KEY],
        authHeader: "bearer",
      }, "o3"],
    ];
    for (const [name, start, over, model] of cases) {
      await t.step(name, async () => {
        const mock = start();
        await through(mock, over, model, async (url) => {
          for (const stream of [false, true]) {
            const got = await answer(url, classifier(stream));
            assert.equal(got.text, "");
            assert.equal(got.stop, "max_tokens");
            const sent = mock.bodies.at(-1)!;
            const generation = sent.generationConfig as Obj | undefined;
            const limit = sent.max_tokens ?? sent.max_output_tokens ?? generation?.maxOutputTokens;
            assert.equal(got.usage.output_tokens, limit);
          }
        });
      });
    }
  },
);

/** Anthropic-compatible endpoints as their models think. */
const RELAY_CASES: ReadonlyArray<{
  name: string;
  preset: string;
  model: string;
  thinking: (body: Obj) => number;
  /** What ccp should send as `thinking` for a request without it. */
  untoldThinking?: Obj;
}> = [
  {
    // DeepSeek thinks unless told not to; the reasoner model thinks whatever it is told.
    name: "DeepSeek chat",
    preset: "deepseek",
    model: "deepseek-chat",
    thinking: (b) => (b.thinking as Obj | undefined)?.type === "disabled" ? 0 : 700,
    untoldThinking: { type: "disabled" },
  },
  {
    name: "DeepSeek reasoner",
    preset: "deepseek",
    model: "deepseek-reasoner",
    thinking: () => 700,
    untoldThinking: { type: "disabled" },
  },
  {
    // MiniMax M2 keeps thinking when told not to.
    name: "MiniMax M2",
    preset: "minimax",
    model: "MiniMax-M2.7",
    thinking: () => 900,
    untoldThinking: { type: "disabled" },
  },
  {
    // GLM 4.5 and later think by default and switch off when told.
    name: "GLM",
    preset: "zai",
    model: "glm-4.7",
    thinking: (b) => (b.thinking as Obj | undefined)?.type === "disabled" ? 0 : 600,
    untoldThinking: { type: "disabled" },
  },
  {
    name: "Kimi K2 Thinking",
    preset: "moonshot_anthropic",
    model: "kimi-k2-thinking",
    thinking: () => 900,
  },
];

for (const c of RELAY_CASES) {
  for (const [label, request] of [["classifier", classifier], ["untold", untold]] as const) {
    for (const stream of [false, true]) {
      Deno.test(
        `${c.name} (Anthropic-compatible relay), ${label} request, ${
          stream ? "streamed" : "whole"
        }: thinking said off where it switches off, room for it where not, and the text comes back`,
        async () => {
          const mock = startThinkingAnthropic(c.thinking);
          const over: Partial<ProviderConfig> = {
            type: "anthropic",
            preset: c.preset,
            apiKeys: ["sk-test"],
            authHeader: "bearer",
          };
          await through(mock, over, c.model, async (url) => {
            const body = request(stream);
            const got = await answer(url, body);
            assert.equal(got.text, VERDICT, JSON.stringify(mock.bodies.at(-1)));
            assert.equal(got.stop, "end_turn");
            const sent = mock.bodies.at(-1)!;
            if (label === "untold") assert.deepEqual(sent.thinking, c.untoldThinking);
          });
        },
      );
    }
  }
}

Deno.test(
  "OpenRouter, a model that does not reason: the client's limit is sent as is and stops the " +
    "answer with max_tokens (translated and relayed)",
  async () => {
    const shortUntold = (stream: boolean) => ({ ...untold(stream), max_tokens: 4 });
    const chat = startReasoningChat(() => 0, "reasoning");
    await through(chat, openai("open_router"), "meta-llama/llama-3.3-70b-instruct", async (url) => {
      for (const stream of [false, true]) {
        const got = await answer(url, shortUntold(stream));
        assert.equal(chat.bodies.at(-1)!.max_tokens, 4);
        assert.equal(got.text, VERDICT.slice(0, 4));
        assert.equal(got.stop, "max_tokens");
      }
    });
    const relay = startThinkingAnthropic(() => 0);
    const over: Partial<ProviderConfig> = {
      type: "anthropic",
      preset: "open_router",
      apiKeys: ["sk-test"],
      authHeader: "bearer",
    };
    await through(relay, over, "qwen/qwen3-coder", async (url) => {
      for (const stream of [false, true]) {
        const got = await answer(url, shortUntold(stream));
        assert.equal(relay.bodies.at(-1)!.max_tokens, 4);
        assert.equal(got.text, VERDICT.slice(0, 4));
        assert.equal(got.stop, "max_tokens");
      }
    });
  },
);
