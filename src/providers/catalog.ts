/** The preset catalog: every built-in provider as a small data record. */

import type { AuthHeader, WireProtocol } from "../config/types.ts";

/** One catalog entry; YAML `preset:` values and free-claude-code provider ids name these. */
export interface Preset {
  readonly id: string;
  /** Wire protocol ccp speaks to it. */
  readonly type: WireProtocol;
  /** API root as the provider documents it; "" when the user must supply one. */
  readonly baseUrl: string;
  /** Single-key variable, e.g. NVIDIA_NIM_API_KEY; absent when the server takes no key. */
  readonly keyEnv?: string;
  /** Key-list variable (commas or whitespace), e.g. NVIDIA_NIM_API_KEYS. */
  readonly keysEnv?: string;
  /** Base-URL override variable; absent where reading one would be unsafe (see anthropic). */
  readonly baseUrlEnv?: string;
  /** Per-provider HTTP proxy variable. */
  readonly proxyEnv: string;
  /** Proactive key rotation variable (free-claude-code's `<P>_KEY_USAGE_LIMIT`). */
  readonly keyUsageLimitEnv?: string;
  readonly authHeader: AuthHeader;
  /** Runs on the user's machine: needs no key, and a route may name it without a providers entry. */
  readonly local: boolean;
  /** Upstream answers POST /v1/messages/count_tokens itself. */
  readonly countTokens: boolean;
  readonly notes: string;
  /** Anthropic-type presets: what ccp removes before the endpoint sees a request, in order. */
  readonly cleaning?: readonly CleaningStep[];
}

// The rules themselves are code in src/upstream/cleaning; reasons cite docs or reported 400s.
/** One request-cleaning rule by name, with its parameters and a one-line reason. */
export type CleaningStep =
  | {
    readonly rule: "keepTopLevel" | "dropTopLevel";
    readonly fields: readonly string[];
    readonly reason: string;
  }
  | {
    readonly rule: "keepOnlyBetas" | "dropBetas";
    readonly betas: readonly string[];
    readonly reason: string;
  }
  | { readonly rule: "dropToolFields"; readonly fields: readonly string[]; readonly reason: string }
  | {
    readonly rule:
      | "stripCacheControl"
      | "dropServerTools"
      | "dropRedactedThinking"
      | "stripCcpThinking"
      | "foldSystemMessages"
      | "dropBillingHeader"
      | "rewriteToolIds";
    readonly reason: string;
  };

/** Builds the usual variable names from a prefix: `<P>_API_KEY(S)`, `<P>_BASE_URL`, `<P>_PROXY`. */
function vars(prefix: string) {
  return {
    keyEnv: `${prefix}_API_KEY`,
    keysEnv: `${prefix}_API_KEYS`,
    baseUrlEnv: `${prefix}_BASE_URL`,
    proxyEnv: `${prefix}_PROXY`,
    keyUsageLimitEnv: `${prefix}_KEY_USAGE_LIMIT`,
  };
}

/** A hosted provider: needs a key, has no local fallback. */
function hosted(
  id: string,
  type: WireProtocol,
  baseUrl: string,
  prefix: string,
  authHeader: AuthHeader,
  notes: string,
  countTokens = false,
  cleaning?: readonly CleaningStep[],
): Preset {
  return {
    id,
    type,
    baseUrl,
    ...vars(prefix),
    authHeader,
    local: false,
    countTokens,
    notes,
    ...(cleaning ? { cleaning } : {}),
  };
}

// Request cleaning per Anthropic-type preset: what each endpoint rejects, removed before sending.
// The rules are code in src/upstream/cleaning; each step says why, the comments say where from.

/** The core Messages fields every compatible server implements. */
const CORE_FIELDS = [
  "model",
  "messages",
  "max_tokens",
  "system",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "metadata",
  "tools",
  "tool_choice",
  "thinking",
];

// deepseek-ai/DeepSeek-V3#1370, deepseek-ai/awesome-deepseek-integration#639, QwenLM/Qwen#2244.
const FOLD_SYSTEM: CleaningStep = {
  rule: "foldSystemMessages",
  reason:
    'role "system" inside messages is Anthropic-only; others answer 400 "unknown variant system"',
};

// ollama/ollama#14918, lmstudio.ai/docs/integrations/claude-code, claude-code-router#1220.
const NO_BILLING: CleaningStep = {
  rule: "dropBillingHeader",
  reason: "Claude Code's attribution block is read by Anthropic only and defeats prefix caching",
};

const NO_REDACTED: CleaningStep = {
  rule: "dropRedactedThinking",
  reason:
    "redacted_thinking is encrypted for Anthropic; signed thinking stays (unverified, needed)",
};

// anthropics/claude-code#46105, #70563; TokenRhythm/opensquilla#1102 (400 on effort-2025-11-24).
const OLD_BETAS: CleaningStep = {
  rule: "keepOnlyBetas",
  betas: [
    "claude-code-20250219",
    "interleaved-thinking-2025-05-14",
    "fine-grained-tool-streaming-2025-05-14",
  ],
  reason:
    "docs silent on anthropic-beta: keep long-standing betas, drop newer ones gateways 400 on",
};

// Anthropic answers 400 on `call_…` tool ids and on signatures it did not make.
const TOOL_IDS: CleaningStep = {
  rule: "rewriteToolIds",
  reason: "Anthropic accepts only toolu_/srvtoolu_ ids; ids other providers minted answer 400",
};
const CCP_THINKING: CleaningStep = {
  rule: "stripCcpThinking",
  reason: 'Anthropic verifies thinking signatures; ccp-made ones answer 400 "Invalid signature"',
};

/** What a `type: anthropic` provider without a preset gets: safe for any compatible server. */
export const DEFAULT_ANTHROPIC_CLEANING: readonly CleaningStep[] = [
  NO_BILLING,
  FOLD_SYSTEM,
  {
    ...CCP_THINKING,
    reason: "the server may relay to Anthropic, which rejects ccp-made signatures",
  },
];

/** The real Anthropic API: every field and beta is genuine there; only foreign history is fixed. */
const ANTHROPIC_CLEANING: readonly CleaningStep[] = [TOOL_IDS, CCP_THINKING];

// https://api-docs.deepseek.com/guides/anthropic_api ("Anthropic API Compatibility Details").
// No beta rule: DeepSeek documents anthropic-beta as ignored.
const DEEPSEEK_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: [...CORE_FIELDS, "output_config", "container", "mcp_servers", "service_tier"],
    reason: "DeepSeek documents exactly these fields; context_management and newer ones are not",
  },
  FOLD_SYSTEM,
  {
    ...NO_REDACTED,
    reason: "DeepSeek lists redacted_thinking Not Supported; thinking must come back",
  },
  NO_BILLING,
];

// farion1231/cc-switch#1888, #2006; anthropics/claude-code#44219. Other betas are kept: OpenRouter
// hands them to Anthropic for anthropic/* models.
const OPEN_ROUTER_CLEANING: readonly CleaningStep[] = [
  {
    rule: "dropBetas",
    betas: ["context-management-2025-06-27"],
    reason: 'OpenRouter: 400 "No endpoints available that support … context management features"',
  },
  {
    rule: "dropTopLevel",
    fields: ["context_management"],
    reason: "the same 400 follows from the body field even without the beta (claude-code#44219)",
  },
  { ...FOLD_SYSTEM, reason: "OpenRouter routes to many providers; several reject system messages" },
  NO_BILLING,
  { ...TOOL_IDS, reason: "anthropic/* models are served by Anthropic, which 400s on foreign ids" },
  {
    ...CCP_THINKING,
    reason: "anthropic/* models are served by Anthropic, which verifies signatures",
  },
];

// https://docs.fireworks.ai/tools-sdks/anthropic-compatibility ("Unsupported features").
const FIREWORKS_CLEANING: readonly CleaningStep[] = [
  {
    rule: "dropServerTools",
    reason: "Fireworks documents server tools (web search, …) as unsupported",
  },
  {
    rule: "dropToolFields",
    fields: ["cache_control", "eager_input_streaming"],
    reason: "Fireworks documents cache_control and eager_input_streaming on tools as unsupported",
  },
  {
    rule: "dropTopLevel",
    fields: ["context_management", "inference_geo"],
    reason:
      "inference_geo is documented unsupported; context editing is not in its documented surface",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
];

// https://friendli.ai/docs/openapi/serverless/messages: a beta API; server tools are documented as
// ignored (so kept), other fields are not listed.
const FRIENDLIAI_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: CORE_FIELDS,
    reason: "beta Messages API, docs silent beyond the core fields: conservative allow-list",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
];

// docs.z.ai / open.bigmodel.cn document no field list; 0xPuncker's proxy allow-lists the core
// fields for Z.AI; GLM setups for Claude Code rely on output_config.effort.
const GLM_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: [...CORE_FIELDS, "output_config"],
    reason: "Z.AI documents no field list: core fields plus output_config (effort), conservatively",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
];

// https://platform.minimax.io/docs/api-reference/text-anthropic-api documents context_management,
// container, mcp_servers, service_tier, top_k and stop_sequences as "Ignored": no field rule.
const MINIMAX_CLEANING: readonly CleaningStep[] = [FOLD_SYSTEM, NO_REDACTED, NO_BILLING, OLD_BETAS];

// Moonshot publishes no contract for /anthropic (MoonshotAI/Kimi-K2#129); kimi-k3 reads
// output_config.effort; thinking must come back on tool turns (farion1231/cc-switch#3377).
const MOONSHOT_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: [...CORE_FIELDS, "output_config"],
    reason: "Moonshot publishes no field list: core fields plus output_config (kimi-k3 effort)",
  },
  FOLD_SYSTEM,
  NO_REDACTED,
  NO_BILLING,
  OLD_BETAS,
];

// https://docs.ollama.com/api/anthropic-compatibility lists exactly the core fields; LM Studio,
// llama.cpp (tools/server README) and vLLM document less. All four reuse their KV cache by prefix.
const LOCAL_CLEANING: readonly CleaningStep[] = [
  {
    rule: "keepTopLevel",
    fields: CORE_FIELDS,
    reason: "local servers implement the core fields (Ollama lists exactly these); rest dropped",
  },
  {
    rule: "stripCacheControl",
    reason:
      "local servers cache by prefix on their own; the markers are not in their documented fields",
  },
  { rule: "dropServerTools", reason: "a local model cannot run Anthropic's server-side tools" },
  FOLD_SYSTEM,
  NO_REDACTED,
  {
    ...NO_BILLING,
    reason: "LM Studio and Ollama tell Claude Code users to turn it off: it breaks their KV cache",
  },
  OLD_BETAS,
];

// CLIProxyAPI is built for Claude Code traffic and relays to Anthropic (keys, OAuth) as well as
// Gemini and Codex. It assembles betas per upstream itself and Anthropic-bound traffic
// reads the attribution block, so both are kept.
const CLIPROXYAPI_CLEANING: readonly CleaningStep[] = [
  { ...TOOL_IDS, reason: "CLIProxyAPI may relay to Anthropic, which 400s on foreign tool ids" },
  { ...CCP_THINKING, reason: "CLIProxyAPI may relay to Anthropic, which verifies signatures" },
  {
    ...FOLD_SYSTEM,
    reason:
      "its Gemini/Codex translators expect user/assistant only (cf. rebuild-mid-system-message)",
  },
];

/** Every preset, grouped by wire protocol. */
export const PRESETS: readonly Preset[] = [
  // OpenAI Chat Completions (ccp appends /chat/completions).
  hosted(
    "nvidia_nim",
    "openai",
    "https://integrate.api.nvidia.com/v1",
    "NVIDIA_NIM",
    "bearer",
    "NVIDIA NIM (build.nvidia.com); free tier with rate limits",
  ),
  hosted("groq", "openai", "https://api.groq.com/openai/v1", "GROQ", "bearer", "Groq"),
  hosted("cerebras", "openai", "https://api.cerebras.ai/v1", "CEREBRAS", "bearer", "Cerebras"),
  hosted("together", "openai", "https://api.together.ai/v1", "TOGETHER", "bearer", "Together AI"),
  hosted(
    "kimi",
    "openai",
    "https://api.moonshot.ai/v1",
    "KIMI",
    "bearer",
    "Moonshot Kimi, OpenAI-compatible API (see moonshot_anthropic for the Anthropic one)",
  ),
  hosted("openai", "openai", "https://api.openai.com/v1", "OPENAI", "bearer", "OpenAI"),
  hosted(
    "openai_responses",
    "openai_responses",
    "https://api.openai.com/v1",
    "OPENAI",
    "bearer",
    "OpenAI Responses API (Codex models)",
  ),
  hosted("mistral", "openai", "https://api.mistral.ai/v1", "MISTRAL", "bearer", "Mistral"),
  hosted("xai", "openai", "https://api.x.ai/v1", "XAI", "bearer", "xAI Grok"),
  hosted(
    "openai_compatible",
    "openai",
    "",
    "OPENAI_COMPATIBLE",
    "bearer",
    "any OpenAI Chat Completions server; base_url is required",
  ),
  // Anthropic Messages (ccp appends /v1/messages, or /messages to a root ending in /v1).
  {
    ...hosted(
      "anthropic",
      "anthropic",
      "https://api.anthropic.com",
      "ANTHROPIC",
      "x-api-key",
      "Anthropic; ANTHROPIC_BASE_URL is not read because it usually points at ccp itself",
      true,
      ANTHROPIC_CLEANING,
    ),
    baseUrlEnv: undefined,
  },
  hosted(
    "open_router",
    "anthropic",
    "https://openrouter.ai/api",
    "OPENROUTER",
    "bearer",
    "OpenRouter's Anthropic-compatible API",
    false,
    OPEN_ROUTER_CLEANING,
  ),
  hosted(
    "deepseek",
    "anthropic",
    "https://api.deepseek.com/anthropic",
    "DEEPSEEK",
    "x-api-key",
    "DeepSeek's Anthropic-compatible API",
    false,
    DEEPSEEK_CLEANING,
  ),
  hosted(
    "friendliai",
    "anthropic",
    "https://api.friendli.ai/serverless/v1",
    "FRIENDLIAI",
    "bearer",
    "FriendliAI serverless Messages API",
    false,
    FRIENDLIAI_CLEANING,
  ),
  hosted(
    "fireworks",
    "anthropic",
    "https://api.fireworks.ai/inference",
    "FIREWORKS",
    "bearer",
    "Fireworks' Anthropic-compatible API",
    false,
    FIREWORKS_CLEANING,
  ),
  hosted(
    "zai",
    "anthropic",
    "https://api.z.ai/api/anthropic",
    "ZAI",
    "bearer",
    "Z.AI (GLM Coding Plan) Anthropic-compatible API",
    false,
    GLM_CLEANING,
  ),
  hosted(
    "zhipu",
    "anthropic",
    "https://open.bigmodel.cn/api/anthropic",
    "ZHIPU",
    "bearer",
    "Zhipu BigModel (mainland China) Anthropic-compatible API",
    false,
    GLM_CLEANING,
  ),
  hosted(
    "minimax",
    "anthropic",
    "https://api.minimax.io/anthropic",
    "MINIMAX",
    "bearer",
    "MiniMax international; mainland China uses https://api.minimaxi.com/anthropic",
    false,
    MINIMAX_CLEANING,
  ),
  hosted(
    "moonshot_anthropic",
    "anthropic",
    "https://api.moonshot.ai/anthropic",
    "MOONSHOT",
    "bearer",
    "Moonshot Kimi, Anthropic-compatible API",
    false,
    MOONSHOT_CLEANING,
  ),
  // Local servers: no key needed, always usable by name. 127.0.0.1 avoids IPv6 localhost surprises.
  {
    ...vars("LM_STUDIO"),
    id: "lmstudio",
    type: "anthropic",
    baseUrl: "http://127.0.0.1:1234/v1",
    // free-claude-code spells the proxy variable without the underscore.
    proxyEnv: "LMSTUDIO_PROXY",
    keysEnv: undefined,
    keyUsageLimitEnv: undefined,
    authHeader: "bearer",
    local: true,
    countTokens: false,
    notes: "LM Studio local server",
    cleaning: LOCAL_CLEANING,
  },
  {
    ...vars("LLAMACPP"),
    id: "llamacpp",
    type: "anthropic",
    baseUrl: "http://127.0.0.1:8080/v1",
    keysEnv: undefined,
    keyUsageLimitEnv: undefined,
    authHeader: "bearer",
    local: true,
    countTokens: true,
    notes: "llama.cpp llama-server (has its own count_tokens)",
    cleaning: LOCAL_CLEANING,
  },
  {
    id: "ollama",
    type: "anthropic",
    baseUrl: "http://127.0.0.1:11434",
    baseUrlEnv: "OLLAMA_BASE_URL",
    proxyEnv: "OLLAMA_PROXY",
    authHeader: "bearer",
    local: true,
    countTokens: false,
    notes: "Ollama; the base URL is the server root, without /v1",
    cleaning: LOCAL_CLEANING,
  },
  {
    ...vars("VLLM"),
    id: "vllm",
    type: "anthropic",
    baseUrl: "http://127.0.0.1:8000/v1",
    keysEnv: undefined,
    keyUsageLimitEnv: undefined,
    authHeader: "bearer",
    local: true,
    countTokens: false,
    notes: "vLLM OpenAI/Anthropic server",
    cleaning: LOCAL_CLEANING,
  },
  {
    ...vars("CLIPROXYAPI"),
    id: "cliproxyapi",
    type: "anthropic",
    baseUrl: "http://127.0.0.1:8317/v1",
    keysEnv: undefined,
    keyUsageLimitEnv: undefined,
    authHeader: "x-api-key",
    local: true,
    countTokens: true,
    notes: "CLIProxyAPI; its api-keys are sent as x-api-key",
    cleaning: CLIPROXYAPI_CLEANING,
  },
  // Gemini generateContent (ccp appends /models/<model>:generateContent to a /v1beta root).
  hosted(
    "gemini",
    "gemini",
    "https://generativelanguage.googleapis.com/v1beta",
    "GEMINI",
    "x-goog-api-key",
    "Google AI Studio Gemini API (not Vertex AI)",
  ),
];

const BY_ID: ReadonlyMap<string, Preset> = new Map(PRESETS.map((preset) => [preset.id, preset]));

/** Every preset id, in catalog order. */
export const PRESET_IDS: readonly string[] = PRESETS.map((preset) => preset.id);

/** The local presets (lmstudio, llamacpp, ollama, vllm, cliproxyapi): usable by name in a config. */
export const LOCAL_PRESET_IDS: readonly string[] = PRESETS
  .filter((preset) => preset.local)
  .map((preset) => preset.id);

/** Looks a preset up by id. */
export function findPreset(id: string): Preset | undefined {
  return BY_ID.get(id);
}
