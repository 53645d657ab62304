/**
 * A local model server that is still loading its model (vLLM, SGLang and llama.cpp with a big
 * model) either refuses connections until it is ready or answers that it is loading: llama.cpp's
 * 503 `{"error":{"code":503,"message":"Loading model"}}`, Ollama's "llm server loading model",
 * a Hugging Face server's "Model <name> is currently loading". Such a server is not dead: the
 * client is told so, and to retry (`x-should-retry: true` with a `Retry-After`), where a server
 * that never ran is said at once not to be running.
 */

// Loading words, not those of a load that failed ("error loading model", "failed loading model").
const LOADING_MODEL = /(?<!(?:error|failed) )\bloading (?:the )?model\b/i;
// "Model X is currently loading", "model still loading".
const MODEL_LOADING = /\bmodel\b[^.]{0,80}?\b(?:is|still|currently) loading\b/i;

/** What to tell the client of a model server that is still loading. */
export const LOADING_ADVICE = "the model server is still loading the model; retry in a moment";

// The wait suggested when the server gives none: loading a large model takes seconds to minutes,
// and Claude Code retries each answer that says to about ten times.
const RETRY_AFTER_S = "5";

/** Whether an upstream's 5xx answer says it is still loading its model. */
export function saysLoading(status: number, text: string): boolean {
  return status >= 500 && (LOADING_MODEL.test(text) || MODEL_LOADING.test(text));
}

/** The headers that let the client retry a server still loading: its own wait, or 5 s. */
export function retryLater(retryAfter?: string | null): Record<string, string> {
  return { "x-should-retry": "true", "retry-after": retryAfter || RETRY_AFTER_S };
}

// A server restarted to load another model comes back within minutes; one that has been gone
// longer than this was more likely stopped, and is said to be not running.
const RECENT_MS = 10 * 60_000;
// Upstream places are few (one or two per provider); the bound only keeps a mistake small.
const MAX_PLACES = 256;

/** When each upstream place (scheme, host and port) last answered a request of this process. */
export class AnsweredPlaces {
  readonly #at = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The place of `url` answered (any status). */
  answered(url: string): void {
    const key = placeOf(url);
    if (!this.#at.has(key) && this.#at.size >= MAX_PLACES) this.#at.clear();
    this.#at.set(key, this.#now());
  }

  /** How long ago the place of `url` last answered, within the last ten minutes; else undefined. */
  answeredAgo(url: string): number | undefined {
    const at = this.#at.get(placeOf(url));
    if (at === undefined) return undefined;
    const ago = this.#now() - at;
    return ago <= RECENT_MS ? ago : undefined;
  }
}

function placeOf(url: string): string {
  // The origin without parsing the URL: scheme, host and port end at the first "/" after "//".
  const end = url.indexOf("/", url.indexOf("//") + 2);
  return end < 0 ? url : url.slice(0, end);
}

/** The places this process's requests reached. */
export const ANSWERED_PLACES = new AnsweredPlaces();
