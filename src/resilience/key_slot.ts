/**
 * One key's state inside a {@link KeyPool}: its lease, its 401/403 set-aside, its 429 cool-downs
 * per upstream model, and the rules that read and bound them.
 */

import { setNewest } from "../core/bounded_map.ts";
import { redactKey } from "../core/secrets.ts";

/** One key as handed to a caller: the value to send and a label safe to log. */
export interface KeyLease {
  readonly index: number;
  readonly value: string;
  /** `key 2 (...abcd)`: position plus the last 4 characters, never more. */
  readonly label: string;
}

/** A 429 cool-down of one key, for one model or (under {@link WHOLE_KEY}) for all of them. */
export interface Cooling {
  until: number;
  strikes: number;
  hinted: boolean;
  /** What the upstream said with the 429 (key-free, one line), when known here. */
  reason?: string;
}

/** A set-aside after 401/402/403: until when, the status and the upstream's words (key-free). */
export interface Block {
  readonly until: number;
  readonly status: number;
  readonly reason: string;
}

/** A set-aside for one model, with its place in the pool's order of set-asides. */
export interface ModelBlock extends Block {
  readonly seq: number;
}

/** One key of a pool and what has happened to it. */
export interface Slot {
  readonly lease: KeyLease;
  /** Set aside after 401/402/403 until this moment (0: not blocked). */
  blockedUntil: number;
  status?: number;
  reason?: string;
  /** Place of the whole-key set-aside in the pool's order of set-asides. */
  blockedSeq: number;
  /** Set-asides for one upstream model (a 403: an account without access to that model). */
  readonly blocks: Map<string, ModelBlock>;
  /** 429 cool-downs by upstream model; {@link WHOLE_KEY} for the whole key. */
  readonly cooling: Map<string, Cooling>;
  /** Consecutive 429s per model (kept after a cool-down ends, cleared by a success). */
  readonly strikes: Map<string, number>;
  uses: number;
  /** Successes since the pool last turned to this key (the count `key_usage_limit` bounds). */
  turnUses: number;
  /** Order in which keys were set aside, for "most recent first". */
  setAsideSeq: number;
}

/** The cool-down key of a 429 that limits every model of the key. */
export const WHOLE_KEY = "*";
/**
 * The cool-down key of a 429 that limits every free model of the key (OpenRouter's `:free`
 * variants count against one daily limit of the account) and none of its paid ones.
 */
export const FREE_MODELS = ":free";

/**
 * Whether `model` is a free variant, limited with the key's other free models; OpenRouter's free
 * models router (`openrouter/free`) picks one of them for each request.
 */
function isFreeModel(model: string): boolean {
  return (model.endsWith(FREE_MODELS) && model !== FREE_MODELS) || model === "openrouter/free";
}

/** The cool-down keys that may keep a key from serving `model`: its own, and the wider ones. */
export function coolingScopes(model: string): readonly string[] {
  if (model === WHOLE_KEY) return [WHOLE_KEY];
  return isFreeModel(model) ? [model, FREE_MODELS, WHOLE_KEY] : [model, WHOLE_KEY];
}

export const THIRTY_MINUTES = 30 * 60_000;
/** First 429 cool-down without a server hint; doubles per consecutive 429. */
export const FIRST_COOL_MS = 1000;
/** No cool-down, hinted or not, lasts longer: providers announce resets that come sooner. */
export const MAX_COOL_MS = THIRTY_MINUTES;
/**
 * The cap for a reset the upstream stated as a moment (a plan's weekly or monthly window): that
 * moment is when the limit lifts, not a guess, and asking sooner only hears the same refusal.
 */
export const MAX_STATED_COOL_MS = 31 * 24 * 3_600_000;
/**
 * Models one key keeps 429 history for. A client may name any upstream model, and a key's
 * per-model strikes are never read again for a model nobody asks for: past this many, those of
 * the models not rate limited lately are forgotten (the whole-key entry never is).
 */
export const MAX_MODELS_PER_KEY = 256;

/** `key 2 (...abcd)` for the key at `index`, or `no key`; the only way a key is ever shown. */
export function labelOf(key: string, index: number): string {
  return key === "" ? "no key" : `key ${index + 1} (${redactKey(key)})`;
}

/** A fresh slot for the key `value` at `index`. */
export function newSlot(value: string, index: number): Slot {
  return {
    lease: { index, value, label: labelOf(value, index) },
    blockedUntil: 0,
    blockedSeq: 0,
    blocks: new Map(),
    cooling: new Map(),
    strikes: new Map(),
    uses: 0,
    turnUses: 0,
    setAsideSeq: 0,
  };
}

/** The cool-down that keeps `slot` from serving `model` now, if any (expired ones are dropped). */
export function coolingFor(slot: Slot, model: string, now: number): Cooling | undefined {
  let found: Cooling | undefined;
  for (const name of coolingScopes(model)) {
    const c = slot.cooling.get(name);
    if (!c) continue;
    // Expiry is checked lazily on read, so no timers run per key.
    if (c.until <= now) slot.cooling.delete(name);
    else if (!found || c.until > found.until) found = c;
  }
  return found;
}

/** Records a cool-down, within {@link MAX_MODELS_PER_KEY}: ended ones go first, then the oldest. */
export function cool(slot: Slot, model: string, cooling: Cooling, now: number): void {
  if (slot.cooling.size >= MAX_MODELS_PER_KEY && !slot.cooling.has(model)) {
    for (const [name, c] of slot.cooling) if (c.until <= now) slot.cooling.delete(name);
  }
  setNewest(slot.cooling, model, cooling, MAX_MODELS_PER_KEY, WHOLE_KEY);
}

/**
 * The set-aside that keeps `slot` from serving `model` now (expired ones dropped): with both a
 * whole-key one and one for `model`, the later, as it says what the key is answered now (a key set
 * aside after a 401, re-tried for a model that then answered 403). Both last as long, so the one
 * ending later was recorded later; two recorded within the same millisecond end together, and the
 * order they were recorded in decides.
 */
export function blockFor(slot: Slot, model: string, now: number): Block | undefined {
  const whole = slot.blockedUntil > now
    ? { until: slot.blockedUntil, status: slot.status ?? 0, reason: slot.reason ?? "" }
    : undefined;
  if (model === WHOLE_KEY) return whole;
  const block = slot.blocks.get(model);
  if (block && block.until <= now) slot.blocks.delete(model);
  const own = block && block.until > now ? block : undefined;
  if (!whole || !own) return whole ?? own;
  const later = own.until > whole.until ||
    (own.until === whole.until && own.seq > slot.blockedSeq);
  return later ? own : whole;
}

/** Records a set-aside for one model, within {@link MAX_MODELS_PER_KEY}, ended ones first. */
export function blockModel(slot: Slot, model: string, block: ModelBlock, now: number): void {
  if (slot.blocks.size >= MAX_MODELS_PER_KEY && !slot.blocks.has(model)) {
    for (const [name, b] of slot.blocks) if (b.until <= now) slot.blocks.delete(name);
  }
  setNewest(slot.blocks, model, block, MAX_MODELS_PER_KEY);
}

/** Ends a whole-key set-aside. */
export function unblock(slot: Slot): void {
  slot.blockedUntil = 0;
  slot.status = undefined;
  slot.reason = undefined;
}

/**
 * Gives `slot` the guards `old` (the same key, in the pool a reload replaced) still runs: its
 * set-asides, cool-downs and strikes.
 */
export function inherit(slot: Slot, old: Slot, now: number): void {
  if (old.blockedUntil > now) {
    slot.blockedUntil = old.blockedUntil;
    slot.blockedSeq = old.blockedSeq;
    slot.status = old.status;
    slot.reason = old.reason;
  }
  for (const [model, block] of old.blocks) if (block.until > now) slot.blocks.set(model, block);
  for (const [model, c] of old.cooling) if (c.until > now) slot.cooling.set(model, { ...c });
  for (const [model, strikes] of old.strikes) slot.strikes.set(model, strikes);
  slot.setAsideSeq = old.setAsideSeq;
}
