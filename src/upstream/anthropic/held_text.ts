/**
 * Text held until its event's blank line arrives, kept as pieces: joining or slicing it on every
 * read would let an upstream that trickles one huge event cost ccp O(n²).
 */
export class HeldText {
  #pieces: string[] = [];
  length = 0;
  /** The last 3 characters (a blank line split across reads starts there). */
  tail = "";

  add(text: string): void {
    if (text === "") return;
    this.#pieces.push(text);
    this.length += text.length;
    this.tail = (this.tail + text).slice(-3);
  }

  /** Everything held, which is then released. */
  take(): string {
    // The usual read ends with its last event: nothing is held, and nothing is allocated.
    if (this.#pieces.length === 0) return "";
    const text = this.#pieces.join("");
    this.#pieces = [];
    this.length = 0;
    this.tail = "";
    return text;
  }
}
