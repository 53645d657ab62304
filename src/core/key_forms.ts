/**
 * Finding a key in the other shapes an upstream may quote it in: encoded (base64 in a Basic
 * credential it rebuilt, percent-encoding in a URL it repeats, JSON's escaped slash or `\u`
 * escapes, HTML entities in an error page, hex in a dump of the request) or cut into pieces (a
 * key split across two JSON strings, or wrapped across lines), in any letter case (an upstream
 * that lower-cases what it quotes, hex in capitals).
 */

/**
 * The shortest piece of a key found on its own. Long enough that no word of an upstream's own
 * and no key's public prefix (`sk-ant-api03-` is 13 characters) is one, and that a provider's
 * masked form of a key (its first few and last 4 characters) stays as the provider chose to show it
 * (unless it leaves too little of a short key unshown: see KeyFinder's #masked).
 */
export const MIN_PIECE = 16;

/** The shortest piece of a key cut in two that is found, when the other piece is there too. */
export const MIN_HALF = 4;

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
  // Matching ignores letter case, so one form stands for upper- and lower-case hex digits.
  forms.add(encodeURIComponent(key));
  if (key.includes("/")) {
    forms.add(key.replaceAll("/", "\\/"));
    // HTML escapers that write the slash as an entity (OWASP's rule) and leave the rest.
    for (const entity of ["&#x2f;", "&#47;", "&sol;"]) forms.add(key.replaceAll("/", entity));
  }
  // Every sign written as a numeric entity, or as JSON's `\u00XX` (.NET's encoder writes `+` so).
  const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(2, "0");
  forms.add(key.replace(SIGN, (c) => `&#x${hex(c)};`));
  forms.add(key.replace(SIGN, (c) => `&#${c.charCodeAt(0)};`));
  forms.add(key.replace(SIGN, (c) => `\\u00${hex(c)}`));
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

// An ASCII character other than a letter or digit (a key's `-`, `_`, `/`, `+`, `=`, `.`).
const SIGN = /[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g;

/**
 * `key`'s bytes in hex, which a dump of the request shows. Found in pieces as the key is: each run
 * of {@link MIN_PIECE} hex digits is 8 of the key's bytes.
 */
function hexForm(key: string): string {
  return Array.from(encoder.encode(key), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What to look for in a text for a set of keys, by a rolling hash of {@link MIN_PIECE} characters
 * (so a clean text costs one pass of integer arithmetic, whatever the number of keys): every
 * window of each key, so that any piece that long is found, and the first window of each encoded
 * form, which is then found whole. Keys and forms too short for a window are matched whole. A
 * hash found is checked against the windows it stands for, character by character: a text made of
 * key pieces costs a few steps a character, not a search of every key.
 */
export class KeyFinder {
  /** Per hash, where its windows are: `text * MAX_TEXT + offset` into `#texts`. */
  readonly #windows = new Map<number, number | number[]>();
  /** Keys (found in pieces) and encoded forms (found whole, from their first window). */
  readonly #texts: { readonly text: string; readonly whole: boolean }[] = [];
  readonly #short: string[] = [];
  #shortFound: RegExp[] = [];
  /** Keys too short for two pieces of {@link MIN_PIECE}, found cut in two (see #halves). */
  readonly #halved: { readonly key: string; readonly ends: readonly RegExp[] }[] = [];
  /** Keys shorter than {@link MIN_PIECE}: their ends beside a mask (see #masked). */
  readonly #maskable: { readonly key: string; readonly ends: RegExp }[] = [];

  constructor(keys: readonly string[], minKey: number) {
    setUpHash();
    for (const key of keys) {
      if (key.length < minKey) continue;
      if (key.length < MIN_PIECE) this.#maskable.push({ key, ends: maskedEnds(key) });
      if (key.length >= 2 * MIN_HALF && key.length < 2 * MIN_PIECE) {
        const ends = [key.slice(0, MIN_HALF), key.slice(-MIN_HALF)];
        this.#halved.push({ key, ends: ends.map((end) => new RegExp(escapeRegExp(end), "i")) });
      }
      const pieces = [key, hexForm(key)];
      for (const text of [...pieces, ...encodedForms(key)]) {
        if (text.length < MIN_PIECE || text.length > MAX_TEXT) {
          this.#short.push(text);
          continue;
        }
        const whole = !pieces.includes(text);
        const at = this.#texts.push({ text, whole }) - 1;
        for (let p = 0, h = hashAt(text, 0);; p++) {
          this.#add(h, at * MAX_TEXT + p);
          if (whole || p + MIN_PIECE >= text.length) break;
          h = roll(h, text.charCodeAt(p), text.charCodeAt(p + MIN_PIECE));
        }
      }
    }
    // Longest first: a key that holds a shorter one is taken whole.
    this.#short.sort((a, b) => b.length - a.length);
    this.#shortFound = this.#short.map((text) => new RegExp(shortPattern(text), "gi"));
    for (const found of this.#windows.values()) {
      if (typeof found !== "number") found.sort((a, b) => +this.#isWhole(b) - +this.#isWhole(a));
    }
  }

  #add(h: number, where: number): void {
    const known = this.#windows.get(h);
    if (known === undefined) this.#windows.set(h, where);
    else if (typeof known === "number") this.#windows.set(h, [known, where]);
    else known.push(where);
  }

  /**
   * `text` with each stretch covered by runs of {@link MIN_PIECE} or more characters of a key (a
   * whole key is one such run, and so is each long enough piece of one cut in two), by encoded
   * forms, by each short key or form, and by the two halves of a key cut in two (see #halves),
   * replaced by `mark`.
   */
  replace(text: string, mark: string): string {
    let out = text;
    for (const short of this.#shortFound) out = out.replace(short, mark);
    for (const { key, ends } of this.#maskable) out = this.#masked(out, key, ends, mark);
    out = this.#pieces(out, mark);
    // After the whole keys and long pieces, so that what is left of a key is all that is looked at.
    for (const { key, ends } of this.#halved) {
      // A clean text costs the two tests of the key's shortest start and end.
      if (ends.every((end) => end.test(out))) out = this.#halves(out, key, mark);
    }
    return out;
  }

  /** `out` with each stretch covered by runs of {@link MIN_PIECE} or more characters of a key. */
  #pieces(out: string, mark: string): string {
    if (this.#windows.size === 0 || out.length < MIN_PIECE) return out;
    let result = "";
    let kept = 0;
    // The end of the stretch being covered, or -1 before the first.
    let coveredTo = -1;
    for (let p = 0, h = hashAt(out, 0);; p++) {
      const found = this.#windows.get(h);
      const end = found === undefined ? -1 : this.#matchEnd(found, out, p);
      if (end > 0) {
        if (p > coveredTo) {
          if (coveredTo >= 0) kept = coveredTo;
          result += out.slice(kept, p) + mark;
        }
        coveredTo = Math.max(coveredTo, end);
      }
      if (p + MIN_PIECE >= out.length) break;
      h = roll(h, out.charCodeAt(p), out.charCodeAt(p + MIN_PIECE));
    }
    return coveredTo < 0 ? out : result + out.slice(coveredTo);
  }

  /**
   * `text` without a key shorter than two pieces of {@link MIN_PIECE} that it shows cut in two: a
   * start and an end of the key that together make all of it (a provider's masked form `Pz4L****w8Rn`
   * of an 8-character key, or a message that quotes the key's two halves in two fields). Each piece
   * is {@link MIN_HALF} characters or more; alone, neither is taken out, as a short one may be a word.
   */
  #halves(text: string, key: string, mark: string): string {
    const has = (piece: string) => new RegExp(escapeRegExp(piece), "i").test(text);
    let start = MIN_HALF;
    while (start < key.length - 1 && has(key.slice(0, start + 1))) start++;
    let end = MIN_HALF;
    while (end < key.length - 1 && has(key.slice(-(end + 1)))) end++;
    if (start + end < key.length) return text;
    return [key.slice(0, start), key.slice(-end)]
      .sort((a, b) => b.length - a.length)
      .reduce((out, piece) => out.replace(new RegExp(escapeRegExp(piece), "gi"), mark), text);
  }

  /**
   * `text` without the start and the end of a key shorter than {@link MIN_PIECE} that it shows
   * beside a mask (`ab1***`, `ab...12`, `Pz4***w8Rn`), as an upstream quotes a key it masks, when
   * they leave fewer than {@link MIN_HIDDEN} of its characters unshown: 3 characters of a
   * 4-character key leave 62 keys to try, 7 of an 8-character one as few. A longer key's mask
   * (its first few and last 4 characters) leaves more unshown and stays.
   */
  #masked(text: string, key: string, ends: RegExp, mark: string): string {
    let start = 0;
    let end = 0;
    for (const found of text.matchAll(ends)) {
      if (found.groups!.start !== undefined) start = Math.max(start, found.groups!.start.length);
      else end = Math.max(end, found.groups!.end!.length);
    }
    return start + end > key.length - MIN_HIDDEN ? text.replace(ends, mark) : text;
  }

  /**
   * Where the longest match at `p` of the windows `found` ends, or -1. Windows that share a hash
   * are almost always the same text (keys with a long common start, a key and its percent-encoded
   * form up to its first `%`): a list holds whole forms first, and once a piece of a key matches,
   * the other pieces would end at the same place.
   */
  #matchEnd(found: number | number[], s: string, p: number): number {
    if (typeof found === "number") return this.#endOf(found, s, p);
    let end = -1;
    for (const where of found) {
      end = Math.max(end, this.#endOf(where, s, p));
      if (end > 0 && !this.#isWhole(where)) break;
    }
    return end;
  }

  #isWhole(where: number): boolean {
    return this.#texts[Math.floor(where / MAX_TEXT)]!.whole;
  }

  /** Where the window at `where` (a whole form from its start) ends when `s` holds it at `p`. */
  #endOf(where: number, s: string, p: number): number {
    const { text, whole } = this.#texts[Math.floor(where / MAX_TEXT)]!;
    const at = where % MAX_TEXT;
    const length = whole ? text.length : MIN_PIECE;
    if (p + length > s.length) return -1;
    for (let k = 0; k < length; k++) {
      if (fold(text.charCodeAt(at + k)) !== fold(s.charCodeAt(p + k))) return -1;
    }
    return p + length;
  }
}

// A key or form longer than this (no provider issues one) is matched whole only.
const MAX_TEXT = 4096;

let base = 0;
let power = 0;

/** A random odd base: text chosen to collide for one base collides for no other. */
function setUpHash(): void {
  if (base !== 0) return;
  base = crypto.getRandomValues(new Uint32Array(1))[0]! | 1;
  power = 1;
  for (let i = 1; i < MIN_PIECE; i++) power = Math.imul(power, base);
}

/** An ASCII capital as its small letter: windows are hashed and compared without letter case. */
function fold(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

/** The hash of the window of `s` at `p`. */
function hashAt(s: string, p: number): number {
  let h = 0;
  for (let i = p; i < p + MIN_PIECE && i < s.length; i++) {
    h = (Math.imul(h, base) + fold(s.charCodeAt(i))) | 0;
  }
  return h;
}

/** The hash of the next window: `out` leaves it, `into` joins it (both as {@link fold} has them). */
function roll(h: number, out: number, into: number): number {
  return (Math.imul((h - Math.imul(fold(out), power)) | 0, base) + fold(into)) | 0;
}

/**
 * What finds a text too short for a window. One shorter than {@link MIN_FORM} (a local server's
 * short password, `abc123`) is found only as a token of its own: within a longer run of letters
 * and digits it is a piece of something else (`1234` of a port `12345`, `abc1` of a word).
 */
function shortPattern(text: string): string {
  const escaped = escapeRegExp(text);
  return text.length < MIN_FORM ? `${TOKEN_START}${escaped}(?![A-Za-z0-9])` : escaped;
}

/**
 * Where a token starts: after no letter or digit, or after an escape of JSON that ends in one
 * (`\u0022`, the quote .NET's encoder writes so, or `\n`), as an error body quoted inside another
 * as a string (a gateway's, a log's) shows one: `key \u00221234\u0022` quotes the key `1234`.
 */
const TOKEN_START = String.raw`(?:(?<![A-Za-z0-9])|(?<=\\u[0-9A-Fa-f]{4}|\\[nrtbf]))`;

/**
 * What finds a start or an end of `key` beside a mask, each of {@link MIN_MASKED} characters or
 * more (group `start` or `end`). On its other side no letter or digit: within a longer run it is a
 * piece of something else. A single character is not looked for: it says little, and could be a
 * word's (`a...`).
 */
function maskedEnds(key: string): RegExp {
  const starts: string[] = [];
  const ends: string[] = [];
  // Longest first: a piece that holds a shorter one is taken whole.
  for (let n = key.length - 1; n >= MIN_MASKED; n--) {
    starts.push(escapeRegExp(key.slice(0, n)));
    ends.push(escapeRegExp(key.slice(-n)));
  }
  return new RegExp(
    `${TOKEN_START}(?<start>${starts.join("|")})(?=${MASK})|(?<=${MASK})(?<end>${
      ends.join("|")
    })(?![A-Za-z0-9])`,
    "gi",
  );
}

// A mask: stars, two dots or more, an ellipsis, bullets or hashes.
const MASK = "(?:\\*|\\.\\.|\\u2026|\\u2022|\\u25CF|#)";
// The shortest piece of a key found beside a mask.
const MIN_MASKED = 2;
// A masked key with fewer characters than this unshown is as good as shown.
const MIN_HIDDEN = 4;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
