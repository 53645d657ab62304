/**
 * Context windows along a route's chain: which targets a prompt cannot fit, known before sending
 * (ccp's own count against a declared `context_window`) or learnt from a target's refusal of it
 * as too long. Users chain a small model before a large one ([a local 32k model, a hosted 1M
 * one]) so that the large one takes what the small one cannot hold: the small one's refusal must
 * not reach Claude Code as `prompt is too long` (it would compact) while the large one is left.
 */

import {
  refittedOutput,
  roomlessPrompt,
  statedLimit,
  statedWindow,
} from "../core/context_overflow.ts";
import { UpstreamError } from "../core/errors.ts";
import type { Logger } from "../core/log.ts";
import { describeTarget } from "../core/text.ts";
import { isContextOverflow } from "./classify.ts";
import type { DispatchTarget, TargetOutcome } from "./outcome.ts";
import type { Failure } from "./classify.ts";

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

/**
 * Anthropic's refusal of a prompt that fits with a `max_tokens` that does not: the server's count
 * of the prompt, the `max_tokens` it was sent, and its window.
 */
const OUTPUT_OVER = /^input length and `max_tokens` exceed context limit: (\d+) \+ (\d+) > (\d+)/;

/** The declared window of each target of the chain (undefined: not declared). */
export type WindowOf = (target: DispatchTarget) => number | undefined;

/**
 * What local servers add: windows that a server cuts a prompt to instead of refusing it (Ollama),
 * and the limit a server's refusal states, learned for targets that declare no window.
 */
export interface LocalWindows {
  /**
   * The target is on a local server: only such a one's refusal of `max_tokens` is sent again
   * fitted or taken as a prompt too long; a hosted target's in the same chain reaches Claude Code
   * as it would from that target alone.
   */
  readonly local: (target: DispatchTarget) => boolean;
  /** The target's window is one its server cuts a longer prompt to, without an error. */
  readonly cuts: (target: DispatchTarget) => boolean;
  /** Keeps the limit `target`'s server stated in a refusal (its config declares none). */
  readonly learn: (target: DispatchTarget, limit: number) => void;
  /** The request's later attempts at `target` ask for at most `max` output tokens. */
  readonly refit: (target: DispatchTarget, max: number) => void;
}

/** A prompt that no target may be sent: each one cuts it to a window it surely cannot fit. */
export interface Unsendable {
  readonly target: DispatchTarget;
  readonly window: number;
  readonly promptTokens: number;
}

/** One request's view of its chain's windows; the dispatcher asks it before each target. */
export class ChainWindows {
  readonly #windowOf: WindowOf;
  readonly #local?: LocalWindows;
  readonly #skipped: ReadonlySet<DispatchTarget>;
  readonly #promptTokens?: number;
  /** The largest window the prompt was refused by as too long, in this request. */
  #refusedAbove = 0;
  /** Targets sent the request again with `max_tokens` fitted, in this request: once each. */
  readonly #refitted = new Set<DispatchTarget>();
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
   * A target whose server cuts the prompt instead of refusing it is never sent one surely over
   * its window: when every target is such a one, {@link unsendable} says so.
   */
  constructor(
    chain: readonly DispatchTarget[],
    windowOf: WindowOf,
    promptTokens?: number,
    local?: LocalWindows,
  ) {
    this.#windowOf = windowOf;
    if (local) this.#local = local;
    const cuts = local?.cuts ?? (() => false);
    this.#skipped = promptTokens === undefined
      ? new Set()
      : unfitTargets(chain, windowOf, promptTokens, cuts);
    if (promptTokens !== undefined) this.#promptTokens = promptTokens;
    if (promptTokens !== undefined && chain.every((t) => this.#skipped.has(t))) {
      // Only targets that cut are ever all passed; the largest of them is named.
      const target = chain.reduce((a, b) => windowOf(b)! > windowOf(a)! ? b : a);
      this.unsendable = { target, window: windowOf(target)!, promptTokens };
    }
  }

  /** Set when no target of the chain may be sent the prompt (see the constructor). */
  readonly unsendable?: Unsendable;

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

  /**
   * Notes a failed attempt: the limit a local server states in its refusal (of a prompt too long,
   * or of `max_tokens` too large for its window) is learned. {@link RESENT} when the refusal was
   * of `max_tokens` alone and the room the server's own count of the prompt leaves holds a useful
   * answer: the target is to be sent the same request once more, `max_tokens` fitted into that
   * room, rather than Claude Code seeing the refusal. That is so for a window learned before
   * too, when ccp's count (an estimate, often over the server's) left too little room to fit
   * `max_tokens` before sending (the re-send is said in `log`). Else the failure to judge: when
   * the room is too small for any answer, it is the prompt that is too long for this window, and
   * the failure is made Anthropic's `prompt is too long` (a chain moves on to a larger window, and
   * the last target's reaches Claude Code, which compacts); any other is returned as it came.
   */
  refused<F extends Failure>(target: DispatchTarget, failure: F, log?: Logger): F | Resent {
    const local = this.#local;
    if (!local?.local(target) || failure.status !== 400 || !(failure.error instanceof Error)) {
      return failure;
    }
    const message = failure.error.message;
    const limit = statedLimit(message);
    if (limit === undefined) return failure;
    local.learn(target, limit);
    const over = OUTPUT_OVER.exec(message);
    if (!over) return failure;
    const prompt = Number(over[1]);
    const max = refittedOutput(prompt, Number(over[2]), limit);
    if (max === undefined) return roomless(failure, prompt, limit) ?? failure;
    if (this.#refitted.has(target)) return failure;
    local.refit(target, max);
    this.#refitted.add(target);
    log?.info(
      `${describeTarget(target.provider.id, target.model)} answered 400: max_tokens over its ` +
        `window of ${limit} tokens refused: sent again with max_tokens fitted into it`,
    );
    return RESENT;
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

/** What {@link ChainWindows.refused} answers when the target is to be sent the request again. */
export const RESENT = "resent";
export type Resent = typeof RESENT;

/**
 * `failure` (a refusal of `max_tokens` beside a prompt of `prompt` tokens by the server's count,
 * in a window of `limit`) as the refusal of a prompt too long, when the room left holds no
 * answer; undefined when it does. The server's own words follow, as in any overflow's message.
 */
function roomless<F extends Failure>(failure: F, prompt: number, limit: number): F | undefined {
  const sentence = roomlessPrompt(prompt, limit);
  if (sentence === undefined) return undefined;
  const message = (failure.error as Error).message;
  // The max_tokens sentence is followed by ccp's account of the refusal, in brackets.
  const at = message.indexOf(" (");
  const said = at < 0 ? "" : `; ${message.slice(at + 2, -1)}`;
  const error = new UpstreamError(
    "invalid_request_error",
    `${sentence} (its window of ${limit} tokens leaves ${limit - prompt} beside the prompt, too ` +
      `few for an answer${said})`,
    { status: 400, upstreamStatus: 400 },
  );
  return { ...failure, error };
}

/** The targets passed before sending, for a prompt of `tokens` by ccp's count. */
function unfitTargets(
  chain: readonly DispatchTarget[],
  windowOf: WindowOf,
  tokens: number,
  cuts: (target: DispatchTarget) => boolean,
): Set<DispatchTarget> {
  const unfit = (t: DispatchTarget) => {
    const window = windowOf(t);
    return window !== undefined && tokens > window * SURELY_OVER;
  };
  const skipped = new Set<DispatchTarget>();
  if (chain.every(unfit)) {
    // None may hold it: only the largest window (the first of several alike) is sent it, for its
    // refusal's own count; one that would cut the prompt instead is sent nothing.
    const refusing = chain.filter((t) => !cuts(t));
    const largest = refusing.length === 0
      ? undefined
      : refusing.reduce((a, b) => windowOf(b)! > windowOf(a)! ? b : a);
    for (const t of chain) if (t !== largest) skipped.add(t);
    return skipped;
  }
  // A target is passed when a later one may hold the prompt.
  let laterFits = false;
  for (let i = chain.length - 1; i >= 0; i--) {
    const t = chain[i]!;
    if (!unfit(t)) laterFits = true;
    else if (laterFits || cuts(t)) skipped.add(t);
  }
  return skipped;
}
