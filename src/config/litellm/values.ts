/**
 * LiteLLM's values as ccp writes them: `os.environ/NAME` references, secrets moved to the .env,
 * durations in seconds and deployment weights.
 */

import { literalSecret, literalText, type State } from "../ccr/text.ts";

// LiteLLM reads a value from the environment only when the whole value is `os.environ/NAME`.
const OS_ENVIRON = /^os\.environ\/([A-Za-z_][A-Za-z0-9_]*)$/;

/** `os.environ/NAME` -> `${NAME}`; anything else is a literal, moved to the .env. */
export function secretOf(value: string, stem: string, state: State): string {
  const env = OS_ENVIRON.exec(value.trim());
  if (!env) return literalSecret(value.trim(), stem, state);
  state.envRefs.add(env[1]!);
  return `\${${env[1]}}`;
}

/** A value as LiteLLM reads it: `os.environ/NAME` -> `${NAME}`, any other text as written. */
export function litellmText(value: string, state: State): string {
  const env = OS_ENVIRON.exec(value.trim());
  if (!env) return literalText(value);
  state.envRefs.add(env[1]!);
  return `\${${env[1]}}`;
}

/** A number LiteLLM took as seconds, as a ccp duration. */
export function seconds(value: unknown): string | undefined {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? `${n}s` : undefined;
}

/** A deployment's `weight`: a number above 0, else 1 (LiteLLM's default). */
export function weightOf(value: unknown): number {
  const n = typeof value === "string" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : 1;
}

/**
 * Weights as ccp writes them, whole numbers up to 1000 in the same ratio: LiteLLM also takes
 * fractions (`0.9`, `0.1`).
 */
export function wholeWeights(weights: readonly number[]): number[] {
  const max = Math.max(...weights);
  if (weights.every((w) => Number.isInteger(w)) && max <= 1000) return [...weights];
  return weights.map((w) => Math.max(1, Math.round((w * 1000) / max)));
}
