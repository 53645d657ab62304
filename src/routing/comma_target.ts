/**
 * claude-code-router's way of naming a target, `provider,model`: what its users type in Claude
 * Code's `/model` and write in their agents' `<CCR-SUBAGENT-MODEL>` tags. Read as ccp's
 * `provider/model`, so a setup moved over from it keeps choosing what it chose.
 */

import type { Target } from "../config/types.ts";

/** A provider name as `ccp init --from ccr` turns it into an id, in lower case. */
function idOf(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9_.-]/g, "_").toLowerCase();
}

/** The part before the first comma, when the name has one with a model after it. */
export function commaProvider(name: string): string | undefined {
  const comma = name.indexOf(",");
  if (comma <= 0 || name.slice(comma + 1).trim() === "") return undefined;
  return name.slice(0, comma).trim();
}

/**
 * The target `provider,model` names, or undefined when `name` has no comma or no configured
 * provider before it. The provider matches as claude-code-router matched it, whatever its case,
 * and as its converted id (`My Provider` -> `my_provider`); the model is everything after the
 * comma (it may hold `/` and further commas).
 */
export function commaTarget(
  name: string,
  providers: Readonly<Record<string, unknown>>,
): Target | undefined {
  const written = commaProvider(name);
  if (written === undefined) return undefined;
  const wanted = idOf(written);
  const provider = Object.keys(providers).find((id) => id.toLowerCase() === wanted);
  if (provider === undefined) return undefined;
  return { provider, model: name.slice(name.indexOf(",") + 1).trim() };
}
