/**
 * Optional request parameters upstreams refused, per server and upstream model: the request was
 * sent again without them, and they are left out from then on (bounded, in memory). Kept by server
 * (server_key.ts): a provider renamed by a reload keeps them, one pointed at another server does
 * not take them along.
 */

import { serverKey, type UpstreamServer } from "./server_key.ts";

/**
 * Entries kept per server and model. Refusals name what the client sent (each `anthropic-beta`
 * value, a parameter's value), so a client inventing values could grow one target's set without
 * end; a real upstream refuses a handful. Past this many, a refusal is still answered by sending
 * the request again without it, but no longer remembered.
 */
export const MAX_PER_TARGET = 64;

/** A provider as lessons are kept for it: its name (for /health) and its server. */
export interface LearningProvider extends UpstreamServer {
  readonly id: string;
}

interface Entry {
  readonly params: Set<string>;
  readonly model: string;
  /** The provider that learned it last, named in /health when no config is given. */
  provider: string;
}

/** What ccp has learned, per server and upstream model; bounded. */
export class LearnedParams {
  readonly #byTarget = new Map<string, Entry>();
  readonly #max: number;

  /** Remembers at most `maxTargets` server/model pairs (the oldest are forgotten first). */
  constructor(maxTargets = 1000) {
    this.#max = maxTargets;
  }

  /** Parameters to leave out for `model` of `provider`'s server. */
  for(provider: UpstreamServer, model: string): ReadonlySet<string> {
    return this.#byTarget.get(keyOf(provider, model))?.params ?? EMPTY;
  }

  /**
   * Records a refused parameter; true when it was not known yet (log it then, once). False too
   * when the target already holds {@link MAX_PER_TARGET}: it is not kept, and not logged each time.
   */
  learn(provider: LearningProvider, model: string, param: string): boolean {
    const id = keyOf(provider, model);
    let entry = this.#byTarget.get(id);
    if (entry?.params.has(param) || (entry?.params.size ?? 0) >= MAX_PER_TARGET) return false;
    if (!entry) {
      if (this.#byTarget.size >= this.#max) {
        this.#byTarget.delete(this.#byTarget.keys().next().value!);
      }
      entry = { params: new Set(), model, provider: provider.id };
      this.#byTarget.set(id, entry);
    }
    entry.provider = provider.id;
    entry.params.add(param);
    return true;
  }

  /**
   * `provider/model` -> parameters left out, for GET /health. Given the providers of the config
   * in use, each of them is listed with what its server refused (under its name now); without,
   * each entry under the provider that learned it.
   */
  snapshot(current?: Readonly<Record<string, LearningProvider>>): Record<string, string[]> {
    const shown: Record<string, string[]> = {};
    const byServer = new Map<string, string[]>();
    for (const provider of Object.values(current ?? {})) {
      const key = serverKey(provider);
      byServer.set(key, [...byServer.get(key) ?? [], provider.id]);
    }
    for (const [id, entry] of this.#byTarget) {
      const server = id.slice(0, id.length - entry.model.length - 1);
      const names = current ? byServer.get(server) ?? [] : [entry.provider];
      for (const name of names) shown[`${name}/${entry.model}`] = [...entry.params];
    }
    return shown;
  }
}

function keyOf(provider: UpstreamServer, model: string): string {
  return `${serverKey(provider)}\n${model}`;
}

const EMPTY: ReadonlySet<string> = new Set();
