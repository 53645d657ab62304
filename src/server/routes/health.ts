/** GET /health: that ccp is up, for anyone; its state, for the operator's token. */

import type { Context } from "hono";
import type { AppEnv, ServerDeps } from "../deps.ts";
import { seesEveryClient } from "../clients.ts";

/** The /health handler. */
export function healthHandler(deps: ServerDeps): (c: Context<AppEnv>) => Response {
  return (c) => {
    // Without the token, /health says that ccp is up (and that it is ccp, so `ccp code` can tell
    // it from another program on the port without sending that program the token) and whether
    // its shared engines are reachable, which a load balancer's check may want; provider ids,
    // models, key labels and upstream error text are for the operator.
    const state = deps.shared?.state() ?? {};
    const shared = deps.shared ? { shared: state } : {};
    // Closed mode with an engine away refuses every request: a load balancer's check says so too.
    const refusal = deps.shared?.refusal();
    // The refusal names the engine's host, user or file: without the token, only which is away.
    const away = Object.keys(state).filter((name) => !state[name]?.reachable);
    // A team's client is not the operator: it is told what anyone is.
    const operator = c.env.identity !== undefined &&
      seesEveryClient(c.env.identity, deps.config().server);
    const reason = operator
      ? refusal?.message
      : `${away.map((name) => `shared.${name}`).join(", ")} unreachable (on_unavailable: closed)`;
    const health = refusal
      ? { status: "unavailable", reason, name: "ccp" }
      : { status: "ok", name: "ccp" };
    const answer = (body: Record<string, unknown>) =>
      refusal ? c.json(body, 503, { "Retry-After": "5" }) : c.json(body);
    if (!operator) return answer({ ...health, ...shared });
    return answer({
      ...health,
      version: deps.version,
      uptime_s: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      config: deps.config().source.kind,
      // Providers with no key, from the config (their key pools exist only once used): `ccp
      // code` beside this ccp says when it has a key this one lacks.
      no_key: Object.entries(deps.config().providers)
        .filter(([, provider]) => provider.apiKeys.every((key) => key === ""))
        .map(([id]) => id),
      // Key pools, limiters and circuit breakers: why a target is being skipped, if it is.
      resilience: deps.registry.snapshot(deps.config().providers),
      ...shared,
    });
  };
}
