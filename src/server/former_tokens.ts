/**
 * Tokens of `clients:` that a reload removed or replaced, so that the log can say whose former
 * token a refused request carried: a developer the lead just revoked sees only Claude Code's
 * "Not logged in", and the lead's log is where it is told apart from a typo. Kept as SHA-256
 * digests in memory only (the newest 256), never written anywhere.
 */

import type { ClientConfig } from "../config/types.ts";
import { presentedCredentials, splitToken } from "./auth.ts";

const KEEP = 256;

async function digest(token: string): Promise<string> {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A client's token that a reload removed or replaced. */
export interface FormerToken {
  readonly client: string;
}

/**
 * Follows the running config's clients and remembers the tokens that left it. It must see every
 * config ccp runs on, from the start-up one: a token a reload took before any request came is
 * still one the developer was given (`ccp serve` shows it each config as it loads; the gate, each
 * config its requests see).
 */
export class FormerTokens {
  #clients: readonly ClientConfig[] | undefined;
  #started = false;
  #digesting: Promise<void> = Promise.resolve();
  readonly #former = new Map<string, FormerToken>();

  /** The clients of a config ccp runs on: the same list as before costs one comparison. */
  track(clients: readonly ClientConfig[] | undefined): void {
    if (this.#started && clients === this.#clients) return;
    const before = this.#started ? this.#clients ?? [] : [];
    this.#started = true;
    this.#clients = clients;
    const kept = new Set((clients ?? []).map((c) => c.token));
    const gone = before.filter((c) => !kept.has(c.token));
    if (gone.length === 0) return;
    // In order: a token that leaves twice is remembered under its latest client.
    this.#digesting = this.#digesting.then(async () => {
      for (const c of gone) {
        const key = await digest(c.token);
        this.#former.delete(key);
        this.#former.set(key, { client: c.name });
        if (this.#former.size > KEEP) this.#former.delete(this.#former.keys().next().value!);
      }
    });
  }

  /** The client whose former token the request carries, if any. */
  async whose(headers: Headers): Promise<FormerToken | undefined> {
    await this.#digesting;
    if (this.#former.size === 0) return undefined;
    for (const credential of presentedCredentials(headers)) {
      const found = this.#former.get(await digest(splitToken(credential).token));
      if (found) return found;
    }
    return undefined;
  }
}
