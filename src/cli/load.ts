/** Loads the config for a command from its flags and the context's environment. */

import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/types.ts";
import type { CliFlags } from "./args.ts";
import type { CliContext } from "./context.ts";
import { useDotenvProxies } from "../upstream/http/clients.ts";

/** Runs loadConfig with flags > CCP_* > file > defaults; throws ConfigError on any problem. */
export async function loadCliConfig(ctx: CliContext, flags: CliFlags): Promise<Config> {
  const config = await loadConfig({
    flags: {
      config: flags.config,
      host: flags.host,
      port: flags.port,
      logLevel: flags.logLevel,
      dataDir: flags.dataDir,
      logFormat: flags.logFormat,
      logFile: flags.logFile,
    },
    env: ctx.env,
    cwd: ctx.cwd,
    ...(ctx.home !== undefined ? { home: ctx.home } : {}),
  });
  // Every command that reaches a provider or ccp itself goes the way these say, as for the
  // process environment's own proxy variables.
  useDotenvProxies(config.dotenvProxies);
  return config;
}
