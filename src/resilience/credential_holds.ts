/**
 * What ccp remembers about the client credentials it passed through (`auth: passthrough`): a
 * plan's limit (429) until the upstream said it lifts, a refusal (401/403) for a few minutes.
 * Without it, every turn of a client whose Claude plan is spent would first pay a round trip to
 * Anthropic and its 429, for hours. Only that client's requests skip the target: another
 * credential is another entry. Entries are keyed by provider and a hash of the credential (never
 * the credential itself), held in memory only, and bounded: the oldest entry goes first.
 */

import { setNewest } from "../core/bounded_map.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Classification, Failure } from "./classify.ts";
import { claudePlanLimitsModel } from "./plan_reset.ts";

/** A client credential as the guards see it: a hash to key by, a label safe to log. */
export interface CredentialRef {
  /** A non-reversible hash of the credential headers (hex). */
  readonly id: string;
  /** `client credential (...abcd)`: the last 4 characters at most, as for keys. */
  readonly label: string;
}

/** Why and until when a credential skips a target. */
export interface CredentialHold {
  /** Epoch ms. */
  readonly until: number;
  /** The status that started the hold: 429, or 401/402/403. */
  readonly status: number;
  /** True when `until` is the upstream's own announcement (`retry-after`, the plan's reset). */
  readonly hinted: boolean;
}

/** Tuning for {@link CredentialHolds}; every field has a default. */
export interface CredentialHoldOptions {
  readonly clock?: Clock;
  /** Entries (provider and credential) kept; the oldest is dropped past this. */
  readonly maxEntries?: number;
}

/** The hold of a refusal or limit that covers every model of the provider. */
const EVERY_MODEL = "*";
/**
 * Holds kept per provider and credential. A 403 or a throttle holds one model, and the client
 * names the model: past this many, ended holds go first, then the oldest (never the hold of
 * every model).
 */
export const MAX_MODELS_PER_CREDENTIAL = 64;
/** No 429 hold lasts longer, however far off the announced reset. */
const MAX_HOLD_MS = 30 * 60_000;
// How long a refused (401/402/403) credential skips the target. Claude Code refreshes its OAuth
// token on its own, and a new token is a new entry, so a hold only keeps a token that was refused
// (expired, revoked, of an account that lost access) from being re-sent on every turn. Anthropic
// rarely changes its mind about one token within minutes, and a fix on the user's side (a new
// login) is a new token: five minutes saves the round trips of a busy session without hiding a
// recovery for long.
const REFUSED_MS = 5 * 60_000;

/**
 * Whether a 429 limits every model the credential may use or only the one asked for: a plan's
 * refusal the whole plan unless it names one model family's limit; a 429 that is no plan's
 * refusal (a momentary throttle) is held for its model only.
 */
function holdScope(headers: Headers | undefined): "model" | "every" {
  if (headers?.get("anthropic-ratelimit-unified-status")?.trim() !== "rejected") return "model";
  return claudePlanLimitsModel(headers) ? "model" : "every";
}

/** Holds per provider and client credential, in memory, bounded. */
export class CredentialHolds {
  readonly #clock: Clock;
  readonly #maxEntries: number;
  // `provider \n hash` -> model (or EVERY_MODEL) -> hold. Insertion order is age: an entry
  // written again moves to the end.
  readonly #entries = new Map<string, Map<string, CredentialHold>>();

  constructor(options: CredentialHoldOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#maxEntries = options.maxEntries ?? 4096;
  }

  /** Entries held (for tests and bounds). */
  get size(): number {
    return this.#entries.size;
  }

  /** Holds of every entry together, per model or of every model (for tests and bounds). */
  get holds(): number {
    let n = 0;
    for (const entry of this.#entries.values()) n += entry.size;
    return n;
  }

  /** The hold keeping `credential` from `provider`'s `model`, while one runs. */
  holding(provider: string, credential: CredentialRef, model: string): CredentialHold | undefined {
    const entry = this.#entries.get(entryKey(provider, credential));
    if (!entry) return undefined;
    const now = this.#clock.now();
    let found: CredentialHold | undefined;
    for (const scope of [model, EVERY_MODEL]) {
      const hold = entry.get(scope);
      if (hold === undefined) continue;
      if (hold.until <= now) entry.delete(scope);
      else if (!found || hold.until > found.until) found = hold;
    }
    if (entry.size === 0) this.#entries.delete(entryKey(provider, credential));
    return found;
  }

  /**
   * Remembers a failure of `credential` at `provider`'s `model`; returns the hold, or undefined
   * when the failure is not worth remembering (a 429 that does not say when it lifts is most
   * often a momentary throttle: the next turn may well be served).
   */
  failed(
    provider: string,
    credential: CredentialRef,
    model: string,
    failure: Failure,
    verdict: Classification,
  ): CredentialHold | undefined {
    const status = failure.status ?? 0;
    const now = this.#clock.now();
    let hold: CredentialHold;
    let scope: string;
    if (verdict.cause === "rate_limit") {
      if (verdict.retryAfterMs === undefined) return undefined;
      const wait = Math.min(Math.max(0, verdict.retryAfterMs), MAX_HOLD_MS);
      hold = { until: now + wait, status, hinted: wait === verdict.retryAfterMs };
      scope = holdScope(failure.headers) === "every" ? EVERY_MODEL : model;
    } else if (verdict.cause === "auth") {
      hold = { until: now + REFUSED_MS, status, hinted: false };
      // A 403 may refuse one model only (a plan without it); a 401 or 402 is the credential's.
      scope = status === 403 ? model : EVERY_MODEL;
    } else return undefined;
    if (hold.until <= now) return undefined;
    const key = entryKey(provider, credential);
    const entry = this.#entries.get(key) ?? new Map<string, CredentialHold>();
    this.#entries.delete(key);
    if (entry.size >= MAX_MODELS_PER_CREDENTIAL && !entry.has(scope)) {
      for (const [model, old] of entry) if (old.until <= now) entry.delete(model);
    }
    setNewest(entry, scope, hold, MAX_MODELS_PER_CREDENTIAL, EVERY_MODEL);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
    return hold;
  }

  /** `credential` was served by `provider`'s `model`: the holds it answered past end. */
  answered(provider: string, credential: CredentialRef, model: string): void {
    const key = entryKey(provider, credential);
    const entry = this.#entries.get(key);
    if (!entry) return;
    entry.delete(model);
    entry.delete(EVERY_MODEL);
    if (entry.size === 0) this.#entries.delete(key);
  }
}

function entryKey(provider: string, credential: CredentialRef): string {
  return `${provider}\n${credential.id}`;
}
