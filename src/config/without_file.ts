/**
 * The Config when no config file is found: environment-only mode or the embedded default. Loaded
 * only then, so a start from a config file does not load the environment modes' code.
 */

import type { Config } from "./types.ts";
import { defaultConfig } from "./default.ts";
import type { EnvMap } from "./env/map.ts";
import { configFromLiteLLMEnv, usesLiteLLMEnv } from "./env/litellm.ts";
import { configFromEnv, usesEnvMode } from "./env/mode.ts";
import { peerFileWarnings } from "./peer_files.ts";
import { deepFreeze } from "./freeze.ts";
import type { LoadFlags } from "./load.ts";

/**
 * The Config when no file is in use: environment-only mode when a MODEL* variable is set
 * (free-claude-code style), else when BIG_MODEL, SMALL_MODEL or PREFERRED_PROVIDER is (LiteLLM
 * style), else the embedded default. Pure: no file or env access.
 */
export function configWithoutFile(input: { flags: LoadFlags; env: EnvMap }): Config {
  const { flags, env } = input;
  if (usesEnvMode(env)) return configFromEnv({ env, flags });
  if (usesLiteLLMEnv(env)) return configFromLiteLLMEnv({ env, flags });
  return defaultConfig({ env, flags });
}

/**
 * {@link configWithoutFile} for a start that found no file: on the embedded default, it also names
 * the peers' config files found under `home`.
 */
export async function configWithoutFileFound(input: {
  flags: LoadFlags;
  env: EnvMap;
  home: string | undefined;
}): Promise<Config> {
  const config = configWithoutFile(input);
  if (config.source.kind !== "default") return config;
  const peers = await peerFileWarnings(input.home);
  return peers.length === 0
    ? config
    : deepFreeze({ ...config, warnings: [...config.warnings, ...peers] });
}
