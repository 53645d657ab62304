/**
 * Context windows along a route's chain: which targets a prompt cannot fit, known before sending
 * (ccp's own count against a declared `context_window`) or learnt from a target's refusal of it
 * as too long. Users chain a small model before a large one ([a local 32k model, a hosted 1M
 * one]) so that the large one takes what the small one cannot hold: the small one's refusal must
 * not reach Claude Code as `prompt is too long` (it would compact) while the large one is left.
 */

import { statedWindow } from "../core/context_overflow.ts";
import { isContextOverflow } from "./classify.ts";
import type { DispatchTarget, TargetOutcome } from "./outcome.ts";

/**
 * How many times a window the local count must be before ccp is sure the prompt cannot fit it.
 * The count is in Claude tokens for the model Claude Code named: o200k tokens times 1.10, or
 * times 1.46 for Claude 4.7 and later (src/tokens/calibration.ts). The model behind a target has
 * its own tokenizer; those of open models (Qwen, GLM, DeepSeek, Llama, Gemini) make about as many
 * tokens as o200k of English and code, and fewer of Chinese, down to about 0.7 of o200k's (an
 * estimate, not measured here). So a target's true count may be as low as 0.7 / 1.46 = 0.48 of
 * ccp's: only a count over 2.1 times the window is surely too long. Between the window and that,
 * the request is sent, and the target's own refusal moves the chain on just the same; a request
 * that fits is never held back by the estimate.
 */
export const SURELY_OVER = 2.1;

/** The declared window of each target of the chain (undefined: not declared). */
export type WindowOf = (target: DispatchTarget) => number | undefined;

/** One request's view of its chain's windows; the dispatcher asks it before each target. */
export class ChainWindows {
  readonly #windowOf: WindowOf;
  readonly #skipped: ReadonlySet<DispatchTarget>;
  readonly #promptTokens?: number;
  /** The largest window the prompt was refused by as too long, in this request. */
  #refusedAbove = 0;
  /**
   * The targets passed over for their window, in order, and why, in a few words each
   * (`local/qwen3 (refused as too long)`): the request's log line and `x-ccp-passed` list them.
   */
  readonly passed: string[] = [];

  /**
   * `promptTokens`: ccp's count of the prompt, when it made one. With it, a target whose declared
   * window the prompt surely cannot fit is passed when a later target may hold it. When none may,
   * only the largest window is sent the request: its refusal, with the upstream's own count and
   * limit, reaches Claude Code as `prompt is too long: N tokens > M maximum`, from which Claude
   * Code reads how much history to drop when it compacts (N - M); an answer made up here at once
   * would carry ccp's estimate instead, and a gap too small means another refusal and another
   * compaction round. A refusal costs no output tokens, and the other targets are not sent it.
   */
  constructor(chain: readonly DispatchTarget[], windowOf: WindowOf, promptTokens?: number) {
    this.#windowOf = windowOf;
    this.#skipped = promptTokens === undefined
      ? new Set()
      : unfitTargets(chain, windowOf, promptTokens);
    if (promptTokens !== undefined) this.#promptTokens = promptTokens;
  }

  /** Why `target` is passed without being sent, or undefined to send it. */
  pass(target: DispatchTarget): string | undefined {
    const window = this.#windowOf(target);
    if (window === undefined) return undefined;
    if (window <= this.#refusedAbove) {
      this.#note(target, `not sent: window ${window}, a window of ${this.#refusedAbove} refused`);
      return `its context window (${window}) is no larger than ${this.#refusedAbove}, which ` +
        "refused the prompt as too long";
    }
    if (this.#skipped.has(target)) {
      this.#note(target, `not sent: window ${window}, prompt ${this.#promptTokens} by ccp's count`);
      return `the prompt (${this.#promptTokens} tokens by ccp's count) cannot fit its context ` +
        `window (${window})`;
    }
    return undefined;
  }

  #note(target: DispatchTarget, why: string): void {
    this.passed.push(`${target.provider.id}/${target.model} (${why})`);
  }

  /** Notes how a target that was sent the request ended: a refusal as too long raises the bar. */
  ended(target: DispatchTarget, outcome: TargetOutcome): void {
    if (outcome.kind !== "failed" || !isContextOverflow(outcome.failure)) return;
    // The upstream's own limit wins over a declared one that may be wrong.
    const message = outcome.failure.error instanceof Error ? outcome.failure.error.message : "";
    const window = statedWindow(message) ?? this.#windowOf(target);
    if (window !== undefined) this.#refusedAbove = Math.max(this.#refusedAbove, window);
    this.#note(target, "refused as too long");
  }
}

/** The targets passed before sending, for a prompt of `tokens` by ccp's count. */
function unfitTargets(
  chain: readonly DispatchTarget[],
  windowOf: WindowOf,
  tokens: number,
): Set<DispatchTarget> {
  const unfit = (t: DispatchTarget) => {
    const window = windowOf(t);
    return window !== undefined && tokens > window * SURELY_OVER;
  };
  const skipped = new Set<DispatchTarget>();
  if (chain.every(unfit)) {
    // None may hold it: only the largest window (the first of several alike) is sent it.
    const largest = chain.reduce((a, b) => windowOf(b)! > windowOf(a)! ? b : a);
    for (const t of chain) if (t !== largest) skipped.add(t);
    return skipped;
  }
  // A target is passed when a later one may hold the prompt.
  let laterFits = false;
  for (let i = chain.length - 1; i >= 0; i--) {
    const t = chain[i]!;
    if (!unfit(t)) laterFits = true;
    else if (laterFits) skipped.add(t);
  }
  return skipped;
}
