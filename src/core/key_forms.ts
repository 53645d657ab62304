/**
 * Finding a key in the other shapes an upstream may quote it in: encoded (base64 in a Basic
 * credential it rebuilt, percent-encoding in a URL it repeats, JSON's escaped slash) or cut into
 * pieces (a key split across two JSON strings, or wrapped across lines).
 */

/**
 * The shortest piece of a key found on its own. Long enough that no word of an upstream's own
 * and no key's public prefix (`sk-ant-api03-` is 13 characters) is one, and that a provider's
 * masked form of a key (its first few and last 4 characters) stays as the provider chose to show it.
 */
export const MIN_PIECE = 16;

// An encoded form shorter than this could be a word; the key itself is matched at any length.
const MIN_FORM = 8;
const encoder = new TextEncoder();

/**
 * `key` as an upstream may echo it encoded: percent-encoded (with upper- or lower-case hex),
 * with `/` written `\/` as JSON encoders may, and in base64 and base64url at each of the three
 * offsets it can start at inside a longer encoded text (`user:key` in a Basic credential). Of a
 * base64 form, only the characters that the key's bytes alone decide: those at its ends depend
 * on the bytes around it.
 */
export function encodedForms(key: string): string[] {
  const forms = new Set<string>();
  const percent = encodeURIComponent(key);
  if (percent !== key) {
    forms.add(percent);
    forms.add(percent.replace(/%[0-9A-F]{2}/g, (code) => code.toLowerCase()));
  }
  if (key.includes("/")) forms.add(key.replaceAll("/", "\\/"));
  const bytes = encoder.encode(key);
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    let binary = "";
    for (const byte of padded) binary += String.fromCharCode(byte);
    const encoded = btoa(binary);
    // Character k holds bits 6k to 6k+6 of the bytes: the key's own when they lie within it.
    const form = encoded.slice(Math.ceil(offset * 8 / 6), Math.floor(padded.length * 8 / 6));
    forms.add(form);
    forms.add(form.replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return [...forms].filter((form) => form.length >= MIN_FORM && form !== key);
}

/**
 * What to look for in a text for a set of keys: every window of {@link MIN_PIECE} characters of
 * each key and each of its encoded forms, by a rolling hash (so a clean text costs one pass of
 * integer arithmetic, whatever the number of keys), and the keys and forms too short for a
 * window, matched whole.
 */
export class KeyFinder {
  readonly #hashes = new Set<number>();
  readonly #long: string[] = [];
  readonly #short: string[] = [];

  constructor(keys: readonly string[], minKey: number) {
    setUpHash();
    for (const key of keys) {
      if (key.length < minKey) continue;
      for (const text of [key, ...encodedForms(key)]) {
        if (text.length < MIN_PIECE) {
          this.#short.push(text);
          continue;
        }
        this.#long.push(text);
        for (let p = 0, h = hashAt(text, 0);; p++) {
          this.#hashes.add(h);
          if (p + MIN_PIECE >= text.length) break;
          h = roll(h, text.charCodeAt(p), text.charCodeAt(p + MIN_PIECE));
        }
      }
    }
    // Longest first: a key that holds a shorter one is taken whole.
    this.#short.sort((a, b) => b.length - a.length);
  }

  /**
   * `text` with each stretch covered by runs of {@link MIN_PIECE} or more characters of a key or
   * its forms (a whole key is one such run, and so is each long enough piece of one cut in two),
   * and each short key or form, replaced by `mark`.
   */
  replace(text: string, mark: string): string {
    let out = text;
    for (const short of this.#short) if (out.includes(short)) out = out.split(short).join(mark);
    if (this.#hashes.size === 0 || out.length < MIN_PIECE) return out;
    let result = "";
    let kept = 0;
    // The end of the stretch being covered, or -1 before the first.
    let coveredTo = -1;
    for (let p = 0, h = hashAt(out, 0);; p++) {
      if (this.#hashes.has(h) && this.#holds(out.slice(p, p + MIN_PIECE))) {
        if (p > coveredTo) {
          if (coveredTo >= 0) kept = coveredTo;
          result += out.slice(kept, p) + mark;
        }
        coveredTo = p + MIN_PIECE;
      }
      if (p + MIN_PIECE >= out.length) break;
      h = roll(h, out.charCodeAt(p), out.charCodeAt(p + MIN_PIECE));
    }
    return coveredTo < 0 ? out : result + out.slice(coveredTo);
  }

  /** Whether `window` is part of a key or form (a hash matched: it almost always is). */
  #holds(window: string): boolean {
    for (const text of this.#long) if (text.includes(window)) return true;
    return false;
  }
}

let base = 0;
let power = 0;

/** A random odd base: text chosen to collide for one base collides for no other. */
function setUpHash(): void {
  if (base !== 0) return;
  base = crypto.getRandomValues(new Uint32Array(1))[0]! | 1;
  power = 1;
  for (let i = 1; i < MIN_PIECE; i++) power = Math.imul(power, base);
}

/** The hash of the window of `s` at `p`. */
function hashAt(s: string, p: number): number {
  let h = 0;
  for (let i = p; i < p + MIN_PIECE && i < s.length; i++) {
    h = (Math.imul(h, base) + s.charCodeAt(i)) | 0;
  }
  return h;
}

/** The hash of the next window: `out` leaves it, `into` joins it. */
function roll(h: number, out: number, into: number): number {
  return (Math.imul((h - Math.imul(out, power)) | 0, base) + into) | 0;
}
