/**
 * Learning an upstream's output-token limit from its 400.
 *
 * Claude Code asks for 32000-128000 output tokens; many endpoints refuse more than their model
 * gives (DeepSeek "the valid range of max_tokens is [1, 8192]"; OpenAI "supports
 * at most 16384 completion tokens"; Groq, Gemini, Anthropic each in their words). Static caps
 * per dialect cover known models only, and an Anthropic-compatible endpoint has none. So when a
 * 400 states the limit of the output field ccp sent, the request is sent once more at that limit
 * and the limit is kept for that provider and model, as refused parameters are
 * (refused_params.ts): the entry `max_tokens<=8192` is learned.
 */

type Json = Record<string, unknown>;

// Output-limit fields of the protocols ccp speaks upstream, as paths.
const FIELDS = [
  "max_tokens",
  "max_completion_tokens",
  "max_output_tokens",
  "generationConfig.maxOutputTokens",
];

// Wordings that state the largest output accepted; `exclusive` when the number is one past it.
const PATTERNS: ReadonlyArray<{ re: RegExp; exclusive?: boolean }> = [
  { re: /valid range of max_tokens is \[\s*\d+\s*,\s*(\d+)\s*\]/i }, // DeepSeek
  { re: /supports at most (\d+) completion tokens/i }, // OpenAI
  { re: /max_tokens: \d+ > (\d+), which is the maximum allowed/i }, // Anthropic
  { re: /range is from \d+ \(inclusive\) to (\d+) \(exclusive\)/i, exclusive: true }, // Gemini
  {
    // Groq, vLLM-style and gateways: "`max_tokens` must be less than or equal to `8192`"
    re:
      /(?:max_tokens|max_completion_tokens|max_output_tokens|maxoutputtokens)\W{0,3}\s+(?:must be|should be|cannot be|can not be|is)\s+(?:less than or equal to|<=|at most|no (?:more|greater) than|smaller than or equal to)\s*[`'"]?(\d+)/i,
  },
];

function get(body: Json, path: string): unknown {
  return path.split(".").reduce<unknown>(
    (node, key) => (typeof node === "object" && node !== null ? (node as Json)[key] : undefined),
    body,
  );
}

/** The learned entry for a limit: `field<=limit`. */
function limitEntry(field: string, limit: number): string {
  return `${field}<=${limit}`;
}

/** The output limit a 400 states for a field ccp sent above it, as an entry to learn. */
export function refusedOutputLimit(message: string, sent: Json): string | undefined {
  for (const { re, exclusive } of PATTERNS) {
    const match = re.exec(message);
    if (!match) continue;
    const limit = Number(match[1]) - (exclusive ? 1 : 0);
    if (!(limit >= 1)) return undefined;
    const field = FIELDS.find((f) => {
      const value = get(sent, f);
      return typeof value === "number" && value > limit;
    });
    return field ? limitEntry(field, limit) : undefined;
  }
  return undefined;
}

/** `body` with every learned `field<=limit` applied; the input is not changed. */
export function withOutputLimits(body: Json, learned: Iterable<string>): Json {
  let out = body;
  for (const entry of learned) {
    const match = /^([\w.]+)<=(\d+)$/.exec(entry);
    if (!match) continue;
    const [, field, text] = match;
    const limit = Number(text);
    const value = get(out, field!);
    if (typeof value !== "number" || value <= limit) continue;
    const path = field!.split(".");
    out = { ...out };
    if (path.length === 1) out[path[0]!] = limit;
    else out[path[0]!] = { ...(out[path[0]!] as Json), [path[1]!]: limit };
    // Anthropic wants thinking.budget_tokens below max_tokens (and at least 1024).
    const thinking = out.thinking as Json | undefined;
    if (field === "max_tokens" && typeof thinking?.budget_tokens === "number") {
      if (thinking.budget_tokens >= limit) {
        if (limit > 1024) out.thinking = { ...thinking, budget_tokens: limit - 1 };
        else delete out.thinking;
      }
    }
  }
  return out;
}
