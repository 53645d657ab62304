/**
 * The one Redis connection the shared guards, budget counters and session affinity use: every
 * call is bounded in time, and a call that fails marks Redis away until a ping answers, so that
 * while it is away requests do not each wait for a timeout before going on with local state.
 */

import { createClient } from "redis";
import { redactUrlSecrets } from "../core/secrets.ts";

/** The client the calls run on. */
export type RedisClient = ReturnType<typeof createClient>;

/** A Redis call that takes longer than this counts as Redis being away. */
const CALL_TIMEOUT_MS = 500;

/** A connection to the Redis at a URL, connected on the first call and kept trying after. */
export class RedisConnection {
  /** Where Redis is, without the URL's password: for messages. */
  readonly description: string;
  readonly #client: RedisClient;
  #connecting: Promise<unknown> | undefined;
  #down = false;

  constructor(url: string) {
    this.description = `Redis at ${redactUrlSecrets(url)}`;
    this.#client = createClient({
      url,
      socket: {
        connectTimeout: 2000,
        // Keep trying in the background; callers never wait for a reconnect.
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
      },
      disableOfflineQueue: true,
    });
    // Reported by the monitor; the client's own errors would only repeat it.
    this.#client.on("error", () => {});
  }

  /** True from a call that failed until {@link answered}. */
  get down(): boolean {
    return this.#down;
  }

  /** Redis answered a ping: calls are no longer refused up front. */
  answered(): void {
    this.#down = false;
  }

  /** Runs `run` on the client, connecting first; throws (and marks Redis away) past the timeout. */
  async call<T>(run: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      await withTimeout(this.#ready(), CALL_TIMEOUT_MS);
      return await withTimeout(run(this.#client), CALL_TIMEOUT_MS);
    } catch (err) {
      this.#down = true;
      throw err;
    }
  }

  /** Closes the client without waiting for it. */
  close(): void {
    void this.#client.close?.().catch(() => {});
  }

  #ready(): Promise<unknown> {
    if (this.#client.isReady) return Promise.resolve();
    this.#connecting ??= this.#client.connect().catch((err: unknown) => {
      this.#connecting = undefined;
      throw err;
    });
    return this.#connecting;
  }
}

/** `promise`, or a rejection once `ms` have passed without it settling. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}
