/**
 * Tracks whether streamed tool-call arguments already form one complete JSON value,
 * in O(length of each piece), so the stream translator can tell a finished call from
 * one still arriving and spot providers that resend the full arguments at the end.
 */
export class JsonCompletionScanner {
  #depth = 0;
  #inString = false;
  #escaped = false;
  #started = false;
  #complete = false;

  /** True once an object or array opened and closed again at the top level. */
  get complete(): boolean {
    return this.#complete;
  }

  /**
   * Feeds the next piece of text; returns where in it the value ended (just past its close), or
   * -1 while it has not (or ended before).
   */
  feed(text: string): number {
    if (this.#complete) return -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === 92 /* \ */) this.#escaped = true;
        else if (c === 34 /* " */) this.#inString = false;
        continue;
      }
      if (c === 34) this.#inString = true;
      else if (c === 123 /* { */ || c === 91 /* [ */) {
        this.#depth++;
        this.#started = true;
      } else if (c === 125 /* } */ || c === 93 /* ] */) {
        this.#depth--;
        if (this.#started && this.#depth === 0) {
          this.#complete = true;
          return i + 1;
        }
      }
    }
    return -1;
  }
}
