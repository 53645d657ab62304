/**
 * Counts o200k tokens of the texts of one request within a time budget: exact BPE for ordinary
 * texts, a sampled estimate for huge ones, and a running ratio once the budget is spent.
 */
import { loadO200k, o200kCount } from "./bpe.ts";
import { TokenCache } from "./lru.ts";

/** `exact` always runs full BPE; `auto` adds the sampled and extrapolated fast paths. */
export type TextMode = "auto" | "exact";

/** Longer texts are estimated from samples in `auto` mode. */
export const EXACT_MAX_CHARS = 128 * 1024;
/**
 * Characters of uncached BPE work per request in `auto` mode. Measured 14-37 ms per 100 KB of
 * new text, so at most ~90 ms; Claude Code's ~60-100 KB first turn fits, later turns hit the cache.
 */
export const REQUEST_BPE_BUDGET = 256 * 1024;

const SAMPLE_WINDOWS = 16;
const SAMPLE_CHARS = 4096;
// Characters per o200k token before anything was measured (English prose and code: ~4).
const DEFAULT_CHARS_PER_TOKEN = 4;

/**
 * Process-wide cache: Claude Code resends the same system prompt, tools and history on every
 * turn. Bounded by texts (a session near its window holds a few thousand) and by characters.
 */
export const sharedTokenCache: TokenCache = new TokenCache(32_768, 16 * 1024 * 1024);

/**
 * Run the tokenizer once over a small mixed sample (~5 ms) so the first real request does not
 * also pay for JIT compilation; call at startup. Unseen vocabulary still costs: a first 64 KB
 * request measured ~40 ms, the same request ~17 ms once its words were in the merge cache.
 */
export async function warmUpTokenizer(): Promise<void> {
  await loadO200k();
  const prose = "The quick brown fox jumps over the lazy dog; Claude reads files and runs tools. ";
  const code = 'export function main(args: string[]): number {\n  return args.length; // "ok"\n}\n';
  const json = JSON.stringify({ type: "object", properties: { path: { type: "string" } } });
  o200kCount((prose + code + json).repeat(20));
}

/** Per-request text tokenizer; create one per counted request. */
export class TextCounter {
  readonly #mode: TextMode;
  readonly #cache: TokenCache | null;
  #budget: number;
  #measuredChars = 0;
  #measuredTokens = 0;

  /** `cache: null` disables caching (used to check that caching changes nothing). */
  constructor(mode: TextMode = "auto", cache: TokenCache | null = sharedTokenCache) {
    this.#mode = mode;
    this.#cache = cache;
    this.#budget = REQUEST_BPE_BUDGET;
  }

  /** o200k tokens in `text` (exact or estimated, depending on mode and budget). */
  count(text: string): number {
    if (text.length === 0) return 0;
    // Short texts too: a long session resends hundreds of tool names and one-line replies every
    // turn, and a BPE call on one (~1 µs) costs several cache hits (0.15-0.5 µs, measured).
    const cache = this.#cache;
    // The cache may hold sampled estimates, which exact mode must not return.
    const cached = this.#mode === "auto" ? cache?.get(text) : undefined;
    if (cached !== undefined) return this.#remember(text.length, cached);
    if (this.#mode === "exact" || this.#fitsExact(text.length)) {
      this.#budget -= text.length;
      const tokens = o200kCount(text);
      cache?.set(text, tokens);
      return this.#remember(text.length, tokens);
    }
    if (this.#budget >= SAMPLE_WINDOWS * SAMPLE_CHARS) {
      this.#budget -= SAMPLE_WINDOWS * SAMPLE_CHARS;
      // A sample depends on the text alone, so caching it keeps later turns cheap and stable.
      const estimate = this.#sampled(text);
      cache?.set(text, estimate);
      return estimate;
    }
    // Not cached: a later request with budget to spare will count this text properly.
    return this.#extrapolated(text.length);
  }

  #fitsExact(length: number): boolean {
    return length <= EXACT_MAX_CHARS && length <= this.#budget;
  }

  #remember(chars: number, tokens: number): number {
    this.#measuredChars += chars;
    this.#measuredTokens += tokens;
    return tokens;
  }

  // Evenly spaced windows give a content-specific tokens-per-character ratio at a fixed cost
  // (~64 KB of BPE) however large the text; deterministic, so repeated requests agree.
  #sampled(text: string): number {
    if (text.length <= SAMPLE_WINDOWS * SAMPLE_CHARS) return o200kCount(text);
    const stride = Math.floor(text.length / SAMPLE_WINDOWS);
    let chars = 0;
    let tokens = 0;
    for (let i = 0; i < SAMPLE_WINDOWS; i++) {
      const window = text.slice(i * stride, i * stride + SAMPLE_CHARS);
      chars += window.length;
      tokens += o200kCount(window);
    }
    const estimate = Math.round((tokens / chars) * text.length);
    this.#measuredChars += chars;
    this.#measuredTokens += tokens;
    return estimate;
  }

  #extrapolated(length: number): number {
    const perChar = this.#measuredChars > 0
      ? this.#measuredTokens / this.#measuredChars
      : 1 / DEFAULT_CHARS_PER_TOKEN;
    return Math.round(perChar * length);
  }
}
