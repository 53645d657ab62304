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
  /** The model Claude Code asked for in the last failed request. */
  #lastModel: string | undefined;
  /**
   * A later request for that model was answered: Claude Code got past the failure (it retries a
   * model server still loading, and compacts after a prompt too long), so the note must not read
   * as if the session had ended on it.
   */
  #passed = false;

  ended(record: Readonly<RequestRecord>): void {
    if (record.status < 400) {
      if (this.#last !== undefined && record.clientModel === this.#lastModel) this.#passed = true;
      return;
    }
    // 499: the client left (Esc in Claude Code), which needs no explaining.
    if (record.status === 499) return;
    this.#count++;
    // The whole message: what to do often comes last (a 404's advice), and this line is the one
    // place on the terminal that says it.
    this.#last = formatRecord(record, NOTE_ERROR_CHARS);
    this.#lastModel = record.clientModel;
    this.#passed = false;
  }

  /** One line for stderr, or undefined when nothing failed. */
  note(logFile: string | undefined): string | undefined {
    if (this.#last === undefined) return undefined;
    const count = this.#count === 1 ? "1 request" : `${this.#count} requests`;
    const passed = this.#passed
      ? `, and later requests for ${this.#lastModel} were answered; the last failure: `
      : "; the last: ";
    return `ccp: ${count} failed while claude ran${passed}${this.#last}` +
      (logFile !== undefined ? ` (log: ${logFile})` : "");
  }
}
