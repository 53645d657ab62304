/**
 * Learned guard state as flat entries, one field and one value each, so that Redis (a hash per
 * provider) and the embedded store (a record per provider) keep it the same way. Each value
 * starts with the epoch ms it ends at:
 *   c|<key>|<model> -> "<until>|<hinted 0/1>|<reason>" a key cooling after a 429
 *   a|<key>         -> "<until>|<status>|<reason>"   a key set aside after 401/402
 *   m|<key>|<model> -> "<until>|<status>|<reason>"   a key set aside for one model after a 403
 *   b|<model>       -> "<until>|<last error>"        an open circuit
 * A key is named by its index in the provider's list in the embedded store (which keeps the
 * list's ids beside them, to find each kept key's place in a changed list), and by a keyed hash of
 * its value in Redis (see `keyIds`), where instances may list the same keys in another order.
 */

import type { CircuitBreaker } from "../resilience/circuit_breaker.ts";
import { type KeyPool, WHOLE_KEY } from "../resilience/key_pool.ts";
import { coolingScopes } from "../resilience/key_slot.ts";

/** One learned entry. */
export type GuardEntry = readonly [field: string, value: string];

/** How an entry names a key: its index, or an id that is the same for every instance. */
export type KeyRef = number | string;

/**
 * The secret that keys the ids: the tokens clients present (`server.auth_token`, else every named
 * client's). Every instance behind one load balancer accepts the same tokens, so they derive the
 * same ids without any setting of their own, while someone who can read Redis but holds no token
 * cannot tell which key an id names by hashing a key they guess. Without a token it is empty, and
 * the ids are only as secret as the keys are hard to guess.
 */
export function keyIdSecret(
  server: { readonly authToken?: string; readonly clients?: readonly { token: string }[] },
): string {
  if (server.authToken) return server.authToken;
  return (server.clients ?? []).map((c) => c.token).sort().join("\n");
}

/**
 * Ids of keys that every instance holding the same `secret` derives alike and that never reveal
 * a key: the first 48 bits of an HMAC-SHA-256 of each value under `secret` (in hex), in the order
 * given.
 */
export function keyIds(keys: readonly string[], secret: string): Promise<string[]> {
  return Promise.all(keys.map(keyedHash("ccp key ids", secret, 6)));
}

/**
 * An HMAC-SHA-256 under `secret`, as the store that names keys, sessions or key lists by it uses
 * it (`label` keeps one use's hashes from matching another's): a text's first `bytes` bytes in hex.
 */
export function keyedHash(
  label: string,
  secret: string,
  bytes: number,
): (text: string) => Promise<string> {
  const encoder = new TextEncoder();
  const key = crypto.subtle.importKey(
    "raw",
    encoder.encode(`${label}\n${secret}`),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return async (text) =>
    hexPrefix(await crypto.subtle.sign("HMAC", await key, encoder.encode(text)), bytes);
}

/** The first `bytes` bytes of a digest, in hex. */
export function hexPrefix(digest: ArrayBuffer, bytes: number): string {
  return Array.from(new Uint8Array(digest, 0, bytes), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * A key cooling down for `model` after a 429, with what the upstream said (a day's quota spent):
 * the words a client refused for it is told, where the entry is taken back.
 */
export function coolingEntry(
  index: KeyRef,
  model: string,
  until: number,
  hinted: boolean,
  reason = "",
): GuardEntry {
  const said = reason === "" ? "" : `|${reason.slice(0, 200)}`;
  return [coolingField(index, model), `${Math.round(until)}|${hinted ? 1 : 0}${said}`];
}

function coolingField(index: KeyRef, model: string): string {
  return `c|${index}|${model}`;
}

/** A key set aside after 401/402, or for `model` only (a 403). */
export function setAsideEntry(
  index: KeyRef,
  until: number,
  status: number,
  reason: string,
  model: string = WHOLE_KEY,
): GuardEntry {
  return [setAsideField(index, model), `${Math.round(until)}|${status}|${reason.slice(0, 200)}`];
}

// A set-aside for one model has a letter of its own: an instance that knows only whole-key
// set-asides passes it over instead of setting the key aside for every model.
function setAsideField(index: KeyRef, model: string = WHOLE_KEY): string {
  return model === WHOLE_KEY ? `a|${index}` : `m|${index}|${model}`;
}

/**
 * The entries a key's answer ends, as the key pool ends them in memory: its set-aside and, given
 * the model it answered for, its set-aside for that model and (unless `limits` is false: an
 * answer from an endpoint whose limits are not Messages') its cool-downs for that model and for
 * the wider limits it falls under (the whole key's, a free model's free models').
 */
export function clearedFields(index: KeyRef, model?: string, limits = true): string[] {
  if (model === undefined || model === WHOLE_KEY) return [setAsideField(index)];
  const aside = [setAsideField(index), setAsideField(index, model)];
  if (!limits) return aside;
  return [...aside, ...coolingScopes(model).map((name) => coolingField(index, name))];
}

/**
 * The entries of what `keys` holds about its keys now, each named by its index: after a reload
 * changed the provider's key list, what the pool took over for the keys it kept, under their new
 * places.
 */
export function poolEntries(keys: KeyPool): GuardEntry[] {
  return keys.rests().map((rest) =>
    "hinted" in rest
      ? coolingEntry(rest.index, rest.model, rest.until, rest.hinted, rest.reason)
      : setAsideEntry(rest.index, rest.until, rest.status, rest.reason, rest.model)
  );
}

/** The field of a target's open circuit. */
export function circuitField(model: string): string {
  return `b|${model}`;
}

/** A target's circuit, open until `until`. */
export function circuitEntry(model: string, until: number, lastError?: string): GuardEntry {
  return [circuitField(model), `${Math.round(until)}|${(lastError ?? "").slice(0, 200)}`];
}

/** When an entry ends (epoch ms); NaN for a value that is not an entry. */
export function entryEnd(value: string): number {
  return Number.parseInt(value, 10);
}

/**
 * A key entry's field with its key moved from index `from` to wherever `place` puts it, undefined
 * when `place` has no place for it (the key is gone); any other field as it is.
 */
export function movedField(
  field: string,
  place: (index: number) => number | undefined,
): string | undefined {
  if (!isKeyEntry(field)) return field;
  const parts = field.split("|");
  const to = place(Number(parts[1]));
  return to === undefined ? undefined : [parts[0], to, ...parts.slice(2)].join("|");
}

/** True for an entry about keys (adopted by any model's request), false for a circuit. */
export function isKeyEntry(field: string): boolean {
  return field.startsWith("c|") || field.startsWith("a|") || field.startsWith("m|");
}

/**
 * Applies one entry to the local guards of `model`'s target; `indexOf` finds the key an entry
 * names (by default, the entry names its index), and an entry about a key the target does not
 * have is passed over.
 */
export function adoptEntry(
  field: string,
  value: string,
  target: { readonly model: string; readonly keys: KeyPool; readonly breaker: CircuitBreaker },
  indexOf: (key: string) => number | undefined = Number,
): void {
  const parts = field.split("|");
  const values = value.split("|");
  const until = Number(values[0]);
  const index = parts[0] === "c" || parts[0] === "a" || parts[0] === "m"
    ? indexOf(parts[1] ?? "")
    : undefined;
  if (parts[0] === "c") {
    if (index === undefined) return;
    const model = parts.slice(2).join("|");
    const reason = values.slice(2).join("|");
    target.keys.adoptCooling(index, model, until, values[1] === "1", reason || undefined);
  } else if (parts[0] === "a" || parts[0] === "m") {
    if (index === undefined) return;
    target.keys.adoptSetAside(
      index,
      until,
      Number(values[1]),
      values.slice(2).join("|"),
      parts[0] === "m" ? parts.slice(2).join("|") : WHOLE_KEY,
    );
  } else if (parts[0] === "b" && parts.slice(1).join("|") === target.model) {
    target.breaker.adoptOpen(until, values.slice(1).join("|") || undefined);
  }
}
