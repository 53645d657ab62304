/**
 * Spreading a request before it is dispatched: a weighted route's first target (the session's own
 * while it stays healthy, else the next weighted turn), and the session's own keys for the key
 * choice. With `routing.session_affinity` off and no weights, the chain goes out as resolved.
 */

import type { Config, Target } from "../config/types.ts";
import type { HeaderReader } from "../core/headers.ts";
import type { KeyAffinity } from "../resilience/key_choice.ts";
import type { DispatchTarget } from "../resilience/outcome.ts";
import type { SessionChoices } from "../resilience/affinity.ts";
import type { ResilienceRegistry } from "../resilience/registry.ts";
import type { SharedAffinity } from "../resilience/shared_affinity.ts";
import { isSpread, targetName } from "../resilience/spread.ts";
import type { Resolution } from "../routing/resolve.ts";
import { conversationIdOf } from "../routing/conversation_id.ts";
import { sessionIdOf } from "../routing/session_id.ts";

/** A resolution with its chain in the order to try, and what the dispatch tells back. */
export interface Balanced {
  readonly resolution: Resolution;
  /** The session's keys, when affinity is on and the request names a session. */
  readonly keys?: KeyAffinity;
  /** Remembers the target that answered as the session's own (on a spread route). */
  served(target: DispatchTarget): void;
}

/** The client's session id, else its conversation's stand-in (a hash of how it opens). */
function sessionOf(
  request: { readonly headers: HeaderReader; readonly body: Record<string, unknown> },
): string | undefined {
  return sessionIdOf(request.headers, request.body) ?? conversationIdOf(request.body);
}

/** Where a session's token count goes: its own target and key, if it has them; else as written. */
export interface Followed {
  /** The session's own target on a spread route, else the chain's first as written. */
  readonly target: Target | undefined;
  /** The session's keys, read only (a count moves no session). */
  readonly keys?: KeyAffinity;
}

/**
 * The target and keys a count_tokens request of `request`'s session goes to: where its messages
 * go, so the count is made by the model (and with the key) that reads them. Nothing is moved: no
 * weighted turn is taken, no session created, kept longer or rebound.
 */
export function follow(
  resolution: Resolution,
  request: { readonly headers: HeaderReader; readonly body: Record<string, unknown> },
  config: Config,
  registry: ResilienceRegistry,
): Followed {
  const written = resolution.chain[0];
  const id = config.routing?.sessionAffinityTtlMs ? sessionOf(request) : undefined;
  const session = id ? registry.affinity.peek(id) : undefined;
  if (!session) return { target: written };
  const own = isSpread(resolution.chain) ? session.targetOf(resolution.route) : undefined;
  const target = resolution.chain.find((t) => targetName(t) === own) ?? written;
  return { target, keys: session };
}

/**
 * Orders `resolution`'s chain for this request and binds it to its session, if any. With `shared`
 * (Redis), the session's choices are read from there first and its new ones written there, so
 * they hold on every instance.
 */
export async function balance(
  resolution: Resolution,
  request: { readonly headers: HeaderReader; readonly body: Record<string, unknown> },
  config: Config,
  registry: ResilienceRegistry,
  shared?: SharedAffinity,
): Promise<Balanced> {
  const ttl = config.routing?.sessionAffinityTtlMs;
  const id = ttl ? sessionOf(request) : undefined;
  const session = id && ttl ? await sessionChoices(id, ttl, config, registry, shared) : undefined;
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

/** The session's choices: this instance's, updated from and written through to `shared`. */
async function sessionChoices(
  id: string,
  ttl: number,
  config: Config,
  registry: ResilienceRegistry,
  shared: SharedAffinity | undefined,
): Promise<SessionChoices> {
  const local = registry.affinity.session(id, ttl);
  if (!shared) return local;
  const keysOf = (provider: string) => config.providers[provider]?.apiKeys ?? [];
  // What another instance chose since this one's choice is the session's: it served the session
  // since. A choice made here while the read was on its way, or whose write it overtook, is newer.
  const remote = await shared.load(id, ttl, keysOf);
  if (remote) local.adopt(remote);
  return {
    keyOf: local.keyOf,
    targetOf: local.targetOf,
    keepKey: (provider, index) => {
      if (local.keyOf(provider) === index) return;
      const at = local.keepKey(provider, index);
      shared.keepKey(id, ttl, provider, keysOf(provider), { value: index, at });
    },
    keepTarget: (route, target) => {
      if (local.targetOf(route) === target) return;
      const at = local.keepTarget(route, target);
      shared.keepTarget(id, ttl, route, { value: target, at });
    },
  };
}
