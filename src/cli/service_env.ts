/**
 * What a service would miss of the shell that ran `ccp service install`: a service manager starts
 * it with an environment of its own, so variables exported only in this shell never reach it.
 */

import type { Config } from "../config/types.ts";
import { MODEL_VARIABLES } from "../config/env/mode_names.ts";
import { LITELLM_VARIABLES } from "../config/env/litellm_names.ts";
import { dirnamePath, joinPath } from "../config/paths.ts";
import type { CliFlags } from "./args.ts";

/**
 * The variables of an environment-only setup (`MODEL=...`, LiteLLM's `BIG_MODEL`, ...) that come
 * from this shell alone: set here, absent from the config dir's `.env`. A service starts with
 * an environment of its own, so it would run on the built-in default instead.
 */
export async function shellOnlySetup(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  configDir: string,
): Promise<string[]> {
  if (config.source.kind !== "env") return [];
  const dotenv = await Deno.readTextFile(joinPath(configDir, ".env")).catch(() => "");
  return [...Object.keys(MODEL_VARIABLES), ...LITELLM_VARIABLES].filter((name) =>
    env[name]?.trim() && !inDotenv(dotenv, name)
  );
}

// What a service manager gives every service itself (and the XDG dirs the unit passes on).
const SERVICE_PROVIDED: ReadonlySet<string> = new Set([
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "PATH",
  "TMPDIR",
  "LANG",
  "XDG_RUNTIME_DIR",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
]);

/**
 * The variables the config file reads through `${VAR}` that are set in this shell but in neither
 * `.env` the service reads (its working directory's, the config file's directory's): typically a
 * provider key exported in a shell profile, which the service would read as "".
 */
export async function shellOnlyReferences(
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
  configDir: string,
): Promise<string[]> {
  if (config.source.kind !== "file") return [];
  const text = await Deno.readTextFile(config.source.path).catch(() => "");
  // `$${` is a literal, not a reference.
  const names = [...text.matchAll(/(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)]
    .filter((m) => m[1] === "")
    .map((m) => m[2] as string);
  const dotenv = (
    await Promise.all(
      [configDir, dirnamePath(config.source.path)].map((dir) =>
        Deno.readTextFile(joinPath(dir, ".env")).catch(() => "")
      ),
    )
  ).join("\n");
  return [...new Set(names)].filter((name) =>
    env[name]?.trim() && !SERVICE_PROVIDED.has(name) && !inDotenv(dotenv, name)
  );
}

/** True when a `.env` text sets `name` to something. */
function inDotenv(dotenv: string, name: string): boolean {
  return new RegExp(`^[ \\t]*(?:export[ \\t]+)?${name}[ \\t]*=[ \\t]*[^\\s#]`, "m").test(dotenv);
}

/** ccp's own settings read from the environment, each with the serve flag that overrides it. */
const SETTINGS: readonly (readonly [string, keyof CliFlags | undefined])[] = [
  ["CCP_HOST", "host"],
  ["CCP_PORT", "port"],
  ["CCP_AUTH_TOKEN", undefined],
  ["CCP_LOG_LEVEL", "logLevel"],
  ["CCP_LOG_FORMAT", "logFormat"],
  ["CCP_LOG_FILE", "logFile"],
];

/**
 * ccp's settings (`CCP_PORT`, `CCP_AUTH_TOKEN`, ...) set in this shell, in no flag given to
 * install and not in the config dir's `.env`: the service would run without them (CCP_CONFIG and
 * CCP_DATA_DIR are written into the unit as flags).
 */
export async function shellOnlySettings(
  flags: CliFlags,
  env: Readonly<Record<string, string | undefined>>,
  configDir: string,
): Promise<string[]> {
  const dotenv = await Deno.readTextFile(joinPath(configDir, ".env")).catch(() => "");
  return SETTINGS.filter(([name, flag]) =>
    env[name]?.trim() && (flag === undefined || flags[flag] === undefined) &&
    !inDotenv(dotenv, name)
  ).map(([name]) => name);
}
