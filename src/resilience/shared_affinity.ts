/**
 * Session affinity shared between instances (`shared.redis` with `routing.session_affinity`): a
 * session's choices are read once as its request arrives and written when one changes, so a load
 * balancer in front of several instances need not be sticky. Without Redis, or with affinity off,
 * nothing here is called.
 */

/** One choice and when it was made (epoch ms): of two, the newer is the session's. */
export interface Chosen<T> {
  readonly value: T;
  readonly at: number;
}

/** A session's choices as the instances wrote them: a key index per provider, a target per route. */
export interface SharedChoices {
  readonly keys: ReadonlyMap<string, Chosen<number>>;
  readonly targets: ReadonlyMap<string, Chosen<string>>;
}

/** Where sessions' choices are kept for every instance. */
export interface SharedAffinity {
  /**
   * The session's choices, its time renewed to `ttlMs`; undefined when it has none or the store
   * is away (the instance's own memory answers then). `keysOf` lists a provider's keys, which
   * the store names by a hash of each value, not by place.
   */
  load(
    session: string,
    ttlMs: number,
    keysOf: (provider: string) => readonly string[],
  ): Promise<SharedChoices | undefined>;
  /**
   * Writes the session's key on `provider`, chosen at `at`, without waiting; a choice stored
   * there already that is newer stays.
   */
  keepKey(
    session: string,
    ttlMs: number,
    provider: string,
    keys: readonly string[],
    chosen: Chosen<number>,
  ): void;
  /** Writes the session's target on `route` likewise. */
  keepTarget(session: string, ttlMs: number, route: string, chosen: Chosen<string>): void;
}
