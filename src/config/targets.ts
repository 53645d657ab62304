/** Route and alias targets: "provider/model" split at the first "/", checked against known providers. */

import { LOCAL_PRESET_IDS, PRESET_IDS } from "../providers/catalog.ts";
import type { Target } from "./types.ts";
import { didYouMean } from "./suggest.ts";

/**
 * Splits "nim/z-ai/glm4.7" into provider "nim" and model "z-ai/glm4.7" ("anthropic/*": the
 * client's model), or says what is wrong.
 */
export function parseTarget(
  text: string,
  example = "ollama/qwen3-coder",
): Target | { message: string } {
  const trimmed = text.trim();
  const slash = trimmed.indexOf("/");
  if (slash < 0) {
    return { message: `${JSON.stringify(text)} is not provider/model (e.g. "${example}")` };
  }
  const provider = trimmed.slice(0, slash);
  const model = trimmed.slice(slash + 1);
  if (provider === "") return { message: `${JSON.stringify(text)} has no provider before "/"` };
  if (model === "") return { message: `${JSON.stringify(text)} has no model name after "/"` };
  // `provider/*`: the client's own model name goes upstream (Claude Code's names to Anthropic, as
  // gateways that pass names through do), decided per request when the route is resolved.
  if (model === "*") return { provider, model, clientModel: true };
  return { provider, model };
}

/** What a target may point at: configured ids (in file order, for messages) and every usable id. */
export interface KnownProviders {
  readonly configured: readonly string[];
  readonly usable: ReadonlySet<string>;
}

/** The message for a target whose provider is not known, with the hints that help fix it. */
function unknownProviderMessage(id: string, known: KnownProviders): string {
  const list = known.configured.length > 0 ? known.configured.join(", ") : "none";
  let message = `unknown provider "${id}" (known: ${list})`;
  const hint = didYouMean(id, known.usable);
  if (hint) message += `; ${hint}`;
  else if (PRESET_IDS.includes(id)) {
    message += `; to use the ${id} preset add providers.${id} with preset: ${id}`;
  }
  return `${message}; local presets ${LOCAL_PRESET_IDS.join(", ")} need no providers entry`;
}

/** Checks one target against the known providers. */
export function checkTarget(text: string, known: KnownProviders): Target | { message: string } {
  const parsed = parseTarget(text);
  if ("message" in parsed) return parsed;
  if (!known.usable.has(parsed.provider)) {
    return { message: unknownProviderMessage(parsed.provider, known) };
  }
  return parsed;
}
