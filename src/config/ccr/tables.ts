/**
 * What `ccp init --from ccr` knows about claude-code-router's v1 config.json, as data: which hosts
 * are ccp presets, what each transformer becomes, where each Router entry goes, and what the other
 * top-level keys are. The conversion in convert.ts only walks these tables.
 */

/** A host CCR users point `api_base_url` at that a ccp preset serves. */
export interface KnownHost {
  /** Host name, or `*:port` for a local server known by its usual port on any host. */
  readonly host: string;
  readonly preset: string;
}

/**
 * Hosts with a ccp preset. The preset's own API root is used (several speak Anthropic Messages,
 * which ccp passes through unchanged, where CCR translated to Chat Completions).
 */
export const KNOWN_HOSTS: readonly KnownHost[] = [
  { host: "openrouter.ai", preset: "open_router" },
  { host: "api.deepseek.com", preset: "deepseek" },
  { host: "generativelanguage.googleapis.com", preset: "gemini" },
  { host: "integrate.api.nvidia.com", preset: "nvidia_nim" },
  { host: "api.groq.com", preset: "groq" },
  { host: "api.cerebras.ai", preset: "cerebras" },
  { host: "api.together.xyz", preset: "together" },
  { host: "api.together.ai", preset: "together" },
  { host: "api.moonshot.ai", preset: "kimi" },
  { host: "api.mistral.ai", preset: "mistral" },
  { host: "api.x.ai", preset: "xai" },
  { host: "api.openai.com", preset: "openai" },
  { host: "api.anthropic.com", preset: "anthropic" },
  { host: "api.z.ai", preset: "zai" },
  { host: "open.bigmodel.cn", preset: "zhipu" },
  { host: "api.minimax.io", preset: "minimax" },
  { host: "api.fireworks.ai", preset: "fireworks" },
  // Local servers are known by their port, on this machine or another one on the network.
  { host: "*:11434", preset: "ollama" },
  { host: "*:1234", preset: "lmstudio" },
  { host: "*:8317", preset: "cliproxyapi" },
];

/** A line under a preset's entry where ccp speaks to it otherwise than CCR did. */
export const PRESET_NOTES: Readonly<Record<string, string>> = {
  ollama: "Ollama 0.14 or later speaks the Anthropic API; for an older one write type: openai " +
    "and base_url: <its address>/v1 instead of the preset",
  open_router: "ccp speaks OpenRouter's Anthropic API, not Chat Completions",
  deepseek: "ccp speaks DeepSeek's Anthropic API, not Chat Completions",
};

/** Names a loopback address may go by in a CCR config. */
export const LOOPBACK_NAMES: ReadonlySet<string> = new Set([
  "localhost",
  "127.0.0.1",
  "[::1]",
  "0.0.0.0",
  "host.docker.internal",
]);

/** The wire protocols a ccp provider speaks. */
export type CcpType = "openai" | "openai_responses" | "anthropic" | "gemini";

/** What one CCR transformer becomes in ccp. */
export type TransformerRule =
  /** It only says which API the endpoint speaks: `type:` for a host without a preset. */
  | { readonly kind: "type"; readonly type: CcpType }
  /** ccp does the same on its own; `why` says where. */
  | { readonly kind: "builtin"; readonly why: string }
  /**
   * Becomes model_settings keys (`options` are the transformer's options object); a `headers`
   * key holds headers for the provider as a whole.
   */
  | {
    readonly kind: "settings";
    /** What ccp does on its own when the options ask for no setting. */
    readonly why?: string;
    readonly settings: (options: Readonly<Record<string, unknown>>) => Record<string, unknown>;
  }
  /** Nothing in ccp does it; the provider is still converted, `why` goes in the notes. */
  | { readonly kind: "none"; readonly why: string }
  /** ccp cannot reach such an endpoint at all: the provider is left out. */
  | { readonly kind: "unsupported"; readonly why: string };

/** A number option, or undefined. */
function num(options: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = options[key];
  return typeof value === "number" && Number.isFinite(value) && value >= 1 ? value : undefined;
}

/** `{max_tokens: N}` becomes ccp's cap; ccp lowers Claude Code's 32k/64k to it per request. */
function maxTokens(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const cap = num(options, "max_tokens") ?? num(options, "max_completion_tokens");
  return cap === undefined ? {} : { max_output_tokens: cap };
}

/** Options sent as body fields upstream (OpenRouter's `provider` object, sampling, custom params). */
function bodyFields(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.keys(options).length === 0 ? {} : { extra_body: { ...options } };
}

/** OpenRouter's options: attribution headers, a provider order, anything else as body fields. */
function openRouter(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { referer, title, providerOrder, ...rest } = options;
  const headers = {
    ...(typeof referer === "string" ? { "HTTP-Referer": referer } : {}),
    ...(typeof title === "string" ? { "X-Title": title } : {}),
  };
  const order = Array.isArray(providerOrder) && providerOrder.length > 0
    ? { provider: { ...(rest.provider as object | undefined), order: providerOrder } }
    : {};
  const body = bodyFields({ ...rest, ...order });
  return { ...body, ...(Object.keys(headers).length > 0 ? { headers } : {}) };
}

/** Built-in transformers of CCR (its llms library), by name. */
export const TRANSFORMERS: Readonly<Record<string, TransformerRule>> = {
  anthropic: { kind: "type", type: "anthropic" },
  openai: { kind: "type", type: "openai" },
  "openai.responses": { kind: "type", type: "openai_responses" },
  gemini: { kind: "type", type: "gemini" },
  deepseek: {
    kind: "builtin",
    why: "the deepseek preset, or elsewhere ccp's translation (reasoning_content becomes thinking)",
  },
  groq: { kind: "builtin", why: "the groq preset's dialect" },
  cerebras: { kind: "builtin", why: "the cerebras preset's dialect" },
  vercel: { kind: "builtin", why: "ccp's Chat Completions translation" },
  openrouter: { kind: "settings", settings: openRouter },
  maxtoken: { kind: "settings", settings: maxTokens },
  maxcompletiontokens: {
    kind: "builtin",
    why: "ccp, which sends max_completion_tokens where a provider wants it (or refuses max_tokens)",
  },
  reasoning: {
    kind: "settings",
    // `{enable: false}` switched thinking off; otherwise it only turned reasoning into thinking.
    settings: (options) => options.enable === false ? { thinking: "off" } : {},
    why: "ccp reads reasoning_content/reasoning as thinking",
  },
  forcereasoning: {
    kind: "none",
    why: "ccp adds no think-step-by-step prompt; thinking: on in model_settings switches on a " +
      "model's own thinking",
  },
  extrathinktag: { kind: "builtin", why: "ccp turns <think> text into thinking blocks" },
  streamoptions: { kind: "builtin", why: "ccp asks for stream usage where the provider takes it" },
  sampling: { kind: "settings", settings: bodyFields },
  customparams: { kind: "settings", settings: bodyFields },
  cleancache: { kind: "builtin", why: "the anthropic presets' request cleaning" },
  enhancetool: {
    kind: "none",
    why: "ccp passes tool arguments as the model wrote them; text_tool_calls recovers calls " +
      "written as text",
  },
  tooluse: {
    kind: "none",
    why: "ccp does not force tool mode; the client's tool_choice is sent as is",
  },
  "vertex-gemini": { kind: "unsupported", why: "ccp has no Vertex AI provider" },
  "vertex-claude": { kind: "unsupported", why: "ccp has no Vertex AI provider" },
  "vertex-openai": { kind: "unsupported", why: "ccp has no Vertex AI provider" },
};

/** Where each CCR Router entry goes in ccp. */
export const ROUTER_KEYS: Readonly<Record<string, { route: string; note?: string }>> = {
  default: { route: "default" },
  // CCR sent claude-3-5-haiku (Claude Code's background model) there: ccp's haiku tier.
  background: { route: "haiku", note: "CCR's background: Claude Code's small/fast (haiku) model" },
  think: {
    route: "think",
    note: "CCR sent every request with thinking here; ccp sends those asking for much " +
      "(effort high, xhigh or max, or budget >= routing.think_budget_tokens, default 32000)",
  },
  longContext: { route: "long_context" },
  webSearch: { route: "web_search" },
  image: {
    route: "image",
    note: "ccp sends a request here when its last user message has an image",
  },
};

/** CCR's top-level keys that ccp has no use for, each with what ccp does instead. */
export const UNMAPPED_KEYS: Readonly<Record<string, string>> = {
  LOG: "ccp always logs one line per request; server.log_level sets how much",
  NON_INTERACTIVE_MODE: "ccp code runs claude as you call it; set CI=true yourself if needed",
  CUSTOM_ROUTER_PATH:
    "ccp runs no router scripts; use aliases, scenario routes or a <CCP-SUBAGENT-MODEL> tag",
  REWRITE_SYSTEM_PROMPT:
    "ccp does not replace the system prompt; transforms.system_append adds text",
  transformers:
    "ccp loads no transformer plugins; model_settings and transforms cover the usual ones",
  ANTHROPIC_SMALL_FAST_MODEL: "routes.haiku takes Claude Code's small/fast model",
  CLAUDE_PATH: "ccp code runs the claude found on PATH",
  forceUseImageAgent: "ccp sends image requests to routes.image itself",
  StatusLine: "ccp statusline is Claude Code's status line command (ccp code sets it up)",
};

/** CCR's `LOG_LEVEL` (pino levels) as ccp's server.log_level. */
export const LOG_LEVELS: Readonly<Record<string, string>> = {
  fatal: "error",
  error: "error",
  warn: "warn",
  info: "info",
  debug: "debug",
  trace: "debug",
};

/** Keys convert.ts reads itself; anything else at the top level is reported as not carried over. */
export const MAPPED_KEYS: ReadonlySet<string> = new Set([
  "Providers",
  "providers",
  "Router",
  "APIKEY",
  "HOST",
  "PORT",
  "PROXY_URL",
  "API_TIMEOUT_MS",
  "LOG_LEVEL",
]);
