/**
 * A model name that looks like an explicit `provider/model` with a misspelt provider. Such a name
 * is not an error (it goes by its tier or the default route, as the resolution rules say), but
 * the answer then comes from another model than the one the user meant, so ccp says so once.
 */

import type { Config } from "../config/types.ts";
import { closest } from "../config/suggest.ts";
import { PRESET_IDS } from "../providers/catalog.ts";
import type { Resolution } from "./resolve.ts";

// Rules that a name with a configured provider would have beaten: only then was one missed.
const FALLBACK_RULES: ReadonlySet<Resolution["rule"]> = new Set(["tier", "default", "scenario"]);

/**
 * What to tell the user when `model` (which went by a fallback rule) names a provider that is not
 * configured but is close to one that is, or to a catalog preset; undefined for names that are no
 * such typo (`claude-opus-5-5`, `meta-llama/x`).
 */
export function mistypedProviderNote(
  model: string,
  resolution: Resolution,
  config: Config,
): string | undefined {
  if (!FALLBACK_RULES.has(resolution.rule)) return undefined;
  const slash = model.indexOf("/");
  if (slash <= 0) return undefined;
  const written = model.slice(0, slash);
  const meant = closest(written, [...Object.keys(config.providers), ...PRESET_IDS]);
  if (meant === undefined || meant === written) return undefined;
  return `Model "${model}": no provider "${written}" is configured (did you mean "${meant}"?), ` +
    `so it went by the ${resolution.route} route`;
}
