/** Resilience building blocks: key pools, breakers, limiters, retries, timeouts, the dispatcher. */

export * from "./backoff.ts";
export * from "./body_guard.ts";
export * from "./circuit_breaker.ts";
export * from "./classify.ts";
export * from "./clock.ts";
export * from "./connect_probe.ts";
export * from "./describe.ts";
export * from "./dispatcher.ts";
export * from "./exhausted.ts";
export * from "./key_pool.ts";
export * from "./limiter.ts";
export * from "./outcome.ts";
export * from "./registry.ts";
export * from "./timeout_error.ts";
export * from "./timeouts.ts";
