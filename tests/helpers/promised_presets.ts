/**
 * The presets ccp promises, by the wire protocol each speaks: the catalog's own test checks that
 * it has exactly these, and tests/spec that each speaks its protocol at its path.
 */
export const PROMISED_PRESETS: Readonly<Record<string, readonly string[]>> = {
  openai: [
    "nvidia_nim",
    "groq",
    "cerebras",
    "together",
    "kimi",
    "openai",
    "mistral",
    "xai",
    "openai_compatible",
  ],
  anthropic: [
    "anthropic",
    "open_router",
    "deepseek",
    "lmstudio",
    "llamacpp",
    "ollama",
    "friendliai",
    "fireworks",
    "vllm",
    "cliproxyapi",
    "zai",
    "zhipu",
    "minimax",
    "moonshot_anthropic",
  ],
  openai_responses: ["openai_responses"],
  gemini: ["gemini"],
};
