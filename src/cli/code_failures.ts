/**
 * What failed while `ccp code` ran claude. Claude Code words some failures its own way and hides
 * ccp's message (every 404 becomes "There's an issue with the selected model"), and the
 * in-process proxy logs to a file: one line after claude exits says what ccp saw.
 */

import { formatRecord } from "../pipeline/log_observer.ts";
import type { RequestObserver, RequestRecord } from "../pipeline/record.ts";

const NOTE_ERROR_CHARS = 2_000;

/** Counts the failed requests of an in-process proxy and keeps the last one's log line. */
export class FailureNote implements RequestObserver {
  #count = 0;
  #last: string | undefined;

  ended(record: Readonly<RequestRecord>): void {
    // 499: the client left (Esc in Claude Code), which needs no explaining.
    if (record.status < 400 || record.status === 499) return;
    this.#count++;
    // The whole message: what to do often comes last (a 404's advice), and this line is the one
    // place on the terminal that says it.
    this.#last = formatRecord(record, NOTE_ERROR_CHARS);
  }

  /** One line for stderr, or undefined when nothing failed. */
  note(logFile: string | undefined): string | undefined {
    if (this.#last === undefined) return undefined;
    const count = this.#count === 1 ? "1 request" : `${this.#count} requests`;
    return `ccp: ${count} failed while claude ran; the last: ${this.#last}` +
      (logFile !== undefined ? ` (log: ${logFile})` : "");
  }
}
