/**
 * Optional request parameters upstreams refused, per provider and upstream model: the request
 * was sent again without them, and they are left out from then on (bounded, in memory).
 */

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

  /** Records a refused parameter; true when it was not known yet (log it then, once). */
  learn(provider: string, model: string, param: string): boolean {
    const id = `${provider}/${model}`;
    let set = this.#byTarget.get(id);
    if (set?.has(param)) return false;
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

  /** `provider/model` → parameters left out, for GET /health. */
  snapshot(): Record<string, string[]> {
    return Object.fromEntries([...this.#byTarget].map(([id, set]) => [id, [...set]]));
  }
}

const EMPTY: ReadonlySet<string> = new Set();
