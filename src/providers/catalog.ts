/** The preset catalog: every built-in provider as a small data record. */

import type { AuthHeader, ModelSettings, WireProtocol } from "../config/types.ts";
import type { OpenAIDialect } from "../translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../translate/openai_chat/dialects.ts";
import {
  ANTHROPIC_CLEANING,
  type CleaningStep,
  CLIPROXYAPI_CLEANING,
  DEEPSEEK_CLEANING,
  FIREWORKS_CLEANING,
  FRIENDLIAI_CLEANING,
  GLM_CLEANING,
  LOCAL_CLEANING,
  LOCAL_EFFORT_CLEANING,
  MINIMAX_CLEANING,
  MOONSHOT_CLEANING,
  OPEN_ROUTER_CLEANING,
} from "./cleaning_steps.ts";

export { type CleaningStep, DEFAULT_ANTHROPIC_CLEANING } from "./cleaning_steps.ts";

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
  /** The proxy variable as the key variable's prefix spells it, read too where that differs. */
  readonly proxyEnvAlias?: string;
  /** Proactive key rotation variable (free-claude-code's `<P>_KEY_USAGE_LIMIT`). */
  readonly keyUsageLimitEnv?: string;
  readonly authHeader: AuthHeader;
  /** Runs on the user's machine: needs no key, and a route may name it without a providers entry. */
  readonly local: boolean;
  /**
   * How its hosted API is paid for, where not per token at list prices: `free` (no charge, only
   * rate limits: its models cost $0) or `flat` (a subscription: no per-token price). Settings'
   * `price` wins over both.
   */
  readonly billing?: "free" | "flat";
  /** Says in each answer what it was charged (`usage.cost`): the cost unless a `price` is set. */
  readonly reportsCost?: boolean;
  /** Upstream answers POST /v1/messages/count_tokens itself. */
  readonly countTokens: boolean;
  readonly notes: string;
  /** The first version with the API ccp speaks to it, named when an older one answers 404. */
  readonly since?: string;
  /** Anthropic-type presets: what ccp removes before the endpoint sees a request, in order. */
  readonly cleaning?: readonly CleaningStep[];
  /** How it speaks Chat Completions (also under `type: openai` in YAML); absent: generic. */
  readonly dialect?: OpenAIDialect;
  /** What its models are known to accept, below the user's own `model_settings` ("*": all). */
  readonly modelSettings?: Readonly<Record<string, ModelSettings>>;
}

// Text-only APIs: an image would be an upstream 400, so ccp replaces it with a note. A PDF too:
// DeepSeek's Anthropic endpoint takes no documents and drops them without a word, so the model
// would answer as if it had read one; the note tells it (and the user) that it was left out.
const TEXT_ONLY: Readonly<Record<string, ModelSettings>> = {
  "*": { supports: { images: false, documents: false } },
};

// DeepSeek's Flash model reads images since V4.1, by its name and by the retired vision name it
// now serves; its other models, and every PDF, stay text.
const DEEPSEEK_MODELS: Readonly<Record<string, ModelSettings>> = {
  ...TEXT_ONLY,
  "deepseek-flash": { supports: { images: true } },
  "deepseek-v4-flash-vision-exp": { supports: { images: true } },
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

/** What most hosted presets share: a key is needed, no count_tokens endpoint. */
const HOSTED = { local: false, countTokens: false } as const;

/** Every preset, grouped by wire protocol. */
export const PRESETS: readonly Preset[] = [
  // OpenAI Chat Completions (ccp appends /chat/completions).
  {
    id: "nvidia_nim",
    type: "openai",
    baseUrl: "https://integrate.api.nvidia.com/v1",
    ...vars("NVIDIA_NIM"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "NVIDIA NIM (build.nvidia.com); free tier with rate limits",
    billing: "free",
    dialect: OPENAI_DIALECTS.nvidia_nim,
  },
  {
    id: "groq",
    type: "openai",
    baseUrl: "https://api.groq.com/openai/v1",
    ...vars("GROQ"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Groq",
    dialect: OPENAI_DIALECTS.groq,
  },
  {
    id: "cerebras",
    type: "openai",
    baseUrl: "https://api.cerebras.ai/v1",
    ...vars("CEREBRAS"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Cerebras",
    dialect: OPENAI_DIALECTS.cerebras,
    modelSettings: TEXT_ONLY,
  },
  {
    id: "together",
    type: "openai",
    baseUrl: "https://api.together.ai/v1",
    ...vars("TOGETHER"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Together AI",
    dialect: OPENAI_DIALECTS.together,
  },
  {
    id: "kimi",
    type: "openai",
    baseUrl: "https://api.moonshot.ai/v1",
    ...vars("KIMI"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Moonshot Kimi, OpenAI-compatible API (see moonshot_anthropic for the Anthropic one)",
    dialect: OPENAI_DIALECTS.kimi,
  },
  {
    id: "openai",
    type: "openai",
    baseUrl: "https://api.openai.com/v1",
    ...vars("OPENAI"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "OpenAI",
    dialect: OPENAI_DIALECTS.openai,
  },
  {
    id: "openai_responses",
    type: "openai_responses",
    baseUrl: "https://api.openai.com/v1",
    ...vars("OPENAI"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "OpenAI Responses API (Codex models)",
  },
  {
    id: "mistral",
    type: "openai",
    baseUrl: "https://api.mistral.ai/v1",
    ...vars("MISTRAL"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Mistral",
    dialect: OPENAI_DIALECTS.mistral,
  },
  {
    id: "xai",
    type: "openai",
    baseUrl: "https://api.x.ai/v1",
    ...vars("XAI"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "xAI Grok",
    dialect: OPENAI_DIALECTS.xai,
  },
  {
    id: "openai_compatible",
    type: "openai",
    baseUrl: "",
    ...vars("OPENAI_COMPATIBLE"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "any OpenAI Chat Completions server; base_url is required",
    dialect: OPENAI_DIALECTS.openai_compatible,
  },
  // Anthropic Messages (ccp appends /v1/messages, or /messages to a root ending in /v1). A
  // `dialect` here is used when a YAML entry switches the preset to `type: openai`.
  {
    id: "anthropic",
    type: "anthropic",
    baseUrl: "https://api.anthropic.com",
    ...vars("ANTHROPIC"),
    baseUrlEnv: undefined,
    authHeader: "x-api-key",
    local: false,
    countTokens: true,
    notes: "Anthropic; ANTHROPIC_BASE_URL is not read because it usually points at ccp itself",
    cleaning: ANTHROPIC_CLEANING,
  },
  {
    id: "open_router",
    type: "anthropic",
    baseUrl: "https://openrouter.ai/api",
    ...vars("OPENROUTER"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "OpenRouter's Anthropic-compatible API",
    reportsCost: true,
    cleaning: OPEN_ROUTER_CLEANING,
    dialect: OPENAI_DIALECTS.openrouter,
  },
  {
    id: "deepseek",
    type: "anthropic",
    baseUrl: "https://api.deepseek.com/anthropic",
    ...vars("DEEPSEEK"),
    authHeader: "x-api-key",
    ...HOSTED,
    notes: "DeepSeek's Anthropic-compatible API",
    cleaning: DEEPSEEK_CLEANING,
    modelSettings: DEEPSEEK_MODELS,
    dialect: OPENAI_DIALECTS.deepseek,
  },
  {
    id: "friendliai",
    type: "anthropic",
    baseUrl: "https://api.friendli.ai/serverless/v1",
    ...vars("FRIENDLIAI"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "FriendliAI serverless Messages API",
    cleaning: FRIENDLIAI_CLEANING,
  },
  {
    id: "fireworks",
    type: "anthropic",
    baseUrl: "https://api.fireworks.ai/inference",
    ...vars("FIREWORKS"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Fireworks' Anthropic-compatible API",
    cleaning: FIREWORKS_CLEANING,
  },
  {
    id: "zai",
    type: "anthropic",
    baseUrl: "https://api.z.ai/api/anthropic",
    ...vars("ZAI"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Z.AI (GLM Coding Plan) Anthropic-compatible API",
    billing: "flat",
    cleaning: GLM_CLEANING,
  },
  {
    id: "zhipu",
    type: "anthropic",
    baseUrl: "https://open.bigmodel.cn/api/anthropic",
    ...vars("ZHIPU"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Zhipu BigModel (mainland China, GLM Coding Plan) Anthropic-compatible API",
    billing: "flat",
    cleaning: GLM_CLEANING,
  },
  {
    id: "minimax",
    type: "anthropic",
    baseUrl: "https://api.minimax.io/anthropic",
    ...vars("MINIMAX"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "MiniMax international; mainland China uses https://api.minimaxi.com/anthropic",
    cleaning: MINIMAX_CLEANING,
  },
  {
    id: "moonshot_anthropic",
    type: "anthropic",
    baseUrl: "https://api.moonshot.ai/anthropic",
    ...vars("MOONSHOT"),
    authHeader: "bearer",
    ...HOSTED,
    notes: "Moonshot Kimi, Anthropic-compatible API",
    cleaning: MOONSHOT_CLEANING,
  },
  // Local servers: no key needed, always usable by name. 127.0.0.1 avoids IPv6 localhost surprises.
  {
    ...vars("LM_STUDIO"),
    id: "lmstudio",
    type: "anthropic",
    baseUrl: "http://127.0.0.1:1234/v1",
    // free-claude-code spells the proxy variable without the underscore; the key variable's
    // prefix with _PROXY (LM_STUDIO_PROXY) is read too.
    proxyEnv: "LMSTUDIO_PROXY",
    proxyEnvAlias: "LM_STUDIO_PROXY",
    keysEnv: undefined,
    keyUsageLimitEnv: undefined,
    authHeader: "bearer",
    local: true,
    countTokens: false,
    notes: "LM Studio local server",
    cleaning: LOCAL_CLEANING,
    dialect: OPENAI_DIALECTS.local,
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
    dialect: OPENAI_DIALECTS.local,
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
    since: "Ollama 0.14",
    cleaning: LOCAL_EFFORT_CLEANING,
    dialect: OPENAI_DIALECTS.local,
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
    cleaning: LOCAL_EFFORT_CLEANING,
    dialect: OPENAI_DIALECTS.local,
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
    dialect: OPENAI_DIALECTS.openai_compatible,
  },
  // Gemini generateContent (ccp appends /models/<model>:generateContent to a /v1beta root).
  {
    id: "gemini",
    type: "gemini",
    baseUrl: "https://generativelanguage.googleapis.com/v1beta",
    ...vars("GEMINI"),
    authHeader: "x-goog-api-key",
    ...HOSTED,
    notes: "Google AI Studio Gemini API (not Vertex AI)",
  },
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
