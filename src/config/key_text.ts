/**
 * What is wrong with the text of an API key, when something is: keys are plain printable ASCII,
 * and the usual slips of a first setup are quotes kept around the key (docker's --env-file and
 * YAML inside YAML keep them), the examples' placeholder `nvapi-...` pasted as it is, `Bearer `
 * kept before the key, several keys separated by spaces, and an invisible character copied along
 * with the key. fetch refuses a header with any character above U+00FF and the provider refuses
 * the rest, and neither says which variable holds the key: this says it once, at load. The
 * messages never quote the key.
 */

/** Why `key` (already trimmed) cannot be what the provider issued, or undefined. */
export function keyTextProblem(key: string): string | undefined {
  if (key.length >= 2 && /^["'`]/.test(key) && key.at(-1) === key[0]) {
    return `the key is wrapped in quotes (${key[0]}\u2026${key[0]}): write it without them`;
  }
  // A space between words: the auth scheme kept before the key, or several keys on one line (as
  // the env-only mode takes them, where a config's api_key reads commas only).
  if (/^bearer\s/i.test(key)) {
    return 'the key begins with "Bearer ": write the key without it (ccp adds what the provider ' +
      "expects)";
  }
  if (/\S\s+\S/.test(key)) {
    return "the key has a space in it: several keys are written with commas between them (k1,k2), " +
      "or under api_keys";
  }
  const chars = [...key];
  const at = chars.findIndex((ch) => !/^[\x21-\x7e]$/.test(ch));
  if (at < 0) return undefined;
  const ch = chars[at]!;
  if (ch === "\u2026") {
    return `the key contains "\u2026", as the examples' placeholders do (nvapi-\u2026): paste the whole key ` +
      "the provider issued";
  }
  const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  const shown = /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(ch) ? `"${ch}" ` : "";
  return `the key has ${shown}(U+${code}) at character ${at + 1}, which no API key contains ` +
    "(copied along with it?): paste the key again";
}
