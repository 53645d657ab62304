/**
 * Models a server runs with less context than Claude Code needs, as ccp learned them while
 * serving (Ollama's `/api/ps`), in the brief words the status line and the status page show.
 */

/** One model on too little context. */
export interface ShortContext {
  readonly provider: string;
  readonly model: string;
  /** The tokens of context the server runs it with. */
  readonly context: number;
}

/** What ccp knows now of the models on too little context (no server is asked for it). */
export type ShortContexts = () => readonly ShortContext[];

/** `ollama/qwen3: context 4096, too small (see ccp check)`. */
export function shortContextNote(short: ShortContext): string {
  return `${short.provider}/${short.model}: context ${short.context}, too small (see ccp check)`;
}

/** The note for `provider/model` while it runs on too little context, else undefined. */
export function noteFor(
  shorts: ShortContexts | undefined,
  provider: string | undefined,
  model: string | undefined,
): string | undefined {
  const short = shorts?.().find((s) => s.provider === provider && s.model === model);
  return short ? shortContextNote(short) : undefined;
}
