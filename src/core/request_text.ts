/**
 * A request's own text, for leaving out of what ccp logs and keeps of an upstream's error: the
 * system prompt, the messages' text, tool calls' inputs and tools' results. Holding it costs one
 * reference to the parsed body, which the request holds anyway; nothing is read until an error
 * text is to be logged, so a request that succeeds pays nothing. The pipeline releases it as soon
 * as the answer opens: an open stream does not keep its request's history in memory, so an error
 * that arrives mid-stream is not checked against it (a web-tools answer, whose loop holds the body
 * until it ends, keeps it until then).
 */

import { isRecord } from "./json.ts";
import { MIN_ECHO, withoutRuns } from "./echo_runs.ts";

/** One request's text, until {@link RequestText.release}. */
export class RequestText {
  #body: unknown;
  // The last text checked and what came of it: an attempt's failure is logged, kept in the record
  // and given to the breaker, each by its own caller.
  #said?: string;
  #kept?: string;

  constructor(body: unknown) {
    this.#body = body;
  }

  /** `text` with every run of the request's text in it left out (`text` itself once released). */
  without(text: string): string {
    const body = this.#body;
    if (body === undefined || text.length < MIN_ECHO) return text;
    if (text !== this.#said || this.#kept === undefined) {
      this.#kept = withoutRuns(text, stringsOf(body));
      this.#said = text;
    }
    return this.#kept;
  }

  /** Lets the request's text go: later errors are no longer checked against it. */
  release(): void {
    this.#body = this.#said = this.#kept = undefined;
  }
}

/**
 * The strings of a Messages body's `system` and `messages` that may be echoed, at any depth (tool
 * inputs are any JSON), without opaque payloads: base64 images and PDFs, redacted thinking and
 * signatures, which are no one's words and would only cost time.
 */
export function* stringsOf(body: unknown): Generator<string> {
  if (!isRecord(body)) return;
  const pending: unknown[] = [body.messages, body.system];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === "string") {
      if (value.length >= MIN_ECHO) yield value;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push(value[i]);
    } else if (isRecord(value)) {
      const opaque = value.type === "base64" || value.type === "redacted_thinking";
      for (const key in value) {
        if (key === "signature" || (opaque && key === "data")) continue;
        pending.push(value[key]);
      }
    }
  }
}
