/**
 * A 404 about the model, in the words of the servers whose words do not say what to do: Ollama's
 * "model 'x' not found" means it was never pulled; LM Studio's `model_not_found` ("No models
 * loaded", or a name it has no model for) means the model is not loaded there; and NVIDIA NIM,
 * which serves each model as a "function", answers a model name it does not serve to this key
 * with "Function '<id>': Not found for account '<id>'", which names neither the model nor the fix.
 * Claude Code hides every 404 behind "There's an issue with the selected model (claude-...)",
 * which names its own model: such a 404 reaches it as a 400 whose message says what to do.
 */

import type { ProviderConfig } from "../../config/types.ts";

/** NIM's wording for a model it does not serve to this account. */
const NIM_FUNCTION_NOT_FOUND = /Function '[^']*': Not found for account/i;

/** One server's words for a model it does not have, and what to do about it. */
interface MissingModel {
  /** The preset whose server says it; undefined: any server. */
  readonly preset?: string;
  readonly words: RegExp;
  readonly advice: (model: string) => string;
}

// Short: the ids before the advice are long, and log lines keep about 300 characters.
const MISSING: readonly MissingModel[] = [
  {
    words: NIM_FUNCTION_NOT_FOUND,
    advice: (model) =>
      `NVIDIA NIM serves no model "${model}" to this key: check its name on build.nvidia.com`,
  },
  {
    preset: "ollama",
    words: /model\b.*\bnot found/i,
    advice: (model) =>
      `this Ollama does not have it: run \`ollama pull ${model}\`, or route to a model that ` +
      "`ollama list` shows",
  },
  {
    // Its OpenAI-style error's code, on the Anthropic endpoint as on the others.
    preset: "lmstudio",
    words: /model_not_found|no models loaded/i,
    advice: (model) =>
      `LM Studio has no model "${model}" loaded: load it (\`lms load ${model}\`), or name one ` +
      "that `lms ps` shows",
  },
];

/** True when a 404's body is about the model, though it may not name it. */
export function namesMissingModel(bodyText: string): boolean {
  return NIM_FUNCTION_NOT_FOUND.test(bodyText);
}

/** What to do about a 404 for `model` that the server words without a fix; else undefined. */
export function missingModelAdvice(
  provider: ProviderConfig,
  model: string,
  status: number,
  bodyText: string,
): string | undefined {
  if (status !== 404) return undefined;
  const known = MISSING.find((m) =>
    (m.preset === undefined || m.preset === provider.preset) && m.words.test(bodyText)
  );
  return known?.advice(model);
}
