/**
 * Which id names each of a provider's keys in Redis: guard entries name a key by a keyed hash of
 * it, not by its place in the list, so that instances listing the same keys in another order (or
 * one more) agree on which key an entry is about.
 */

import { keyIds } from "./guard_entries.ts";

/** A provider's keys as its last sync named them, with their ids in the same order. */
export interface LearnedKeys {
  readonly values: readonly string[];
  readonly ids: string[];
}

/** Each provider's keys and their ids, as the provider's last sync listed them. */
export class KeyIdBook {
  readonly #secret: string;
  readonly #keys = new Map<string, LearnedKeys>();
  // The ids of a key list, hashed once however many providers (or syncs) share the list.
  readonly #ids = new WeakMap<readonly string[], Promise<string[]>>();

  /** `secret` keys the hashes (see `keyIdSecret`). */
  constructor(secret: string) {
    this.#secret = secret;
  }

  /** The provider's keys with their ids (the pool holds one key, "", when none is configured). */
  async learn(provider: string, apiKeys: readonly string[]): Promise<LearnedKeys> {
    const known = this.#keys.get(provider);
    if (known?.values === apiKeys) return known;
    let ids = this.#ids.get(apiKeys);
    if (!ids) {
      ids = keyIds(apiKeys.length > 0 ? apiKeys : [""], this.#secret);
      this.#ids.set(apiKeys, ids);
    }
    const learned = { values: apiKeys, ids: await ids };
    this.#keys.set(provider, learned);
    return learned;
  }

  /** The id of the key at `index`, as the provider's last sync listed its keys. */
  idOf(provider: string, index: number): string | undefined {
    return this.#keys.get(provider)?.ids[index];
  }

  /** The provider's keys as its last sync listed them. */
  keysOf(provider: string): readonly string[] | undefined {
    return this.#keys.get(provider)?.values;
  }
}
