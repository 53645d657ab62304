/**
 * An attempt's trace as its transport sees it (while tracing is on): the headers that carry the
 * current try's span to the upstream, and a way to say the try is being sent again, so each try
 * the upstream sees has a span of its own.
 */
export interface TryTrace {
  /** The current try's `traceparent` (and the caller's `tracestate`). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The try just made was refused (`status`, when one came) and is sent again, changed, for
   * `why`: it ends as a span of its own, and `headers` name the next try's.
   */
  again(status: number | undefined, why: string): void;
}
