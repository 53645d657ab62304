/**
 * How the user moves a provider's address, said where nothing listens at it, and where that
 * address is written, said where its scheme or port is the wrong one: the words depend on where
 * the address was read from, since a setup without a config file has no base_url to fix.
 */

import type { Preset } from "../providers/catalog.ts";

/** Without a config file: the preset's variable, the one place its address is read from. */
export function envAddressFix(preset: Preset): string | undefined {
  return preset.baseUrlEnv ? `set ${preset.baseUrlEnv} to where it listens` : undefined;
}

/** Where a setup without a config file writes the address: the preset's variable. */
export function envAddressAt(preset: Preset): string | undefined {
  return preset.baseUrlEnv;
}

/** The variable a config file's raw base_url reads (`${OLLAMA_BASE_URL:-...}`), if any. */
function variableOf(rawBaseUrl: unknown): string | undefined {
  return typeof rawBaseUrl === "string"
    ? /\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(rawBaseUrl)?.[1]
    : undefined;
}

/**
 * A provider of the config file: its base_url, and the variable that base_url reads when it reads
 * one (`${OLLAMA_BASE_URL:-...}`, as `ccp init` writes for a local server).
 */
export function fileAddressFix(id: string, rawBaseUrl: unknown): string {
  const key = `providers.${id}.base_url`;
  const variable = variableOf(rawBaseUrl);
  return variable
    ? `set ${variable} (which ${key} in the config file reads) to where it listens`
    : `fix ${key} in the config file`;
}

/** A local preset a config file's route names without an entry: the entry that would move it. */
export function implicitAddressFix(id: string): string {
  return `add a providers.${id} entry with preset: ${id} and its base_url to the config file`;
}

/** Where a provider of the config file writes its address: its base_url, or the variable read. */
export function fileAddressAt(id: string, rawBaseUrl: unknown): string {
  const key = `providers.${id}.base_url`;
  const variable = variableOf(rawBaseUrl);
  return variable
    ? `${variable} (which ${key} in the config file reads)`
    : `${key} in the config file`;
}

/** Where the address of a local preset a route names without an entry would be written. */
export function implicitAddressAt(id: string): string {
  return `the base_url of a providers.${id} entry with preset: ${id} in the config file`;
}
