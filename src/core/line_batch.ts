/**
 * Log lines held over one turn of the event loop and written together. A busy server ends many
 * requests in a turn, and a write per line was a system call per request: to a pipe (a journal, a
 * container's log) that call was the largest part of a request's log line.
 */

/** Lines held at most: past it they are written at once, whatever the turn. */
const MAX_HELD = 256;

/** A writer that holds lines until the turn ends, and can be told to write them now. */
export interface LineBatch {
  /** Holds a line (it ends with its newline) until the turn ends or {@link flush}. */
  readonly write: (line: string) => void;
  /** Writes the lines held, in order, as one text; nothing when none are. */
  readonly flush: () => void;
}

/**
 * Lines for `out` (which takes one text of whole lines), written once per turn. `later` runs a
 * function after the current turn; a test passes one it runs when it chooses.
 */
export function lineBatch(
  out: (text: string) => void,
  later: (fn: () => void) => void = (fn) => setTimeout(fn, 0),
): LineBatch {
  let held: string[] = [];
  const flush = () => {
    if (held.length === 0) return;
    const text = held.length === 1 ? held[0]! : held.join("");
    // Emptied first: a writer that throws must not have the same lines written again.
    held = [];
    out(text);
  };
  return {
    write(line) {
      held.push(line);
      if (held.length === 1) later(flush);
      else if (held.length >= MAX_HELD) flush();
    },
    flush,
  };
}
