/** What `ccp init --from litellm` knows of LiteLLM's proxy config.yaml, as data. */

/**
 * LiteLLM's provider prefix (`openai/gpt-4o`) -> the ccp preset that serves the same API. LiteLLM
 * spoke each one's own or the OpenAI API; where the preset speaks another (OpenRouter, DeepSeek,
 * local servers), the comment on the provider says so.
 */
export const PREFIX_PRESETS: Readonly<Record<string, string>> = {
  openai: "openai",
  text_completion_openai: "openai",
  anthropic: "anthropic",
  gemini: "gemini",
  openrouter: "open_router",
  deepseek: "deepseek",
  groq: "groq",
  cerebras: "cerebras",
  together_ai: "together",
  fireworks_ai: "fireworks",
  mistral: "mistral",
  xai: "xai",
  nvidia_nim: "nvidia_nim",
  moonshot: "kimi",
  zai: "zai",
  ollama: "ollama",
  ollama_chat: "ollama",
  hosted_vllm: "vllm",
  vllm: "vllm",
  lm_studio: "lmstudio",
};

/** Model names LiteLLM sends to a provider without a prefix. */
export const BARE_MODELS: ReadonlyArray<{ readonly pattern: RegExp; readonly preset: string }> = [
  { pattern: /^(gpt-|o\d|chatgpt-)/, preset: "openai" },
  { pattern: /^claude-/, preset: "anthropic" },
];

/** `litellm_params` carried into `model_settings.extra_body` (LiteLLM sent them on every call). */
export const BODY_PARAMS = [
  "temperature",
  "top_p",
  "top_k",
  "presence_penalty",
  "frequency_penalty",
];

/** `litellm_params` read elsewhere, or that ask for nothing ccp must do. */
export const READ_PARAMS = new Set([
  "model",
  "api_base",
  "base_url",
  "api_key",
  "max_tokens",
  "rpm",
  "extra_headers",
  "headers",
  "reasoning_effort",
  "weight",
  ...BODY_PARAMS,
]);

/** Settings ccp does otherwise, by `section.key`: what it does instead. */
export const INSTEAD: Readonly<Record<string, string>> = {
  "router_settings.cooldown_time": "ccp cools down a failing key or target by the upstream's " +
    "Retry-After, else its own backoff",
  "router_settings.allowed_fails": "ccp's circuit breaker takes a failing target out by itself",
  "router_settings.context_window_fallbacks": "a long_context route takes requests over " +
    "routing.long_context_threshold input tokens before they fail",
  "litellm_settings.context_window_fallbacks": "a long_context route takes requests over " +
    "routing.long_context_threshold input tokens before they fail",
  "litellm_settings.drop_params": "ccp removes what each provider refuses by itself",
  "litellm_settings.cache": "ccp caches no answers",
  "litellm_settings.callbacks": "ccp's usage ledger and /metrics record every request",
  "litellm_settings.success_callback": "ccp's usage ledger and /metrics record every request",
  "litellm_settings.failure_callback": "ccp's usage ledger and /metrics record every request",
  "general_settings.database_url": "ccp keeps its usage ledger under --data-dir",
  "environment_variables": "set them in the .env beside the config",
};

/** Keys each section has that the converter reads. */
export const READ_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  router_settings: new Set(["fallbacks", "num_retries", "timeout", "routing_strategy"]),
  litellm_settings: new Set(["fallbacks", "num_retries", "request_timeout"]),
  general_settings: new Set(["master_key"]),
};
