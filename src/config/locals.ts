/** The local presets that exist without configuration. */

import { findPreset, LOCAL_PRESET_IDS } from "../providers/catalog.ts";
import { ConfigError } from "../core/errors.ts";
import type { ProviderConfig } from "./types.ts";
import type { ProviderDefaultsSection, ProviderSection } from "./schema/config.ts";
import { buildProvider } from "./provider_build.ts";

/**
 * Builds every local preset not in `skip` as an implicit provider. `ownFor` supplies per-preset
 * overrides (environment-only mode reads OLLAMA_BASE_URL and friends; YAML mode passes none).
 */
export function implicitLocalProviders(opts: {
  skip: ReadonlySet<string>;
  defaults?: ProviderDefaultsSection;
  ownFor?: (id: string) => ProviderSection;
  /** Names where an override came from, for errors (e.g. a malformed OLLAMA_BASE_URL). */
  describe?: (id: string, key: string) => string;
}): ProviderConfig[] {
  const out: ProviderConfig[] = [];
  for (const id of LOCAL_PRESET_IDS) {
    if (opts.skip.has(id)) continue;
    const preset = findPreset(id);
    const built = buildProvider({
      id,
      preset,
      defaults: opts.defaults,
      own: opts.ownFor?.(id) ?? {},
      implicit: true,
    });
    if (!built.provider) {
      const where = (key: string) => opts.describe?.(id, key) ?? `${id}.${key}`;
      throw new ConfigError(built.problems.map((p) => `${where(p.key)}: ${p.message}`).join("\n"));
    }
    out.push(built.provider);
  }
  return out;
}
