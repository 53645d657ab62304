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
