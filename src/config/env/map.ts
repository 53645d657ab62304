/** The environment as a plain map, and the two ways config code reads values from it. */

/** Environment variables by name; `undefined` and absent mean the same. */
export type EnvMap = Readonly<Record<string, string | undefined>>;

/** Returns the variable's trimmed value, or undefined when it is unset or blank. */
export function envValue(env: EnvMap, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Splits a key list written as `k1,k2`, `k1 k2` or one per line, dropping blanks. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((part) => part !== "");
}

/** Removes duplicates while keeping first-seen order (key rotation order matters). */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
