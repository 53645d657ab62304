/**
 * How the user moves a provider's address, said where nothing listens at it: the words depend on
 * where that address was read from, since a setup without a config file has no base_url to fix.
 */

import type { Preset } from "../providers/catalog.ts";

/** Without a config file: the preset's variable, the one place its address is read from. */
export function envAddressFix(preset: Preset): string | undefined {
  return preset.baseUrlEnv ? `set ${preset.baseUrlEnv} to where it listens` : undefined;
}

/**
 * A provider of the config file: its base_url, and the variable that base_url reads when it reads
 * one (`${OLLAMA_BASE_URL:-...}`, as `ccp init` writes for a local server).
 */
export function fileAddressFix(id: string, rawBaseUrl: unknown): string {
  const key = `providers.${id}.base_url`;
  const variable = typeof rawBaseUrl === "string"
    ? /\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(rawBaseUrl)?.[1]
    : undefined;
  return variable
    ? `set ${variable} (which ${key} in the config file reads) to where it listens`
    : `fix ${key} in the config file`;
}

/** A local preset a config file's route names without an entry: the entry that would move it. */
export function implicitAddressFix(id: string): string {
  return `add a providers.${id} entry with preset: ${id} and its base_url to the config file`;
}
