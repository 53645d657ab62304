/**
 * The named dialects of known OpenAI-compatible providers. Values are what each provider
 * says its API accepts; numbers marked "conservative" are caps chosen to avoid 400s where
 * the provider names no limit, and can be raised per model through the provider config
 * (`maxOutputTokens` of the translation target).
 */

import { REASONING_ALLOWANCE } from "../reasoning/allowance.ts";
import {
  DEFAULT_OPENAI_DIALECT,
  GPT5_PRO,
  MISTRAL_ROLE_ORDER,
  type ModelPatch,
  type OpenAIDialect,
  REASONING_ONLY_MODELS,
  THINK_OPENED_BY_PROMPT,
} from "./dialect.ts";

// Named dialects start from the generic one without its switch: each says how its provider
// turns reasoning on, or leaves it to the model. Model patches are not inherited: each named
// dialect lists those its provider's models need.
const base: OpenAIDialect = {
  ...DEFAULT_OPENAI_DIALECT,
  reasoningSwitch: { kind: "none" },
  models: REASONING_ONLY_MODELS,
};
const EFFORT_LMH = ["low", "medium", "high"] as const;
const ALWAYS = REASONING_ONLY_MODELS;

// gpt-oss always reasons; `low` is its least, and without an effort it thinks at `medium`.
const GPT_OSS_SWITCH = { kind: "reasoning_effort", levels: EFFORT_LMH, off: "low" } as const;

// Kimi K2 sometimes writes its tool calls as its own tokens in `content` instead of
// `tool_calls` (more often with few tools offered); hosts that serve it among other models
// turn the recovery on for it alone. Recovery is strict, so ordinary prose is untouched.
const KIMI_K2_TEXT_TOOLS = { match: "kimi-k2", set: { textToolCalls: true } } as const;

// OpenRouter's models that reason when the request says nothing (its default for them), by the
// family names its model ids carry; the reasoning counts in `max_tokens`. Later entries win, so
// the models of those families that do not reason come last.
const OPENROUTER_REASONING: readonly ModelPatch[] = [
  ...[
    ...ALWAYS.map((patch) => patch.match),
    "openai/o1",
    "openai/o3",
    "openai/o4",
    "gpt-5",
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-3",
    "grok-3-mini",
    "grok-4",
    "grok-code",
    "glm-4.5",
    "glm-4.6",
    "glm-4.7",
    "glm-5",
    "minimax-m1",
    "reasoning", // sonar-reasoning, phi-4-reasoning
  ].map((match) => ({ match, set: { reasoningAllowance: REASONING_ALLOWANCE.full } })),
  // gpt-5.1 and later do not reason unless asked to (their Codex models do).
  ...["gpt-5-chat", "gpt-5.", "gemini-2.5-flash-lite", "non-reasoning"].map((match) => ({
    match,
    set: { reasoningAllowance: 0 },
  })),
  { match: "codex", set: { reasoningAllowance: REASONING_ALLOWANCE.full } },
];

/** Names of the built-in dialects. */
export type OpenAIDialectName =
  | "openai_compatible"
  | "nvidia_nim"
  | "groq"
  | "cerebras"
  | "together"
  | "kimi"
  | "openai"
  | "mistral"
  | "xai"
  | "deepseek"
  | "openrouter"
  | "qwen"
  | "local";

/** Dialects by name; each preset of the catalog names its own (src/providers/catalog.ts). */
export const OPENAI_DIALECTS: Readonly<Record<OpenAIDialectName, OpenAIDialect>> = {
  openai_compatible: DEFAULT_OPENAI_DIALECT,

  // NVIDIA NIM: hybrid models switch through chat_template_kwargs (`thinking` for DeepSeek,
  // `enable_thinking` for Qwen/GLM/Nemotron); unknown kwargs are ignored by the templates.
  nvidia_nim: {
    ...base,
    name: "nvidia_nim",
    maxOutputTokens: 16384, // conservative: NIM models differ, many context windows are 32k-128k
    reasoningSwitch: {
      kind: "chat_template_kwargs",
      on: { thinking: true, enable_thinking: true, clear_thinking: false },
      off: { thinking: false, enable_thinking: false },
    },
    reasoningReplay: "tool_turns",
    needsNonEmptyAssistantContent: true,
    models: [...ALWAYS, KIMI_K2_TEXT_TOOLS, ...MISTRAL_ROLE_ORDER],
  },

  // Groq: `reasoning_format` only for reasoning models; qwen3 takes reasoning_effort none|default,
  // gpt-oss low|medium|high. Only its Llama 4 models read images: the others refuse the whole
  // request for an image part ("messages[1].content must be a string"), and Claude Code keeps a
  // screenshot in its history, so every later turn of the session was refused too.
  groq: {
    ...base,
    name: "groq",
    maxTokensField: "max_completion_tokens",
    maxOutputTokens: 8192,
    userFieldMaxLength: 64,
    supportsImages: false,
    models: [
      ...ALWAYS,
      { match: "llama-4", set: { supportsImages: true } },
      { match: "llama-3.3-70b", set: { maxOutputTokens: 32768 } },
      { match: "kimi-k2", set: { maxOutputTokens: 16384, textToolCalls: true } },
      {
        match: "qwen3",
        set: {
          maxOutputTokens: 40960,
          reasoningSwitch: {
            kind: "reasoning_effort",
            levels: ["default"],
            off: "none",
            onExtra: { reasoning_format: "parsed" },
          },
        },
      },
      {
        match: "gpt-oss",
        set: {
          maxOutputTokens: 65536,
          reasoningSwitch: { ...GPT_OSS_SWITCH, onExtra: { include_reasoning: true } },
        },
      },
    ],
  },

  // Cerebras: reasoning text in `reasoning`; gpt-oss takes reasoning_effort, GLM turns thinking off
  // with disable_reasoning. It answers 400 to parallel_tool_calls (with frequency_penalty,
  // presence_penalty, logit_bias and service_tier, which ccp never sends): a client's "one tool
  // at a time" is kept by ccp cutting the answer after its first call.
  cerebras: {
    ...base,
    name: "cerebras",
    maxTokensField: "max_completion_tokens",
    maxOutputTokens: 8192, // conservative
    streamUsage: false,
    acceptsParallelToolCalls: false,
    userFieldMaxLength: 64,
    models: [
      ...ALWAYS,
      { match: "gpt-oss", set: { reasoningSwitch: GPT_OSS_SWITCH } },
      {
        match: "glm",
        set: { reasoningSwitch: { kind: "fields", on: {}, off: { disable_reasoning: true } } },
      },
    ],
  },

  // Together: hybrid models toggle with reasoning={enabled}; gpt-oss uses reasoning_effort;
  // reasoning arrives in `reasoning`.
  together: {
    ...base,
    name: "together",
    reasoningSwitch: { kind: "reasoning_enabled" },
    replayField: "reasoning",
    acceptsTopK: true,
    userFieldMaxLength: 64,
    models: [
      ...ALWAYS,
      { match: "gpt-oss", set: { reasoningSwitch: GPT_OSS_SWITCH } },
      KIMI_K2_TEXT_TOOLS,
    ],
  },

  // Kimi: thinking toggles with thinking={type}; with thinking on, assistant tool-call turns must
  // carry reasoning_content ("thinking is enabled but reasoning_content is missing in assistant
  // tool call message"). Its models are all Kimi, so the recovery of K2's tool tokens is on.
  kimi: {
    ...base,
    name: "kimi",
    jsonOutput: "json_object",
    schemaRules: "moonshot",
    maxOutputTokens: 32768,
    reasoningSwitch: { kind: "thinking_type" },
    reasoningReplay: "tool_turns",
    textToolCalls: true,
    // kimi-k2-thinking thinks whatever `thinking` says. The platform fixes the sampling of its
    // Kimi models (temperature 1 thinking, 0.6 not; top_p 0.95) and refuses any other value
    // ("invalid temperature: only 0.6 is allowed for this model"): Claude Code's auto-mode check
    // sends temperature 1 with thinking off. The moonshot-v1 models take them.
    models: [
      ...ALWAYS,
      ...["kimi-", "k3-"].map((match) => ({ match, quirks: ["drop_sampling_params"] as const })),
    ],
  },

  // OpenAI: max_completion_tokens; only reasoning models accept reasoning_effort, and they reject
  // sampling parameters. PDFs go as `file` parts (data only: Chat Completions takes no file URL).
  openai: {
    ...base,
    name: "openai",
    systemMidConversation: true,
    supportsDocuments: true,
    maxTokensField: "max_completion_tokens",
    maxOutputTokens: 16384,
    userFieldMaxLength: 64,
    promptCacheKey: true, // keeps one conversation's requests on the same prefix cache
    thinkTags: false,
    models: [
      { match: "gpt-4.1", set: { maxOutputTokens: 32768 } },
      {
        // `minimal` still reasons a little.
        match: "gpt-5",
        set: {
          maxOutputTokens: 128000,
          reasoningSwitch: {
            kind: "reasoning_effort",
            levels: ["minimal", "low", "medium", "high"],
            off: "minimal",
          },
          reasoningAllowance: REASONING_ALLOWANCE.minimal,
        },
        quirks: ["drop_sampling_params"],
      },
      {
        // gpt-5.1 and later: `none` skips reasoning, and `minimal` is refused.
        match: "gpt-5.",
        set: {
          reasoningSwitch: {
            kind: "reasoning_effort",
            levels: ["none", "low", "medium", "high"],
            off: "none",
          },
          reasoningAllowance: 0,
        },
      },
      // The o-series cannot stop reasoning: `low` is the least (the default is `medium`).
      ...["o1", "o3", "o4"].map((match) => ({
        match,
        set: {
          maxOutputTokens: 100000,
          reasoningSwitch: { kind: "reasoning_effort", levels: EFFORT_LMH, off: "low" } as const,
          reasoningAllowance: REASONING_ALLOWANCE.low,
        },
        quirks: ["drop_sampling_params"] as const,
      })),
      {
        // GPT-5's chat model does not reason: it refuses reasoning_effort, as the GPT-4 family.
        match: "gpt-5-chat",
        set: { maxOutputTokens: 16384, reasoningSwitch: { kind: "none" }, reasoningAllowance: 0 },
      },
      GPT5_PRO,
    ],
  },

  // Mistral: tool_choice "any"; tool call ids must be 9 alphanumerics; no user message right
  // after tool results; the API rejects unknown fields, so no `user` and no `stream_options`.
  mistral: {
    ...base,
    name: "mistral",
    maxOutputTokens: 16384,
    overLimit: "omit", // Mistral rejects prompt + max_tokens above the context window
    streamUsage: false,
    requiredToolChoice: "any",
    needsNonEmptyAssistantContent: true,
    promptCacheKey: true, // Mistral caches a prompt prefix only for requests that share a key
    quirks: ["mistral_tool_call_ids", "assistant_after_tool"],
  },

  // xAI: reasoning_effort only on grok-3-mini and grok-4.3+; reasoning tokens are reported apart
  // from completion_tokens.
  xai: {
    ...base,
    name: "xai",
    maxOutputTokens: 32768,
    userFieldMaxLength: 64,
    reasoningTokensSeparate: true,
    models: [
      {
        match: "grok-3-mini",
        set: {
          reasoningSwitch: { kind: "reasoning_effort", levels: ["low", "high"], off: "low" },
          reasoningAllowance: REASONING_ALLOWANCE.low,
        },
      },
      // grok-4 always reasons and takes no effort.
      {
        match: "grok-4",
        set: { reasoningAllowance: REASONING_ALLOWANCE.full },
        quirks: ["drop_stop"],
      },
      {
        match: "grok-4.3",
        set: {
          reasoningSwitch: { kind: "reasoning_effort", levels: EFFORT_LMH, off: "none" },
          reasoningAllowance: 0,
        },
      },
      { match: "non-reasoning", set: { reasoningAllowance: 0 } },
    ],
  },

  // DeepSeek: thinking={type} + reasoning_effort. Between two user messages where a tool was
  // called, every assistant message's reasoning_content must be passed back in every later
  // request, the final answer's too ("The reasoning_content in the thinking mode must be passed
  // back to the API"); elsewhere it is ignored. Its V4 models (and the retired deepseek-chat and
  // deepseek-reasoner names, which answered with them) write up to 384K tokens, reasoning
  // included: a lower cap cuts a thinking answer short.
  deepseek: {
    ...base,
    name: "deepseek",
    maxOutputTokens: 384000,
    reasoningSwitch: { kind: "thinking_type", levels: ["low", "medium", "high", "max"] },
    reasoningReplay: "tool_spans",
    // Text only, but for its Flash model since V4.1 (`deepseek-flash`, which also serves the
    // retired `deepseek-v4-flash-vision-exp` name): an image there is read, not left out.
    supportsImages: false,
    forcedToolChoice: false, // "deepseek-reasoner does not support this tool_choice"
    jsonOutput: "json_object", // response_format takes only text and json_object
    quirks: ["flatten_text_content"],
    // deepseek-reasoner thinks whatever `thinking` says: the model name is the switch.
    models: [
      ...ALWAYS,
      { match: "deepseek-flash", set: { supportsImages: true } },
      { match: "flash-vision", set: { supportsImages: true } },
    ],
  },

  // OpenRouter: a `reasoning` object switches it; reasoning arrives as `reasoning` +
  // `reasoning_details`, which must be preserved on tool turns.
  openrouter: {
    ...base,
    name: "openrouter",
    maxOutputTokens: 32768,
    reasoningSwitch: { kind: "openrouter_reasoning" },
    // Disabling reasoning on a model where it is mandatory is a 400, so absent = default.
    thinkingAbsent: "default",
    reasoningReplay: "tool_turns",
    replayField: "reasoning",
    supportsDocuments: true,
    documentUrls: true, // "PDFs can be sent as direct URLs or base64-encoded data URLs"
    acceptsTopK: true,
    userFieldMaxLength: 64,
    // Only its reasoning models get room for reasoning beside the client's limit: a model that
    // does not reason would spend that room on the answer, past what the client asked for.
    // DeepSeek V4 behind it checks the reasoning of a tool span as it does on its own API.
    models: [
      ...OPENROUTER_REASONING,
      KIMI_K2_TEXT_TOOLS,
      ...MISTRAL_ROLE_ORDER,
      { match: "deepseek-v4", set: { reasoningReplay: "tool_spans" } },
    ],
  },

  // Alibaba Model Studio (DashScope) compatible mode takes enable_thinking and thinking_budget;
  // thinking is only allowed on streaming calls.
  qwen: {
    ...base,
    name: "qwen",
    jsonOutput: "json_object",
    maxOutputTokens: 16384,
    reasoningSwitch: { kind: "enable_thinking", budget: true },
    models: [...ALWAYS, { match: "coder", set: { maxOutputTokens: 65536 } }],
  },

  // llama.cpp server, vLLM, SGLang, LM Studio and Ollama's /v1 endpoint: the server knows
  // the context window, so large max_tokens are omitted rather than clamped.
  local: {
    ...base,
    name: "local",
    // llama.cpp compiles tool schemas into a grammar and refuses the request for a `pattern` it
    // cannot compile (unanchored, or with escapes such as \S); the others gain nothing from it.
    schemaDropKeys: ["$schema", "pattern"],
    maxOutputTokens: 4096,
    overLimit: "omit",
    reasoningSwitch: {
      kind: "chat_template_kwargs",
      on: { enable_thinking: true },
      off: { enable_thinking: false },
    },
    acceptsTopK: true,
    textToolCalls: true,
    models: [...ALWAYS, ...MISTRAL_ROLE_ORDER, ...THINK_OPENED_BY_PROMPT],
  },
};
