/**
 * A mock Anthropic upstream that answers each request by its API key, for the tests of guard
 * state kept across restarts and instances: which keys were refused, limited or answered.
 */

import { textMessage } from "../mocks/anthropic_fixtures.ts";

/** How the upstream answers one request. */
export type KeyAnswer =
  /** A short message (200). */
  | "answer"
  /** 401, as for a revoked key. */
  | "refuse"
  /** 429 with `Retry-After: 30`. */
  | "limit"
  /** 429 without Retry-After: a short cool-down. */
  | "limit-briefly";

/** One request as the upstream saw it. */
export interface SeenKey {
  readonly key: string;
  /** The key up to its first `-` (the tests name keys `<role>-<digits>`). */
  readonly role: string;
  readonly at: number;
}

/** The error answers, shared with mocks that decide more than this one does. */
export function refusal(answer: "refuse" | "limit" | "limit-briefly"): Response {
  if (answer === "refuse") {
    return Response.json({
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key" },
    }, { status: 401 });
  }
  return Response.json({
    type: "error",
    error: { type: "rate_limit_error", message: "Rate limit exceeded for model m" },
  }, { status: 429, headers: answer === "limit" ? { "retry-after": "30" } : {} });
}

/** A running keyed upstream. */
export interface KeyedUpstream {
  readonly url: string;
  /** Every request, in order; tests empty it between steps. */
  readonly seen: SeenKey[];
  /** The roles of the keys seen, in order. */
  roles(): string[];
  close(): Promise<void>;
}

/** Starts the upstream on 127.0.0.1; `decide` is asked for each request's `x-api-key`. */
export function keyedUpstream(decide: (key: string) => KeyAnswer): KeyedUpstream {
  const seen: SeenKey[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      await req.body?.cancel();
      const key = req.headers.get("x-api-key") ?? "";
      seen.push({ key, role: key.split("-")[0]!, at: Date.now() });
      const answer = decide(key);
      if (answer !== "answer") return refusal(answer);
      return Response.json(textMessage("m", { input_tokens: 10, output_tokens: 5 }));
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    roles: () => seen.map((s) => s.role),
    close: () => server.shutdown(),
  };
}
