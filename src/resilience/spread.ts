/**
 * A route whose targets carry weights spreads its requests over them: each request's first target
 * is chosen by smooth weighted round robin (weights 3 and 1 give a b a a, a a b a, ...: the heavier
 * target's turns are spread out, not bunched), and the other targets follow in their written order
 * as the failover chain. A session that has a target of its own (session affinity) starts there.
 */

import { setNewest } from "../core/bounded_map.ts";

/** What the spread reads of a target. */
export interface Weighted {
  readonly provider: string;
  readonly model: string;
  readonly weight?: number;
}

/** Weighted routes remembered; the config bounds them, this bounds a config that keeps changing. */
const MAX_ROUTES = 1000;

/** `provider/model`, as a session remembers the target that served it. */
export function targetName(target: { readonly provider: string; readonly model: string }): string {
  return `${target.provider}/${target.model}`;
}

/** True when `chain` is a route that spreads by weight. */
export function isSpread(chain: readonly Weighted[]): boolean {
  return chain.length > 1 && chain.some((t) => t.weight !== undefined);
}

/** The running counters of each weighted route. */
export class TargetSpread {
  readonly #routes = new Map<string, number[]>();

  /**
   * `chain` with the target this request goes to first in front: `preferred` (a session's own
   * `provider/model`) when the chain has it, else the weighted turn's. An ordered chain (no
   * weights) comes back as it is.
   */
  order<T extends Weighted>(route: string, chain: readonly T[], preferred?: string): readonly T[] {
    if (!isSpread(chain)) return chain;
    let first = preferred === undefined ? -1 : chain.findIndex((t) => targetName(t) === preferred);
    if (first < 0) first = this.#turn(route, chain);
    if (first <= 0) return chain;
    return [chain[first]!, ...chain.slice(0, first), ...chain.slice(first + 1)];
  }

  // The state is keyed by the targets and weights too: a reload that changes them starts afresh.
  #turn(route: string, chain: readonly Weighted[]): number {
    const id = JSON.stringify([route, chain.map((t) => [targetName(t), t.weight ?? 1])]);
    const current = this.#routes.get(id) ?? chain.map(() => 0);
    let total = 0;
    let best = -1;
    chain.forEach((t, i) => {
      const weight = t.weight ?? 1;
      total += weight;
      current[i]! += weight;
      if (weight > 0 && (best < 0 || current[i]! > current[best]!)) best = i;
    });
    if (best < 0) return 0;
    current[best]! -= total;
    setNewest(this.#routes, id, current, MAX_ROUTES);
    return best;
  }
}
