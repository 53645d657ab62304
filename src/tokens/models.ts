/**
 * What the token counter needs to know about a Claude model: which tokenizer generation it uses,
 * its image resolution tier and the size of the hidden tool-use system prompt.
 */

/** Image limits of one resolution tier (edge in pixels, budget in 28×28 patches). */
export interface ImageTier {
  readonly maxEdge: number;
  readonly maxTokens: number;
}

/** Standard tier: every model before Claude 4.7. */
export const STANDARD_TIER: ImageTier = { maxEdge: 1568, maxTokens: 1568 };

/** High-resolution tier: Claude 4.7 and later models. */
export const HIGH_RES_TIER: ImageTier = { maxEdge: 2576, maxTokens: 4784 };

/** Tokenizer generation: Opus 4.7 introduced a tokenizer that yields ~30 % more text tokens. */
export type TokenizerGeneration = "legacy" | "current";

/** Counting-relevant facts about one model. */
export interface ModelProfile {
  readonly tokenizer: TokenizerGeneration;
  readonly imageTier: ImageTier;
  /** Hidden tool-use system prompt for `tool_choice` auto/none and any/tool. */
  readonly toolPrompt: { readonly auto: number; readonly any: number };
}

interface ModelId {
  family: string;
  version: number;
}

// "Tool use system prompt token count" tables of the tool-use overview; the newest table wins where
// two versions disagree (Opus 4 / Sonnet 4: 313/315 replaced 346/313). Keys are `family@version`.
const TOOL_PROMPTS: Readonly<Record<string, { auto: number; any: number }>> = {
  "opus@4.8": { auto: 290, any: 410 },
  "opus@4.7": { auto: 675, any: 804 },
  "opus@4.6": { auto: 497, any: 589 },
  "sonnet@4.6": { auto: 497, any: 589 },
  "opus@4.5": { auto: 496, any: 588 },
  "sonnet@4.5": { auto: 496, any: 588 },
  "haiku@4.5": { auto: 496, any: 588 },
  "opus@4.1": { auto: 313, any: 315 },
  "opus@4": { auto: 313, any: 315 },
  "sonnet@4": { auto: 313, any: 315 },
  "sonnet@5": { auto: 354, any: 474 },
  "sonnet@3.7": { auto: 346, any: 313 },
  "sonnet@3.5": { auto: 346, any: 313 },
  "haiku@3.5": { auto: 264, any: 355 },
  "opus@3": { auto: 530, any: 281 },
  "sonnet@3": { auto: 159, any: 235 },
  "haiku@3": { auto: 264, any: 340 },
};

// Models newer than the published table (Opus 5.x, Haiku 5.5, Fable, Mythos) get the newest
// published generation's numbers (Sonnet 5); older unknown ones get the Claude 4.5 numbers.
const CURRENT_TOOL_PROMPT = { auto: 354, any: 474 };
const LEGACY_TOOL_PROMPT = { auto: 496, any: 588 };

/** The largest hidden tool-use system prompt any model profile adds. */
export const MAX_TOOL_PROMPT_TOKENS = Math.max(
  ...[...Object.values(TOOL_PROMPTS), CURRENT_TOOL_PROMPT, LEGACY_TOOL_PROMPT].flatMap((p) => [
    p.auto,
    p.any,
  ]),
);

// "claude-opus-4-7", "claude-sonnet-4-20250514", "anthropic.claude-haiku-4-5-...": family first.
const FAMILY_FIRST = /claude-(opus|sonnet|haiku|fable|mythos)-(\d+)(?:-(\d)(?!\d))?/;
// "claude-3-5-sonnet-20241022", "claude-3-opus-20240229": version first (Claude 3 era).
const VERSION_FIRST = /claude-(\d)(?:-(\d))?-(opus|sonnet|haiku)/;

function parseModel(model: string): ModelId | undefined {
  const lower = model.toLowerCase();
  const a = FAMILY_FIRST.exec(lower);
  if (a) return { family: a[1] ?? "", version: Number(a[2]) + Number(a[3] ?? 0) / 10 };
  const b = VERSION_FIRST.exec(lower);
  if (b) return { family: b[3] ?? "", version: Number(b[1]) + Number(b[2] ?? 0) / 10 };
  if (/claude-(fable|mythos)/.test(lower)) return { family: "mythos", version: 5 };
  return undefined;
}

/** Whether the model is Claude 4.7 or later (newer tokenizer, high-resolution images). */
function isCurrentGeneration(id: ModelId): boolean {
  return id.family === "fable" || id.family === "mythos" || id.version >= 4.7;
}

/**
 * Profile for a model id as sent in `model`; unknown names (e.g. a non-Claude model routed by
 * ccp) count as the current generation, because Claude Code's default models are current.
 */
export function modelProfile(model: unknown): ModelProfile {
  const id = typeof model === "string" ? parseModel(model) : undefined;
  if (id === undefined) {
    return { tokenizer: "current", imageTier: HIGH_RES_TIER, toolPrompt: CURRENT_TOOL_PROMPT };
  }
  const current = isCurrentGeneration(id);
  const known = TOOL_PROMPTS[`${id.family}@${id.version}`];
  return {
    tokenizer: current ? "current" : "legacy",
    imageTier: current ? HIGH_RES_TIER : STANDARD_TIER,
    toolPrompt: known ?? (current ? CURRENT_TOOL_PROMPT : LEGACY_TOOL_PROMPT),
  };
}
