/** Wraps a response body so a silent upstream fails with a named timeout instead of hanging. */

import { type Cancel, type Clock, systemClock } from "./clock.ts";
import { UpstreamTimeoutError } from "./timeout_error.ts";
import { chunkReader } from "./chunk_reader.ts";

/** Limits for {@link primedGuard}; 0 or absent means none. */
export interface BodyGuardOptions {
  readonly provider: string;
  /** Longest wait for the next chunk once one has arrived. */
  readonly idleMs: number;
  /** The first chunk must arrive by `deadline` (epoch ms); `ms` is the configured value for messages. */
  readonly firstByte?: { readonly ms: number; readonly deadline: number };
  /** Aborting errors the stream with the signal's reason (e.g. a total timeout). */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /** Called once when the body ends, fails or is cancelled. */
  readonly onSettle?: () => void;
}

/** A guarded body whose first chunk is being read ahead. */
export interface PrimedBody {
  /** The body as a stream, made when first asked for (an answer read whole never needs it). */
  readonly body: ReadableStream<Uint8Array>;
  /**
   * A reader of the chunks: the direct one the first time, while nobody has made the stream or
   * after it was made unlocked (see chunksOf); otherwise the stream's own reader.
   */
  chunks(): ChunkReader;
  /** Resolves with the first chunk (undefined: the body ended) once it arrived; rejects with the failure. */
  readonly firstChunk: Promise<Uint8Array | undefined>;
  /**
   * Reads one more chunk ahead (undefined: the body ended), held for the body like the first, so
   * a caller can look further before handing the body on. One at a time, after `firstChunk`.
   */
  readAhead(): Promise<Uint8Array | undefined>;
}

/** What reads a body chunk by chunk: a stream's reader, or a guarded body's direct reader. */
export interface ChunkReader {
  read(): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason?: unknown): Promise<void>;
}

// A guarded body's direct reader, lending its chunks or copying them (see chunksOf).
const DIRECT = new WeakMap<ReadableStream<Uint8Array>, (lend: boolean) => ChunkReader>();

// The end a guarded body gives once it was cancelled (told apart from the upstream's own end).
const CANCELLED: ReadableStreamReadResult<Uint8Array> = Object.freeze({
  done: true,
  value: undefined,
});

/**
 * A reader of `body`: when it is a guarded body nobody has locked, its chunks read directly,
 * without the stream around them (the stream's own reads and the direct ones share one state, so
 * either may follow the other, one at a time); otherwise the stream's own reader. `lend` is for
 * a caller done with each chunk before it reads the next: a direct reader then gives the chunks
 * in its reused buffer instead of a copy each, and a read empties the chunk before it.
 */
export function chunksOf(body: ReadableStream<Uint8Array>, lend = false): ChunkReader {
  const direct = body.locked ? undefined : DIRECT.get(body);
  if (!direct) return body.getReader();
  DIRECT.delete(body);
  return direct(lend);
}

/**
 * Re-streams `body`, failing it with an UpstreamTimeoutError when the upstream goes quiet.
 * One timer per stream checks how long the current read has waited, instead of a timer per chunk.
 * Reading starts at once: `firstChunk` resolves when the first chunk is in (or rejects with the
 * failure), so the caller can still fail over on a first-byte timeout after early headers.
 */
export function primedGuard(
  body: ReadableStream<Uint8Array>,
  options: BodyGuardOptions,
): PrimedBody {
  const clock = options.clock ?? systemClock;
  let gotFirst = false;
  let settled = false;
  let disarm: Cancel = () => {};
  let fail: (reason: unknown) => void = () => {};
  // When the pending read started; undefined while no read waits (a slow client is not silence).
  let waitingSince: number | undefined;

  const settle = () => {
    if (settled) return;
    settled = true;
    disarm();
    options.signal?.removeEventListener("abort", onAbort);
    options.onSettle?.();
  };
  const onAbort = () => fail(options.signal?.reason);
  /** Ends the guard on a failure: the timers, the upstream, and whoever awaits a read ahead. */
  const stop = (reason: unknown) => {
    settle();
    failed(reason);
    reader.cancel(reason).catch(() => {});
  };

  /** Arms the one timer: first-byte deadline first, then the idle check, re-armed as it fires. */
  const schedule = () => {
    if (settled) return;
    if (!gotFirst && options.firstByte) {
      const { ms, deadline } = options.firstByte;
      disarm = clock.timer(deadline - clock.now(), () => {
        if (gotFirst) return schedule();
        fail(new UpstreamTimeoutError("first_byte", ms, options.provider));
      });
    } else if (options.idleMs > 0) {
      const ms = options.idleMs;
      const waited = waitingSince === undefined ? 0 : clock.now() - waitingSince;
      disarm = clock.timer(Math.max(1, ms - waited), () => {
        if (waitingSince !== undefined && clock.now() - waitingSince >= ms) {
          fail(new UpstreamTimeoutError("idle", ms, options.provider));
        } else schedule();
      });
    }
  };

  // Chunks read ahead of the body's first pull, in order (a failed read ahead last, as its error,
  // so what came before it still comes out), and the read ahead still under way.
  const held: (ReadableStreamReadResult<Uint8Array> | { readonly error: unknown })[] = [];
  let ahead: Promise<unknown> | undefined;
  // The failure that ended the body, for the reads ahead: each one waiting is rejected with it.
  // Each waits on a promise of its own: a race with one promise that lasts as long as the stream
  // left a reaction on it per read ahead, and so kept each chunk read ahead until the stream ended.
  let failure: { readonly reason: unknown } | undefined;
  const waitingAhead = new Set<(reason: unknown) => void>();
  const failed = (reason: unknown) => {
    if (failure) return;
    failure = { reason };
    for (const reject of waitingAhead) reject(reason);
    waitingAhead.clear();
  };

  const arrived = () => {
    if (gotFirst) return;
    gotFirst = true;
    disarm();
    schedule();
  };

  // The failure that ended the body, once it failed: every read after it rejects with it.
  let failedWith: { readonly reason: unknown } | undefined;
  /** The end given once the body is over without an end of its own (it failed or was cancelled). */
  const over = (): ReadableStreamReadResult<Uint8Array> => {
    if (failedWith) throw failedWith.reason;
    return CANCELLED;
  };

  /** What a read of the upstream gave, as the next chunk (the usual case, see `next`). */
  const got = (chunk: ReadableStreamReadResult<Uint8Array>) => {
    waitingSince = undefined;
    if (settled) return over();
    if (chunk.done) settle();
    else arrived();
    return chunk;
  };
  const readFailed = (error: unknown) => {
    waitingSince = undefined;
    fail(error);
    return over();
  };
  const reader = chunkReader(body, got, readFailed);

  /**
   * The next chunk of the guarded body, or its end; rejects with its failure. Both its readers
   * read here: the stream's pull and the direct reader (see chunksOf). Chained with `then`, not
   * an async function: once the answer streams this runs once per chunk.
   */
  const next = (lend = false): Promise<ReadableStreamReadResult<Uint8Array>> => {
    if (held.length > 0 || ahead) return fromHeld(lend);
    if (settled) return Promise.resolve().then(over);
    waitingSince = clock.now();
    return reader.next(lend);
  };

  /** `next` while chunks read ahead are held (copies, kept apart) or on their way. */
  const fromHeld = async (lend: boolean): Promise<ReadableStreamReadResult<Uint8Array>> => {
    // A chunk already held goes out at once; otherwise one being read ahead lands in `held`.
    if (held.length === 0 && ahead) await ahead.catch(() => {});
    const chunk = held.shift();
    if (!chunk) return await next(lend);
    if ("error" in chunk) {
      failedWith = { reason: chunk.error };
      throw chunk.error;
    }
    if (chunk.done) settle();
    else arrived();
    return chunk;
  };

  // The stream, once someone asked for it, and its controller.
  let stream: ReadableStream<Uint8Array> | undefined;
  let control: ReadableStreamDefaultController<Uint8Array> | undefined;
  fail = (reason) => {
    if (settled) return;
    stop(reason);
    held.length = 0; // an errored stream gives out nothing more
    failedWith = { reason };
    control?.error(reason);
  };

  // The same chunks without the stream around them: one stream hop less per chunk for the relay,
  // and no stream at all for an answer read whole.
  const direct: ChunkReader = {
    read: () => next(),
    cancel(reason) {
      settle();
      held.length = 0; // as from a cancelled stream, nothing more comes out
      return reader.cancel(reason);
    },
  };
  const lending: ChunkReader = { read: () => next(true), cancel: direct.cancel };
  // Whether the direct reader was given out before the stream was made (then it is not the
  // stream's to give again).
  let directTaken = false;

  const streamOf = (): ReadableStream<Uint8Array> => stream ??= makeStream();
  const makeStream = () => {
    const made = new ReadableStream<Uint8Array>({
      start(controller) {
        control = controller;
        // A body that failed before anyone asked for its stream gives a stream failed the same way.
        if (failedWith) controller.error(failedWith.reason);
      },
      async pull(controller) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await next();
        } catch (error) {
          // Erroring a stream that has its error already changes nothing.
          return controller.error(error);
        }
        if (chunk === CANCELLED) return; // the stream was cancelled: it is closed already
        if (chunk.done) return controller.close();
        controller.enqueue(chunk.value);
      },
      cancel(reason) {
        settle();
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    if (!directTaken) DIRECT.set(made, (lend) => lend ? lending : direct);
    return made;
  };
  const chunks = (): ChunkReader => {
    if (stream) return chunksOf(stream);
    if (directTaken) return streamOf().getReader();
    directTaken = true;
    return direct;
  };

  if (options.signal?.aborted) fail(options.signal.reason);
  else {
    options.signal?.addEventListener("abort", onAbort, { once: true });
    schedule();
  }

  const readAhead = (): Promise<Uint8Array | undefined> => {
    if (settled) return failure ? Promise.reject(failure.reason) : Promise.resolve(undefined);
    waitingSince = clock.now();
    const read = reader.read().then(
      (chunk) => {
        held.push(chunk);
        if (chunk.done) return undefined;
        arrived();
        return chunk.value;
      },
      (error) => {
        if (held.length === 0) fail(error);
        else if (!settled) {
          stop(error);
          held.push({ error });
        }
        throw error;
      },
    ).finally(() => {
      waitingSince = undefined;
      ahead = undefined;
    });
    ahead = read;
    return new Promise((resolve, reject) => {
      waitingAhead.add(reject);
      read.then((chunk) => {
        waitingAhead.delete(reject);
        resolve(chunk);
      }, (error) => {
        waitingAhead.delete(reject);
        reject(error);
      });
    });
  };

  const firstChunk = readAhead();
  firstChunk.catch(() => {}); // a failure is reported by pull too
  return {
    get body() {
      return streamOf();
    },
    chunks,
    firstChunk,
    readAhead,
  };
}
