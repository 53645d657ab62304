/**
 * The upstream's own words behind an `error` event a translator wrote, and the status they stand
 * for when the event's type does not say it (a refused key), kept beside the event and never in
 * it: the relay hands them to the guards, which read them as the body of the same status before
 * the stream would be (a routed provider's 429, a wait in words, a key to set aside), while no
 * encoder of the event can send them on.
 */

/** What the guards read of an error event besides its type. */
export interface ErrorWords {
  readonly said?: string;
  readonly status?: number;
}

const WORDS = new WeakMap<object, ErrorWords>();

/** `event`, with `said` and `status` noted behind it (nothing noted when there are none). */
export function withWords<T extends object>(event: T, said?: string, status?: number): T {
  if (said || status !== undefined) {
    WORDS.set(event, {
      ...(said ? { said } : {}),
      ...(status !== undefined ? { status } : {}),
    });
  }
  return event;
}

/** What was noted behind `event`, if anything. */
export function wordsOf(event: object): ErrorWords | undefined {
  return WORDS.get(event);
}
