/**
 * The id under which a store shared by instances keeps what it learns of one server's account
 * (its circuits, rate window and slots): a list of keys, in any order, named alike by every
 * instance given the same keys, whatever tokens each one's clients use.
 *
 * Their last 4 characters would not do: two accounts' keys may end alike (and a key shorter than
 * 16 characters shows none), and two accounts sharing one circuit or one rate window fail or wait
 * for each other. No secret of the instance can key the hash (instances with other tokens must
 * agree), so it is made slow to try: one who reads the store must not test guesses of a short
 * key (a self-hosted server's password) against it at a hash's speed.
 */

import { hexPrefix } from "./guard_entries.ts";

const ROUNDS = 100_000;
const SALT = new TextEncoder().encode("ccp key list id");

/** Key lists already hashed (each costs tens of milliseconds), bounded for a long run's reloads. */
const known = new Map<string, Promise<string>>();
const MAX_KNOWN = 256;

/** The id of `keys` (in hex, 16 digits): the same for the same keys in any order. */
export function keyListId(keys: readonly string[]): Promise<string> {
  const text = [...keys].sort().join("\n");
  let id = known.get(text);
  if (id) return id;
  id = derive(text);
  if (known.size >= MAX_KNOWN) known.delete(known.keys().next().value!);
  known.set(text, id);
  return id;
}

async function derive(text: string): Promise<string> {
  const encoded = new TextEncoder().encode(text);
  const key = await crypto.subtle.importKey("raw", encoded, "PBKDF2", false, ["deriveBits"]);
  const params = { name: "PBKDF2", hash: "SHA-256", salt: SALT, iterations: ROUNDS };
  return hexPrefix(await crypto.subtle.deriveBits(params, key, 64), 8);
}
