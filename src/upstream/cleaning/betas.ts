/** `anthropic-beta` rules: some endpoints answer 400 "Unexpected value(s) ... for the anthropic-beta header". */

import type { BetaRule } from "./types.ts";

function keepWhere(test: (beta: string) => boolean): BetaRule {
  return (betas) => (betas.every(test) ? betas : betas.filter(test));
}

/** Removes the named betas, keeping every other one. */
export function dropBetas(names: readonly string[]): BetaRule {
  const dropped = new Set(names);
  return keepWhere((beta) => !dropped.has(beta));
}

/** Keeps only the named betas (an allow-list; every other value is removed). */
export function keepOnlyBetas(names: readonly string[]): BetaRule {
  const kept = new Set(names);
  return keepWhere((beta) => kept.has(beta));
}

/** Splits an `anthropic-beta` header value into its comma-separated names. */
export function parseBetas(value: string | null): string[] {
  if (!value) return [];
  return value.split(",").map((beta) => beta.trim()).filter((beta) => beta !== "");
}
