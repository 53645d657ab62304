/** What the guards tests hand a store: a provider's keys and guards, and the hash a reader could make. */

import { CircuitBreaker } from "../../src/resilience/circuit_breaker.ts";
import { KeyPool } from "../../src/resilience/key_pool.ts";
import { Limiter } from "../../src/resilience/limiter.ts";

/** The guards of provider `p` over `apiKeys`: a fresh pool, breaker and a 3-a-minute window. */
export function guardsOf(apiKeys: string[]): {
  apiKeys: string[];
  keys: KeyPool;
  breaker: CircuitBreaker;
  limiter: Limiter;
} {
  return {
    apiKeys,
    keys: new KeyPool(apiKeys),
    breaker: new CircuitBreaker(),
    limiter: new Limiter({ provider: "p", rateLimit: { requests: 3, windowMs: 60_000 } }),
  };
}

/** Hex of SHA-256 over `text`, cut to `bytes`: what a reader of the store can compute from a guess. */
export async function sha256Hex(text: string, bytes = 32): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest, 0, bytes), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
