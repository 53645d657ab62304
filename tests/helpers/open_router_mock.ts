/**
 * OpenRouter's Anthropic-compatible endpoint (`/api/v1/messages`) as its free tier answers: a
 * spent daily limit of the account's `:free` models (429 `free-models-per-day`, its limit's headers
 * relayed in `metadata.headers`, the reset the next UTC midnight in epoch ms), an upstream
 * provider's own 429 for one model (`Provider returned error`, its words in `metadata.raw`), a
 * spent minute of the free models (429 `free-models-per-min`, its reset also in HTTP headers), and
 * otherwise an Anthropic message. It counts what each key asked for each model.
 */

import { provider } from "./config.ts";
import type { ProviderConfig } from "../../src/config/types.ts";

/** A running mock and what it was asked. */
export interface OpenRouterMock {
  readonly origin: string;
  /** Keys (by their last 4 characters) whose account's free models are spent for the day. */
  readonly daySpent: Set<string>;
  /** Models whose upstream provider refuses every request (a 429 for that model only). */
  readonly busy: Set<string>;
  /** Keys whose account's free models are spent for the minute (reset 40 s on). */
  readonly minuteSpent: Set<string>;
  /** Models whose routed provider answers 429 with this body (relayed in `metadata.raw`). */
  readonly routedQuota: Map<string, string>;
  /** The reset the day's 429 relays (epoch ms). */
  resetAt: number;
  /** Requests per `key-suffix model`, e.g. `0001 qwen/qwen3-coder:free`. */
  readonly asked: Map<string, number>;
  /** Requests of every key for `model`. */
  askedFor(model: string): number;
  close(): Promise<void>;
}

/** The next UTC midnight after `now` (epoch ms). */
export function nextUtcMidnight(now = Date.now()): number {
  return (Math.floor(now / 86_400_000) + 1) * 86_400_000;
}

/** Starts the mock on 127.0.0.1 and a free port. */
export function startOpenRouterMock(): OpenRouterMock {
  const daySpent = new Set<string>();
  const busy = new Set<string>();
  const minuteSpent = new Set<string>();
  const routedQuota = new Map<string, string>();
  const asked = new Map<string, number>();
  const mock = {
    resetAt: nextUtcMidnight(),
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json().catch(() => ({}));
    const model = String(body.model);
    const key = (req.headers.get("authorization") ?? "").slice(-4);
    const seen = `${key} ${model}`;
    asked.set(seen, (asked.get(seen) ?? 0) + 1);
    if (model.endsWith(":free") && daySpent.has(key)) {
      return Response.json({
        error: {
          message:
            "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day",
          code: 429,
          metadata: {
            headers: {
              "X-RateLimit-Limit": "50",
              "X-RateLimit-Remaining": "0",
              "X-RateLimit-Reset": String(mock.resetAt),
            },
            provider_name: null,
          },
        },
        user_id: "user_2abc",
      }, { status: 429 });
    }
    if (model.endsWith(":free") && minuteSpent.has(key)) {
      const limit = {
        "X-RateLimit-Limit": "20",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": String(Date.now() + 40_000),
      };
      return Response.json({
        error: {
          message: "Rate limit exceeded: free-models-per-min. ",
          code: 429,
          metadata: { headers: limit, provider_name: null },
        },
        user_id: "user_2abc",
      }, { status: 429, headers: limit });
    }
    const raw = routedQuota.get(model);
    if (raw !== undefined) {
      return Response.json({
        error: {
          message: "Provider returned error",
          code: 429,
          metadata: { raw, provider_name: "Google AI Studio" },
        },
        user_id: "user_2abc",
      }, { status: 429 });
    }
    if (busy.has(model)) {
      return Response.json({
        error: {
          message: "Provider returned error",
          code: 429,
          metadata: {
            raw: `${model} is temporarily rate-limited upstream. Please retry shortly.`,
            provider_name: "Chutes",
          },
        },
        user_id: "user_2abc",
      }, { status: 429 });
    }
    return Response.json({
      id: `gen-${crypto.randomUUID().slice(0, 8)}`,
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text: `hello from ${model}` }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 4 },
    });
  });
  return Object.assign(mock, {
    origin: `http://127.0.0.1:${server.addr.port}`,
    daySpent,
    busy,
    minuteSpent,
    routedQuota,
    asked,
    askedFor: (model: string) =>
      [...asked].reduce((n, [seen, count]) => seen.endsWith(` ${model}`) ? n + count : n, 0),
    close: () => server.shutdown(),
  });
}

/** The `open_router` provider `or` with `keys`, at the mock. */
export function openRouterAt(origin: string, keys: readonly string[]): ProviderConfig {
  return provider("or", {
    type: "anthropic",
    preset: "open_router",
    baseUrl: `${origin}/api`,
    apiKeys: [...keys],
    authHeader: "bearer",
  });
}

/** A one-turn request as Claude Code sends it (non-streamed, for brevity). */
export const HI = {
  model: "claude-sonnet-4-5",
  max_tokens: 64,
  messages: [{ role: "user", content: "hi" }],
};
