/**
 * The upstream's own words behind an `error` event a translator wrote, kept beside the event and
 * never in it: the relay hands them to the guards, which read them as the body of the same status
 * before the stream would be (a routed provider's 429, a wait in words), while no encoder of the
 * event can send them on.
 */

const WORDS = new WeakMap<object, string>();

/** `event`, with `said` noted as the words behind it (nothing noted when there are none). */
export function withWords<T extends object>(event: T, said: string | undefined): T {
  if (said) WORDS.set(event, said);
  return event;
}

/** The words noted behind `event`, if any. */
export function wordsOf(event: object): string | undefined {
  return WORDS.get(event);
}
