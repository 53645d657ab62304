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

/**
 * Characters that change how a terminal shows what follows them: C0 and C1 controls, and the
 * bidirectional overrides, embeddings, isolates and marks, which a terminal with bidi support
 * (GNOME Terminal, Konsole) obeys: a right-to-left override in a model name would draw the rest
 * of its row backwards, its numbers included (`12` as `21`).
 */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNSHOWN = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `c` written as an escape: `\xNN` for a control character, `\uNNNN` for a bidi one. */
function escapedChar(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` with control and bidi characters written as escapes, for a name a client chose (a model)
 * shown on a terminal or in one line: a line break would forge a row, an escape sequence would
 * recolour or rewrite the operator's screen, a bidi override would reverse what follows.
 */
export function printable(text: string): string {
  return text.replace(UNSHOWN, escapedChar);
}

/** `text` as {@link printable} writes it, but with its line breaks kept (a log's message). */
export function printableLines(text: string): string {
  return text.replace(UNSHOWN, escapedUnlessBreak);
}

function escapedUnlessBreak(c: string): string {
  return c === "\n" ? c : escapedChar(c);
}
