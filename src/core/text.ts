/** Small text helpers shared by error messages. */

/** Upper-cases the first character. */
export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Names a target for messages: `provider "nim" (model z-ai/glm4.7)`. */
export function describeTarget(provider: string, model: string): string {
  return `provider "${provider}" (model ${model})`;
}

/** The subject of a translator's error message: `Upstream provider "nim" (model z-ai/glm4.7)`. */
export function upstreamWho(options: { provider: string; upstreamModel: string }): string {
  return `Upstream ${describeTarget(options.provider, options.upstreamModel)}`;
}

/** `A`, `A and B`, `A, B and C`. */
export function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * `text` with control characters written as `\xNN`, for a name a client chose (a model) shown on
 * a terminal or in one line: a line break would forge a row, an escape sequence would recolour or
 * rewrite the operator's screen.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
