/**
 * The runs an upstream's error text shares with a request's own text, found whatever shape the
 * upstream gave its echo: quoted in prose, inside JSON it encoded once or twice more, in a Python
 * repr (vLLM's `value=...`, pydantic's `input_value=...`), or cut short at either end.
 *
 * The error text is read three ways: as it is, with its backslash escapes decoded once (JSON's
 * `\"`, `\n` and `\u00e9`, Python's `\'` and `\x..`), and decoded twice. Every window of
 * {@link MIN_ECHO} characters of each reading goes into a table by a rolling hash; then each of the
 * request's strings is read once, and a window of it that the table holds marks the characters of
 * the error text that window came from. Marked characters, in maximal spans, become
 * {@link ECHO_MARK}. A character is marked exactly when it lies in a run of at least MIN_ECHO
 * characters that the request's text also holds, so an echo is found in pieces too, wherever the
 * upstream cut or re-quoted it.
 *
 * The work is linear in both texts (a 1 MB request against a 100 KB error text takes tens of
 * milliseconds), and it is done only for an error that is logged. The table holds each distinct
 * window once, so a repetitive error text costs no more; a hash base drawn at random keeps
 * crafted collisions out, and a bound on the table's work stands behind it.
 */

/**
 * The shortest run of the request's text that counts as an echo of it: longer than the phrases an
 * upstream's own words share with a prompt by chance ("the request is too long for"), short
 * enough for a quoted clause, and for each half of pydantic's cut `input_value` (25 and 24
 * characters with its quotes).
 */
export const MIN_ECHO = 20;

/** What takes the place of each run of the request's text. */
export const ECHO_MARK = "[prompt text]";

/** Said instead of an error text whose check ran past its bound (only crafted text does). */
export const UNCHECKED = "[upstream error text left out: too costly to check for prompt text]";

// Table steps past which the text is not checked further: a 100 KB error text against a 1 MB
// request takes 0.2 to 0.4 million.
const MAX_WORK = 40_000_000;
// Fibonacci hashing spreads a rolling hash's bits over the table's slots.
const SPREAD = 0x9e3779b1;
const BACKSLASH = 92;

/** One reading of the error text, with where each of its characters came from there. */
interface Reading {
  readonly text: string;
  /** Start and end in the error text of each character; absent when they are the same place. */
  readonly from?: Int32Array;
  readonly to?: Int32Array;
}

let base = 0;
let power = 0;

/**
 * `text` with every run of at least {@link MIN_ECHO} characters that one of `sources` also holds
 * (in any of the readings above) replaced by {@link ECHO_MARK}, adjacent runs by one mark.
 */
export function withoutRuns(
  text: string,
  sources: Iterable<string>,
  maxWork: number = MAX_WORK,
): string {
  if (text.length < MIN_ECHO) return text;
  const readings: Reading[] = [{ text }];
  const once = decoded(readings[0]!);
  if (once) readings.push(once);
  const twice = once && decoded(once);
  if (twice) readings.push(twice);
  const marks = markShared(text.length, readings, sources, maxWork);
  return marks ? marked(text, marks) : UNCHECKED;
}

/**
 * Per character of the error text, +1 where a shared window starts and -1 where it ends (their
 * running sum is above 0 inside a run); undefined when the work ran past `maxWork`.
 */
function markShared(
  length: number,
  readings: readonly Reading[],
  sources: Iterable<string>,
  maxWork: number,
): Int32Array | undefined {
  if (base === 0) {
    base = crypto.getRandomValues(new Uint32Array(1))[0]! | 1;
    for (let i = 0, p = 1; i < MIN_ECHO; i++, p = Math.imul(p, base)) power = p;
  }
  const table = new WindowTable(readings);
  for (let r = 0; r < readings.length; r++) {
    const s = readings[r]!.text;
    if (s.length < MIN_ECHO) continue;
    for (let p = 0, h = hashAt(s);; p++) {
      table.add(r, p, h);
      if (table.work > maxWork) return undefined;
      if (p + MIN_ECHO >= s.length) break;
      h = roll(h, s.charCodeAt(p), s.charCodeAt(p + MIN_ECHO));
    }
  }
  const marks = new Int32Array(length + 1);
  const mark = (reading: Reading, p: number) => {
    marks[reading.from ? reading.from[p]! : p]!++;
    marks[reading.to ? reading.to[p + MIN_ECHO - 1]! : p + MIN_ECHO]!--;
  };
  for (const source of sources) {
    if (source.length < MIN_ECHO) continue;
    for (let p = 0, h = hashAt(source);; p++) {
      if (table.take(source, p, h, mark) && table.distinct === 0) return marks;
      if (table.work > maxWork) return undefined;
      if (p + MIN_ECHO >= source.length) break;
      h = roll(h, source.charCodeAt(p), source.charCodeAt(p + MIN_ECHO));
    }
  }
  return marks;
}

/**
 * The error text's windows by hash, in typed arrays: a slot chains its distinct windows (`next`),
 * each of which lists the windows of the same text (`same`). A window found is taken out, so it
 * is marked once and never compared again.
 */
class WindowTable {
  /** Chain steps and windows marked so far: what bounds the check. */
  work = 0;
  /** Distinct windows not yet found. */
  distinct = 0;
  readonly #readings: readonly Reading[];
  readonly #shift: number;
  readonly #head: Int32Array;
  readonly #hash: Int32Array;
  readonly #reading: Uint8Array;
  readonly #at: Int32Array;
  readonly #next: Int32Array;
  readonly #same: Int32Array;
  #size = 0;

  constructor(readings: readonly Reading[]) {
    let count = 0;
    for (const r of readings) count += Math.max(0, r.text.length - MIN_ECHO + 1);
    const bits = Math.max(10, Math.ceil(Math.log2(count * 2)));
    this.#readings = readings;
    this.#shift = 32 - bits;
    this.#head = new Int32Array(1 << bits).fill(-1);
    this.#hash = new Int32Array(count);
    this.#reading = new Uint8Array(count);
    this.#at = new Int32Array(count);
    this.#next = new Int32Array(count);
    this.#same = new Int32Array(count);
  }

  /** Adds the window at `p` of reading `r`, whose hash is `h`. */
  add(r: number, p: number, h: number): void {
    const e = this.#size++;
    this.#hash[e] = h;
    this.#reading[e] = r;
    this.#at[e] = p;
    this.#same[e] = -1;
    const slot = Math.imul(h, SPREAD) >>> this.#shift;
    const text = this.#readings[r]!.text;
    for (let w = this.#head[slot]!; w !== -1; w = this.#next[w]!, this.work++) {
      if (this.#hash[w] === h && this.#holds(w, text, p)) {
        this.#same[e] = this.#same[w]!;
        this.#same[w] = e;
        return;
      }
    }
    this.#next[e] = this.#head[slot]!;
    this.#head[slot] = e;
    this.distinct++;
  }

  /**
   * Marks every window whose text is that of `source` at `p` (hash `h`) and takes them out; true
   * when there were some.
   */
  take(
    source: string,
    p: number,
    h: number,
    mark: (reading: Reading, at: number) => void,
  ): boolean {
    const slot = Math.imul(h, SPREAD) >>> this.#shift;
    for (let w = this.#head[slot]!, before = -1; w !== -1; w = this.#next[w]!) {
      this.work++;
      if (this.#hash[w] !== h || !this.#holds(w, source, p)) {
        before = w;
        continue;
      }
      for (let x = w; x !== -1; x = this.#same[x]!, this.work++) {
        mark(this.#readings[this.#reading[x]!]!, this.#at[x]!);
      }
      if (before === -1) this.#head[slot] = this.#next[w]!;
      else this.#next[before] = this.#next[w]!;
      this.distinct--;
      return true;
    }
    return false;
  }

  /** Whether window `w` is the text of `s` at `p`. */
  #holds(w: number, s: string, p: number): boolean {
    const text = this.#readings[this.#reading[w]!]!.text;
    const at = this.#at[w]!;
    for (let k = 0; k < MIN_ECHO; k++) {
      if (text.charCodeAt(at + k) !== s.charCodeAt(p + k)) return false;
    }
    return true;
  }
}

/** The hash of the first window of `s`. */
function hashAt(s: string): number {
  let h = 0;
  for (let i = 0; i < MIN_ECHO; i++) h = (Math.imul(h, base) + s.charCodeAt(i)) | 0;
  return h;
}

/** The hash of the next window: `out` leaves it, `into` joins it. */
function roll(h: number, out: number, into: number): number {
  return (Math.imul((h - Math.imul(out, power)) | 0, base) + into) | 0;
}

/** `text` with each span its marks cover as one {@link ECHO_MARK}. */
function marked(text: string, marks: Int32Array): string {
  let out = "";
  let depth = 0;
  let kept = 0;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const was = depth;
    depth += marks[i]!;
    if (was === 0 && depth > 0) {
      out += text.slice(kept, i) + ECHO_MARK;
      found = true;
    } else if (was > 0 && depth === 0) kept = i;
  }
  if (!found) return text;
  return depth === 0 ? out + text.slice(kept) : out;
}

/**
 * `reading` with its backslash escapes decoded (JSON's and Python's), each character knowing
 * where in the error text it came from; undefined when it has none.
 */
function decoded(reading: Reading): Reading | undefined {
  const s = reading.text;
  if (!s.includes("\\")) return undefined;
  const n = s.length;
  const codes = new Uint16Array(n);
  const from = new Int32Array(n);
  const to = new Int32Array(n);
  let m = 0;
  let changed = false;
  for (let i = 0; i < n;) {
    let code = s.charCodeAt(i);
    let len = 1;
    let low = -1;
    if (code === BACKSLASH && i + 1 < n) {
      const escape = escapeAt(s, i);
      if (escape) {
        [code, len, low] = escape;
        changed = true;
      }
    }
    const start = reading.from ? reading.from[i]! : i;
    const end = reading.to ? reading.to[i + len - 1]! : i + len;
    codes[m] = code;
    from[m] = start;
    to[m++] = end;
    if (low !== -1) {
      codes[m] = low;
      from[m] = start;
      to[m++] = end;
    }
    i += len;
  }
  if (!changed) return undefined;
  let text = "";
  for (let i = 0; i < m; i += 8192) {
    text += String.fromCharCode(...codes.subarray(i, Math.min(m, i + 8192)));
  }
  return { text, from: from.subarray(0, m), to: to.subarray(0, m) };
}

/** The escape at `i` (a backslash) as [code unit, its length, a low surrogate or -1]. */
function escapeAt(s: string, i: number): [number, number, number] | undefined {
  const c = s[i + 1]!;
  switch (c) {
    case "n":
      return [10, 2, -1];
    case "t":
      return [9, 2, -1];
    case "r":
      return [13, 2, -1];
    case "b":
      return [8, 2, -1];
    case "f":
      return [12, 2, -1];
    case '"':
    case "'":
    case "\\":
    case "/":
      return [c.charCodeAt(0), 2, -1];
    case "x":
    case "u": {
      const digits = c === "x" ? 2 : 4;
      const code = hexAt(s, i + 2, digits);
      return code < 0 ? undefined : [code, 2 + digits, -1];
    }
    case "U": {
      const point = hexAt(s, i + 2, 8);
      if (point < 0 || point > 0x10ffff) return undefined;
      if (point <= 0xffff) return [point, 10, -1];
      const units = String.fromCodePoint(point);
      return [units.charCodeAt(0), 10, units.charCodeAt(1)];
    }
  }
  return undefined;
}

/** The value of `count` hex digits at `at`, or -1. */
function hexAt(s: string, at: number, count: number): number {
  if (at + count > s.length) return -1;
  let value = 0;
  for (let k = 0; k < count; k++) {
    const digit = parseInt(s[at + k]!, 16);
    if (Number.isNaN(digit)) return -1;
    value = value * 16 + digit;
  }
  return value;
}
