/** A least-recently-used map bounded by entry count and by total key length. */

/** One cached text, linked into the recency list (newest at the head). */
interface Entry {
  readonly text: string;
  value: number;
  newer: Entry | undefined;
  older: Entry | undefined;
}

/**
 * Bounded LRU cache from text to its token count; keys are the exact texts.
 *
 * Recency is a linked list beside the Map, not the Map's insertion order: refreshing an entry by
 * deleting and setting its key again leaves a deleted slot in the Map's hash chain each time, and
 * those slots are only cleared when the table is rebuilt. With the cache full, one request that
 * repeats a text 150,000 times then walked ever longer chains: 8 s of a blocked event loop,
 * measured. Keys are now deleted only when evicted, once per insert.
 */
export class TokenCache {
  readonly #map = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  #newest: Entry | undefined;
  #oldest: Entry | undefined;
  #chars = 0;
  #hits = 0;
  #misses = 0;

  /** Create a cache holding at most `maxEntries` texts and `maxChars` characters of keys. */
  constructor(maxEntries: number, maxChars: number) {
    this.#maxEntries = maxEntries;
    this.#maxChars = maxChars;
  }

  /** Cached count for `text`, refreshing its recency; `undefined` when absent. */
  get(text: string): number | undefined {
    const entry = this.#map.get(text);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#toFront(entry);
    return entry.value;
  }

  /** Store a count, evicting the least recently used texts until both bounds hold. */
  set(text: string, value: number): void {
    if (text.length > this.#maxChars) return;
    const held = this.#map.get(text);
    if (held !== undefined) {
      held.value = value;
      this.#toFront(held);
      return;
    }
    const entry: Entry = { text, value, newer: undefined, older: undefined };
    this.#map.set(text, entry);
    this.#link(entry);
    this.#chars += text.length;
    while (this.#map.size > this.#maxEntries || this.#chars > this.#maxChars) {
      const oldest = this.#oldest;
      if (oldest === undefined || oldest === entry) break;
      this.#unlink(oldest);
      this.#map.delete(oldest.text);
      this.#chars -= oldest.text.length;
    }
  }

  /** Drop every entry and reset the statistics. */
  clear(): void {
    this.#map.clear();
    this.#newest = undefined;
    this.#oldest = undefined;
    this.#chars = 0;
    this.#hits = 0;
    this.#misses = 0;
  }

  /** Entry count, key characters held, hits and misses since the last clear. */
  get stats(): { entries: number; chars: number; hits: number; misses: number } {
    return { entries: this.#map.size, chars: this.#chars, hits: this.#hits, misses: this.#misses };
  }

  #toFront(entry: Entry): void {
    if (entry === this.#newest) return;
    this.#unlink(entry);
    this.#link(entry);
  }

  #link(entry: Entry): void {
    entry.newer = undefined;
    entry.older = this.#newest;
    if (this.#newest !== undefined) this.#newest.newer = entry;
    this.#newest = entry;
    this.#oldest ??= entry;
  }

  #unlink(entry: Entry): void {
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    entry.newer = undefined;
    entry.older = undefined;
  }
}
