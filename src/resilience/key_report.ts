/** What a {@link KeyPool} tells others: why no key is usable, and each key's state for /health. */

import {
  type Block,
  blockFor,
  type Cooling,
  coolingFor,
  type Slot,
  WHOLE_KEY,
} from "./key_slot.ts";

/** Why no key can be used right now. */
export interface KeysUnavailable {
  /** `cooling` when at least one key will come back from a 429 cool-down, else `blocked`. */
  readonly reason: "cooling" | "blocked";
  readonly cooling: number;
  readonly blocked: number;
  /** Earliest moment a cooling key comes back (or a blocked one is re-tried when none cools). */
  readonly retryAt: number;
  /** True when every cooling key waits out a `Retry-After` the upstream itself sent. */
  readonly hinted: boolean;
  /** Statuses that blocked keys, most recent first, without repeats. */
  readonly recentStatuses: readonly number[];
  /** What the upstream said when it refused the key set aside last (key-free, one line). */
  readonly lastRefusal?: string;
  /** What the upstream said with the last 429 of a key cooling now (a daily quota, a minute's). */
  readonly lastLimit?: string;
  /** The provider has no key at all (its one slot sends none). */
  readonly keyless: boolean;
  /**
   * The provider needs a key of ccp's and has none: what to set, as `ccp check` names it. Nothing
   * is sent, since the upstream would only refuse it: only a key ccp is given (a reload) helps.
   */
  readonly missing?: string;
}

/** Why a provider that needs a key and has none serves nothing: no key to wait for. */
export function keyMissing(missing: string, now: number): KeysUnavailable {
  return {
    reason: "blocked",
    cooling: 0,
    blocked: 0,
    retryAt: now,
    hinted: false,
    recentStatuses: [],
    keyless: true,
    missing,
  };
}

/**
 * A key's cool-down (`hinted`, `reason`) or set-aside (`status`, `reason`) for `model`, by the
 * key's index; a set-aside for every model is under {@link WHOLE_KEY}.
 */
export type KeyRest =
  & { readonly index: number; readonly model: string; readonly until: number }
  & ({ readonly hinted: boolean; readonly reason: string } | Block);

/** Each of `slots`' cool-downs and set-asides still running at `now`. */
export function restsOf(slots: readonly Slot[], now: number): KeyRest[] {
  const rests: KeyRest[] = [];
  slots.forEach((slot, index) => {
    for (const [model, c] of slot.cooling) {
      if (c.until <= now) continue;
      rests.push({ index, model, until: c.until, hinted: c.hinted, reason: c.reason ?? "" });
    }
    const blocks: Array<[string, Block]> = [...slot.blocks];
    const whole = blockFor(slot, WHOLE_KEY, now);
    if (whole) blocks.push([WHOLE_KEY, whole]);
    for (const [model, { until, status, reason }] of blocks) {
      if (until > now) rests.push({ index, model, until, status, reason });
    }
  });
  return rests;
}

/** Per-key state for GET /health. */
export interface KeySnapshot {
  readonly label: string;
  readonly state: "ready" | "cooling" | "blocked";
  readonly until?: number;
  readonly status?: number;
  readonly reason?: string;
  readonly uses: number;
  /** Models this key is cooling down for after a 429 (the key serves its other models). */
  readonly models?: Readonly<Record<string, { until: number; hinted: boolean }>>;
  /** Models this key is set aside for after a 403 (the key serves its other models). */
  readonly setAside?: Readonly<Record<string, Block>>;
}

/** Why none of `slots` can serve `model` at `now` (every one is set aside or cooling). */
export function unavailableOf(
  slots: readonly Slot[],
  model: string,
  now: number,
): KeysUnavailable {
  const cooling: Cooling[] = [];
  const blocked: Array<{ slot: Slot; block: Block }> = [];
  let latest: { seq: number; reason: string } | undefined;
  for (const slot of slots) {
    const block = blockFor(slot, model, now);
    if (block) blocked.push({ slot, block });
    else {
      const c = coolingFor(slot, model, now);
      if (!c) continue;
      cooling.push(c);
      if (c.reason && (!latest || slot.setAsideSeq > latest.seq)) {
        latest = { seq: slot.setAsideSeq, reason: c.reason };
      }
    }
  }
  const recent = [...blocked].sort((a, b) => b.slot.setAsideSeq - a.slot.setAsideSeq)
    .map((b) => b.block);
  const untils = cooling.length > 0 ? cooling.map((c) => c.until) : recent.map((b) => b.until);
  return {
    reason: cooling.length > 0 ? "cooling" : "blocked",
    cooling: cooling.length,
    blocked: blocked.length,
    retryAt: Math.min(...untils),
    hinted: cooling.length > 0 && cooling.every((c) => c.hinted),
    recentStatuses: [...new Set(recent.map((b) => b.status))],
    ...(recent[0]?.reason ? { lastRefusal: recent[0].reason } : {}),
    ...(latest ? { lastLimit: latest.reason } : {}),
    keyless: slots.length === 1 && slots[0]!.lease.value === "",
  };
}

/** One key's state for GET /health. */
export function snapshotOf(s: Slot, now: number): KeySnapshot {
  const whole = coolingFor(s, WHOLE_KEY, now);
  const models: Record<string, { until: number; hinted: boolean }> = {};
  for (const [model, c] of s.cooling) {
    if (model !== WHOLE_KEY && c.until > now) {
      models[model] = { until: c.until, hinted: c.hinted };
    }
  }
  const setAside: Record<string, Block> = {};
  for (const [model, { until, status, reason }] of s.blocks) {
    if (until > now) setAside[model] = { until, status, reason };
  }
  const blocked = s.blockedUntil > now;
  const base = { label: s.lease.label, uses: s.uses };
  const perModel = {
    ...(Object.keys(models).length > 0 ? { models } : {}),
    ...(Object.keys(setAside).length > 0 ? { setAside } : {}),
  };
  if (blocked) {
    return {
      ...base,
      state: "blocked",
      until: s.blockedUntil,
      status: s.status,
      reason: s.reason,
      ...perModel,
    };
  }
  if (whole) {
    return {
      ...base,
      state: "cooling",
      until: whole.until,
      status: 429,
      reason: "rate limited (429)",
      ...perModel,
    };
  }
  return { ...base, state: "ready", ...perModel };
}
