/** The local presets that exist without configuration. */

import { findPreset, LOCAL_PRESET_IDS } from "../providers/catalog.ts";
import { ConfigError } from "../core/errors.ts";
import type { ProviderConfig } from "./types.ts";
import type { ProviderDefaultsSection } from "./schema/config.ts";
import { buildProvider } from "./provider_build.ts";
import { implicitAddressAt, implicitAddressFix } from "./address_fix.ts";

/**
 * Builds every local preset not in `skip` as an implicit provider: the preset under the YAML's
 * provider_defaults, with nothing of its own (environment-only mode builds its locals itself).
 */
export function implicitLocalProviders(opts: {
  skip: ReadonlySet<string>;
  defaults?: ProviderDefaultsSection;
  /** Where a key of provider_defaults was written, for errors (only those can fail here). */
  describe: (key: string) => string;
}): ProviderConfig[] {
  const out: ProviderConfig[] = [];
  for (const id of LOCAL_PRESET_IDS) {
    if (opts.skip.has(id)) continue;
    const preset = findPreset(id);
    const built = buildProvider({
      id,
      preset,
      defaults: opts.defaults,
      own: {},
      implicit: true,
    });
    if (!built.provider) {
      const lines = built.problems.map((p) => `${opts.describe(p.key)}: ${p.message}`);
      throw new ConfigError(lines.join("\n"));
    }
    // With a config file a preset's key variable is not read by itself: a server started with a
    // key (vLLM's --api-key) needs an entry, which its 401 names.
    const value = preset?.keyEnv ? ` \${${preset.keyEnv}}` : "";
    out.push({
      ...built.provider,
      missingKey:
        `a providers.${id} entry with preset: ${id} and api_key:${value} in the config file`,
      // The preset's address variable is not read either: the entry is the way to move it.
      addressFix: implicitAddressFix(id),
      addressAt: implicitAddressAt(id),
    });
  }
  return out;
}
