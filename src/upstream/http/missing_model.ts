/**
 * A 404 about the model, in the words of the servers whose words do not say what to do: Ollama's
 * "model 'x' not found" means it was never pulled, and NVIDIA NIM, which serves each model as a
 * "function", answers a model name it does not serve to this key with "Function '<id>': Not found
 * for account '<id>'", which names neither the model nor the fix. Claude Code hides every 404
 * behind "There's an issue with the selected model": the advice goes into ccp's message and log.
 */

import type { ProviderConfig } from "../../config/types.ts";

/** NIM's wording for a model it does not serve to this account. */
const NIM_FUNCTION_NOT_FOUND = /Function '[^']*': Not found for account/i;

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
  if (NIM_FUNCTION_NOT_FOUND.test(bodyText)) {
    // Short: the ids before it are long, and log lines keep about 300 characters.
    return `NVIDIA NIM serves no model "${model}" to this key: check its name on build.nvidia.com`;
  }
  if (provider.preset === "ollama" && /model\b.*\bnot found/i.test(bodyText)) {
    return `this Ollama does not have it: run \`ollama pull ${model}\`, or route to a model ` +
      "that `ollama list` shows";
  }
  return undefined;
}
