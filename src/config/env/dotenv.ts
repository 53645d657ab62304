/**
 * Reads `.env` files (config dir, config file's directory, working directory) into an env map;
 * never touches Deno.env.
 */

import { ConfigError, messageOf } from "../../core/errors.ts";
import type { EnvMap } from "./map.ts";
import { joinPath } from "../paths.ts";
import { readTextCapped } from "../read_capped.ts";

/**
 * Parses one `.env` file's text (npm dotenv rules: quotes, `#` comments, `export` prefix). The
 * library is loaded on first need: it pulls in Node's fs, os and crypto layers (~15 ms of every
 * start), and most runs have no `.env` file.
 */
export async function parseDotenv(text: string): Promise<Record<string, string>> {
  const { parse } = await import("dotenv");
  return parse(text);
}

/** Reads and parses `path`; a missing file is an empty map, any other failure a ConfigError. */
export async function readDotenvFile(path: string): Promise<Record<string, string>> {
  try {
    return await parseDotenv(await readTextCapped(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    const reason = messageOf(err);
    throw new ConfigError(`${path}: cannot read this .env file: ${reason}`);
  }
}

/**
 * Merges the layers, lowest first: the config dir's `.env`, then `./.env`, then the real
 * environment (the real environment wins over both files).
 */
export function mergeEnv(
  real: EnvMap,
  cwdFile: Readonly<Record<string, string>>,
  configDirFile: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const merged: Record<string, string> = { ...configDirFile, ...cwdFile };
  for (const [name, value] of Object.entries(real)) {
    if (value !== undefined) merged[name] = value;
  }
  return merged;
}

/**
 * Reads the `.env` files and returns the merged env map: the config dir's (which may be unknown),
 * then the config file's directory's when that is another one, then `./.env`, each file winning
 * over the ones before it, and the real environment over all of them.
 */
export async function loadEnvWithDotenv(opts: {
  env: EnvMap;
  cwd: string;
  configDir?: string;
  fileDir?: string;
}): Promise<Record<string, string>> {
  const cwdFile = await readDotenvFile(joinPath(opts.cwd, ".env"));
  // A directory that is the working directory (or named twice) has its file read once.
  const dirs = [...new Set([opts.configDir, opts.fileDir])].filter((dir): dir is string =>
    dir !== undefined && dir !== opts.cwd
  );
  let dirFiles: Record<string, string> = {};
  for (const dir of dirs) {
    dirFiles = { ...dirFiles, ...await readDotenvFile(joinPath(dir, ".env")) };
  }
  return mergeEnv(opts.env, cwdFile, dirFiles);
}

// The proxy variables as Deno's fetch and curl read them: upper or lower case, nothing between.
const PROXY_VARIABLE = /^(?:(?:HTTPS?|ALL|NO)_PROXY|(?:https?|all|no)_proxy)$/;

/**
 * The proxy variables `merged` took from a `.env` file (the process environment has no variable
 * of that name), or undefined when there are none. Deno's fetch reads only the process
 * environment, so ccp applies these itself.
 */
export function dotenvProxies(
  real: EnvMap,
  merged: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  const found = Object.entries(merged).filter(([name]) =>
    PROXY_VARIABLE.test(name) && real[name] === undefined
  );
  return found.length > 0 ? Object.fromEntries(found) : undefined;
}
