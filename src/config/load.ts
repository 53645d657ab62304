/** Loads the configuration: finds the file, reads `.env` files, picks YAML, env-only or default mode. */

import { ConfigError, messageOf } from "../core/errors.ts";
import type { Config } from "./types.ts";
import { dotenvProxies, loadEnvWithDotenv, mergeEnv, readDotenvFile } from "./env/dotenv.ts";
import type { EnvMap } from "./env/map.ts";
import { configFromTree } from "./from_tree.ts";
import { dirnamePath, joinPath } from "./paths.ts";
import { deepFreeze } from "./freeze.ts";
import { readTextCapped } from "./read_capped.ts";
import { defaultCacheDir, defaultConfigDir, findConfigFile, homeDir } from "./search.ts";
import { configTree } from "./tree_cache.ts";
import { lazyImport } from "../core/lazy_modules.ts";
import type { ServerFlags } from "./server.ts";
import { buildTracing } from "./tracing.ts";

/** Flags that affect loading (the common flags of every command). */
export interface LoadFlags extends ServerFlags {
  readonly config?: string;
}

/** What loadConfig needs; the caller passes Deno.env.toObject() and Deno.cwd(). */
export interface LoadOptions {
  readonly flags: LoadFlags;
  readonly env: EnvMap;
  readonly cwd: string;
  readonly home?: string;
}

/** Finds, reads and validates the configuration; throws ConfigError on any problem. */
export async function loadConfig(opts: LoadOptions): Promise<Config> {
  // ./.env may name CCP_CONFIG or XDG_CONFIG_HOME, so it takes part in the search itself.
  const searchEnv = mergeEnv(opts.env, await readDotenvFile(joinPath(opts.cwd, ".env")));
  const found = await findConfigFile({
    flag: opts.flags.config,
    env: searchEnv,
    cwd: opts.cwd,
    home: opts.home,
  });
  // The config dir's `.env` (where `ccp init` writes it) is read whichever file is in use; a file
  // elsewhere (`--config /etc/ccp/config.yaml`) brings the `.env` beside it too.
  const env = await loadEnvWithDotenv({
    env: opts.env,
    cwd: opts.cwd,
    configDir: defaultConfigDir(searchEnv, opts.home),
    ...(found ? { fileDir: dirnamePath(found.absolutePath) } : {}),
  });
  const config = withEnvTracing(await configFound(found, env, opts), env);
  const proxies = dotenvProxies(opts.env, env);
  return proxies ? deepFreeze({ ...config, dotenvProxies: proxies }) : config;
}

/** Without a config file, the `OTEL_*` variables alone turn tracing on. */
function withEnvTracing(config: Config, env: Record<string, string>): Config {
  if (config.source.kind === "file") return config;
  const { tracing, warnings } = buildTracing(undefined, env);
  if (!tracing && warnings.length === 0) return config;
  return deepFreeze({
    ...config,
    ...(tracing ? { tracing } : {}),
    warnings: [...config.warnings, ...warnings],
  });
}

/** The Config from the file found (or from `env` alone without one). */
async function configFound(
  found: Awaited<ReturnType<typeof findConfigFile>>,
  env: Record<string, string>,
  opts: LoadOptions,
): Promise<Config> {
  const flags = {
    ...opts.flags,
    cwd: opts.cwd,
    ...(opts.home !== undefined ? { home: opts.home } : {}),
  };
  if (!found) {
    const { configWithoutFileFound } = await lazyImport("config/without_file.ts");
    return await configWithoutFileFound({ flags, env, home: homeDir(env, opts.home) });
  }

  let text: string;
  try {
    text = await readTextCapped(found.absolutePath);
  } catch (err) {
    const reason = messageOf(err);
    throw new ConfigError(`${found.path}: cannot read the config file: ${reason}`);
  }
  const tree = await configTree(text, found.path, defaultCacheDir(env, opts.home));
  return configFromTree({ text, file: found.path, path: found.absolutePath, env, flags, tree });
}
