/** Random identifiers in the shapes Anthropic uses (`msg_...`, `toolu_...`). */

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ALPHABET_CODES = Array.from(ALPHABET, (c) => c.charCodeAt(0));

// Random bytes drawn from the CSPRNG 4 KiB at a time: one call per id (each request takes two
// or more) cost more than the id itself.
const pool = new Uint8Array(4096);
let used = pool.length;

// The character codes of the id being made, turned into one string at the end: appending a
// character at a time made a new string per character (~0.7 KB of garbage per id).
const codes: number[] = [];

/** Returns `length` random base62 characters from the platform CSPRNG. */
export function randomBase62(length: number): string {
  codes.length = length;
  for (let i = 0; i < length; i++) {
    if (used === pool.length) {
      crypto.getRandomValues(pool);
      used = 0;
    }
    // 62 does not divide 256; the bias of a plain modulo is harmless for ids.
    codes[i] = ALPHABET_CODES[pool[used++]! % 62]!;
  }
  return String.fromCharCode.apply(null, codes);
}

/** A fresh request id (`req_...`), sent to clients as `request-id`. */
export function newRequestId(): string {
  return `req_${randomBase62(24)}`;
}

/** A fresh Anthropic-style message id. */
export function newMessageId(): string {
  return `msg_${randomBase62(24)}`;
}

/** A fresh Anthropic-style tool-use id. */
export function newToolUseId(): string {
  return `toolu_${randomBase62(24)}`;
}

/** A deterministic 64-bit FNV-1a hash of a string, as 16 hex digits (sync, no I/O). */
export function fnv1a64Hex(text: string): string {
  // Two 32-bit halves instead of BigInt keep this cheap; the constants are FNV's 64-bit ones.
  let h1 = 0x84222325, h0 = 0xcbf29ce4;
  for (let i = 0; i < text.length; i++) {
    h1 = (h1 ^ text.charCodeAt(i)) >>> 0;
    // multiply (h0:h1) by the 64-bit FNV prime 0x100000001b3
    const lo = h1 * 0x1b3;
    const hi = h0 * 0x1b3 + (h1 << 8) + Math.floor(lo / 0x100000000);
    h1 = lo >>> 0;
    h0 = hi >>> 0;
  }
  return h0.toString(16).padStart(8, "0") + h1.toString(16).padStart(8, "0");
}

/**
 * A prompt-cache key per client session: Claude Code's `metadata.user_id` names its session, so
 * its hash groups one conversation's requests without sending the id itself.
 */
export function promptCacheKey(userId: unknown): string | undefined {
  return typeof userId === "string" && userId ? `ccp_${fnv1a64Hex(userId)}` : undefined;
}
