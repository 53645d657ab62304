/** Where ccp looks for its config file and where `ccp init` writes one. */

import { ConfigError } from "../core/errors.ts";
import { type EnvMap, envValue } from "./env/map.ts";
import { isAbsolutePath, joinPath, resolvePath } from "./paths.ts";

/** How a config file was found, strongest first. */
export type ConfigOrigin = "flag" | "env" | "cwd" | "xdg";

/** One place to look; `required` ones must exist. */
export interface ConfigCandidate {
  /** The path as the user gave it, or as ccp built it: used in messages. */
  readonly path: string;
  /** The same path made absolute against the working directory: used to read. */
  readonly absolutePath: string;
  readonly origin: ConfigOrigin;
  readonly required: boolean;
}

/** Inputs of the search; `isFile` is injectable so tests need no files. */
export interface SearchOptions {
  readonly flag?: string;
  readonly env: EnvMap;
  readonly cwd: string;
  readonly home?: string;
  readonly isFile?: (path: string) => Promise<"file" | "dir" | "missing">;
}

/** The user's home directory from the options or the usual variables, if known. */
export function homeDir(env: EnvMap, home?: string): string | undefined {
  return home ?? envValue(env, "HOME") ?? envValue(env, "USERPROFILE");
}

/** `$XDG_CONFIG_HOME/ccp`, else `~/.config/ccp`; undefined when no home is known. */
export function defaultConfigDir(env: EnvMap, home?: string): string | undefined {
  const xdg = envValue(env, "XDG_CONFIG_HOME");
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg !== undefined && isAbsolutePath(xdg)) return joinPath(xdg, "ccp");
  const base = homeDir(env, home);
  return base === undefined ? undefined : joinPath(base, ".config", "ccp");
}

/** `$XDG_CACHE_HOME/ccp`, else `~/.cache/ccp`: what ccp keeps only to start faster. */
export function defaultCacheDir(env: EnvMap, home?: string): string | undefined {
  const xdg = envValue(env, "XDG_CACHE_HOME");
  if (xdg !== undefined && isAbsolutePath(xdg)) return joinPath(xdg, "ccp");
  const base = homeDir(env, home);
  return base === undefined ? undefined : joinPath(base, ".cache", "ccp");
}

/** The ordered list of places to look: `--config`, `$CCP_CONFIG`, `./ccp.yaml`, the config dir. */
export function configCandidates(opts: SearchOptions): ConfigCandidate[] {
  const make = (path: string, origin: ConfigOrigin, required: boolean): ConfigCandidate => ({
    path,
    absolutePath: resolvePath(opts.cwd, path),
    origin,
    required,
  });
  const out: ConfigCandidate[] = [];
  if (opts.flag !== undefined && opts.flag.trim() !== "") out.push(make(opts.flag, "flag", true));
  const fromEnv = envValue(opts.env, "CCP_CONFIG");
  if (fromEnv !== undefined) out.push(make(fromEnv, "env", true));
  out.push(make(joinPath(opts.cwd, "ccp.yaml"), "cwd", false));
  const dir = defaultConfigDir(opts.env, opts.home);
  if (dir !== undefined) out.push(make(joinPath(dir, "config.yaml"), "xdg", false));
  return out;
}

/** Classifies a path with Deno.stat. */
async function statKind(path: string): Promise<"file" | "dir" | "missing"> {
  try {
    return (await Deno.stat(path)).isDirectory ? "dir" : "file";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return "missing";
    throw err;
  }
}

const NAMED_BY: Readonly<Record<ConfigOrigin, string>> = {
  flag: "--config",
  env: "CCP_CONFIG",
  cwd: "./ccp.yaml",
  xdg: "the config dir",
};

/**
 * Returns the first config file that exists, or undefined (environment-only mode). A file named by
 * `--config` or `$CCP_CONFIG` must exist: the search stops there instead of falling through.
 */
export async function findConfigFile(opts: SearchOptions): Promise<ConfigCandidate | undefined> {
  const isFile = opts.isFile ?? statKind;
  for (const candidate of configCandidates(opts)) {
    const kind = await isFile(candidate.absolutePath);
    if (kind === "file") return candidate;
    if (!candidate.required) continue;
    const what = kind === "dir" ? "is a directory, not a file" : "does not exist";
    throw new ConfigError(
      `${candidate.path}: config file named by ${NAMED_BY[candidate.origin]} ${what}`,
    );
  }
  return undefined;
}
