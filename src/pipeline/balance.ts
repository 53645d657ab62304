/**
 * Spreading a request before it is dispatched: a weighted route's first target (the session's own
 * while it stays healthy, else the next weighted turn), and the session's own keys for the key
 * choice. With `routing.session_affinity` off and no weights, the chain goes out as resolved.
 */

import type { Config } from "../config/types.ts";
import type { HeaderReader } from "../core/headers.ts";
import type { KeyAffinity } from "../resilience/key_choice.ts";
import type { DispatchTarget } from "../resilience/outcome.ts";
import type { ResilienceRegistry } from "../resilience/registry.ts";
import { isSpread, targetName } from "../resilience/spread.ts";
import type { Resolution } from "../routing/resolve.ts";
import { sessionIdOf } from "../routing/session_id.ts";

/** A resolution with its chain in the order to try, and what the dispatch tells back. */
export interface Balanced {
  readonly resolution: Resolution;
  /** The session's keys, when affinity is on and the request names a session. */
  readonly keys?: KeyAffinity;
  /** Remembers the target that answered as the session's own (on a spread route). */
  served(target: DispatchTarget): void;
}

/** Orders `resolution`'s chain for this request and binds it to its session, if any. */
export function balance(
  resolution: Resolution,
  request: { readonly headers: HeaderReader; readonly body: Record<string, unknown> },
  config: Config,
  registry: ResilienceRegistry,
): Balanced {
  const ttl = config.routing?.sessionAffinityTtlMs;
  const id = ttl ? sessionIdOf(request.headers, request.body) : undefined;
  const session = id && ttl ? registry.affinity.session(id, ttl) : undefined;
  const route = resolution.route;
  const spread = isSpread(resolution.chain);
  const own = spread ? session?.targetOf(route) : undefined;
  const chain = registry.spread.order(route, resolution.chain, own);
  return {
    resolution: chain === resolution.chain ? resolution : { ...resolution, chain },
    ...(session ? { keys: session } : {}),
    served: (target) => {
      if (!spread || !session) return;
      session.keepTarget(route, targetName({ provider: target.provider.id, model: target.model }));
    },
  };
}
