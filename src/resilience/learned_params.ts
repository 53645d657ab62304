/**
 * Optional request parameters upstreams refused, per provider and upstream model: the request
 * was sent again without them, and they are left out from then on (bounded, in memory).
 */

/**
 * Entries kept per provider and model. Refusals name what the client sent (each `anthropic-beta`
 * value, a parameter's value), so a client inventing values could grow one target's set without
 * end; a real upstream refuses a handful. Past this many, a refusal is still answered by sending
 * the request again without it, but no longer remembered.
 */
export const MAX_PER_TARGET = 64;

/** What ccp has learned, per provider and upstream model; bounded. */
export class LearnedParams {
  readonly #byTarget = new Map<string, Set<string>>();
  readonly #max: number;

  /** Remembers at most `maxTargets` provider/model pairs (the oldest are forgotten first). */
  constructor(maxTargets = 1000) {
    this.#max = maxTargets;
  }

  /** Parameters to leave out for `provider/model`. */
  for(provider: string, model: string): ReadonlySet<string> {
    return this.#byTarget.get(`${provider}/${model}`) ?? EMPTY;
  }

  /**
   * Records a refused parameter; true when it was not known yet (log it then, once). False too
   * when the target already holds {@link MAX_PER_TARGET}: it is not kept, and not logged each time.
   */
  learn(provider: string, model: string, param: string): boolean {
    const id = `${provider}/${model}`;
    let set = this.#byTarget.get(id);
    if (set?.has(param) || (set?.size ?? 0) >= MAX_PER_TARGET) return false;
    if (!set) {
      if (this.#byTarget.size >= this.#max) {
        this.#byTarget.delete(this.#byTarget.keys().next().value!);
      }
      set = new Set();
      this.#byTarget.set(id, set);
    }
    set.add(param);
    return true;
  }

  /**
   * Forgets what `provider` was refused, for every model: its id now names another server (a
   * reload moved it), which may take what the old one refused (`thinking`, a beta, images).
   */
  forget(provider: string): void {
    for (const id of this.#byTarget.keys()) {
      if (id.startsWith(`${provider}/`)) this.#byTarget.delete(id);
    }
  }

  /** `provider/model` -> parameters left out, for GET /health. */
  snapshot(): Record<string, string[]> {
    return Object.fromEntries([...this.#byTarget].map(([id, set]) => [id, [...set]]));
  }
}

const EMPTY: ReadonlySet<string> = new Set();
