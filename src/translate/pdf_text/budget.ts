/**
 * The work one PDF may cost: a count of tokens read and a wall-clock deadline, checked together
 * so a hostile file (a loop of references, a million tiny operators) ends in bounded time.
 */

/** Counts work; once spent, every later `spend` is refused. */
export class Budget {
  #ops: number;
  readonly #deadline: number;
  #spent = false;
  #calls = 0;
  /** Bytes decompression may still produce, for the whole file. */
  inflateLeft: number;
  /**
   * Codes that ToUnicode CMaps may still map, for the whole file: each font has its own map,
   * so a small file with many fonts of wide ranges could otherwise hold gigabytes of them.
   */
  codesLeft = 1_048_576;

  constructor(limits: { maxOps: number; maxMs: number; maxInflated: number }) {
    this.#ops = limits.maxOps;
    this.#deadline = performance.now() + limits.maxMs;
    this.inflateLeft = limits.maxInflated;
  }

  /** Takes one unit of work; false once the count or the time is spent. */
  spend(units = 1): boolean {
    if (this.#spent) return false;
    this.#ops -= units;
    // The clock is read every 1024 calls: reading it on each token would cost more than the token.
    if (this.#ops < 0 || ((++this.#calls & 1023) === 0 && performance.now() > this.#deadline)) {
      this.#spent = true;
    }
    return !this.#spent;
  }

  /** Ends the reading: a limit other than work or time was reached. */
  exhaust(): void {
    this.#spent = true;
  }

  /** True once the work or the time ran out. */
  get spent(): boolean {
    return this.#spent;
  }
}
