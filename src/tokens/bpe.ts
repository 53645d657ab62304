/**
 * Exact o200k_base token counts, guarded against byte-pair encoding's quadratic cost on long runs
 * without a pre-token boundary.
 */

import type { O200kCounter } from "./o200k.ts";
import { lazyImport, lazyModuleUrl } from "../core/lazy_modules.ts";
import { messageOf } from "../core/errors.ts";

// The o200k table costs ~17 MB of memory and ~60 ms to load, so it is loaded on first need (a
// local count_tokens or a translated request) or, when the config's routes will need it, shortly
// after start (server/warm_up.ts), never before listening: a passthrough-only ccp stays small and
// starts fast. It is a data file, not a module: Deno reads and analyses every module a
// program could import at each start, and a 2 MB module cost every start ~30 ms.
let counter: O200kCounter | undefined;
let loading: Promise<void> | undefined;
// Why the table could not be loaded (a binary built without it, a read permission denied):
// counts are then estimated at ~4 characters per token rather than failing requests.
let unavailable: string | undefined;

/** Where the table is; `deno task compile` embeds it. */
export const TABLE_FILE = new URL("./o200k_ranks.bin", import.meta.url);

/**
 * Loads the o200k table once; later calls return the same promise, which never rejects. A failure
 * that may pass (too many open files, an I/O error) is tried again by the next call; a missing,
 * forbidden or broken table, or tokenizer code that cannot load, leaves counts estimated until
 * restart.
 */
export function loadO200k(): Promise<void> {
  loading ??= Promise.all([
    Deno.readFile(TABLE_FILE).catch(failed("cannot read the tokenizer table", TABLE_FILE)),
    lazyImport(CODE).catch(failed("cannot load the tokenizer's code", lazyModuleUrl(CODE))),
  ]).then(
    ([file, { O200kCounter, readTable }]) => {
      counter = new O200kCounter(readTable(file));
      unavailable = undefined;
    },
  ).catch((err) => {
    // A table that reads but does not parse is broken.
    const failure = err instanceof LoadFailure
      ? err
      : loadFailure("cannot use the tokenizer table", TABLE_FILE, err);
    unavailable = failure.message;
    // Running out of file handles, or an interrupted or failed read, may pass: try again later.
    const passing = failure.cause instanceof Deno.errors.Interrupted ||
      /too many open files|input\/output error/i.test(String(failure.cause));
    if (passing) loading = undefined;
  });
  return loading;
}

const CODE = "tokens/o200k.ts";

/** A failed part of the load, saying which part and why; `cause` is the original error. */
class LoadFailure extends Error {}

function loadFailure(what: string, file: URL, err: unknown): LoadFailure {
  const reason = messageOf(err);
  return new LoadFailure(`${what} (${decodeURIComponent(file.pathname)}: ${reason})`, {
    cause: err,
  });
}

function failed(what: string, file: URL): (err: unknown) => never {
  return (err) => {
    throw loadFailure(what, file, err);
  };
}

/** Why local counts are estimates, once a load of the table or the tokenizer's code failed. */
export function o200kProblem(): string | undefined {
  return unavailable;
}

// o200k pre-tokenizes letters, symbols and whitespace into maximal runs, and BPE over one run is
// quadratic (measured with gpt-tokenizer 4.0.0: 20k "a" 360 ms, 200k "a" 25 s, 20k "=" 294 ms).
// Runs of LONG_RUN or more characters of one class (see runClass) are cut into
// RUN_CHUNK pieces; each cut can add at most one token. A hand-written scan finds them because a
// /[\p{L}...]{128,}/ regex backtracks and cost as much as the BPE itself (9-17 ms per 100 KB).
const LONG_RUN = 128;
const RUN_CHUNK = 64;

function rawCount(text: string): number {
  if (text.length === 0) return 0;
  if (!counter) {
    if (unavailable !== undefined) return Math.ceil(text.length / 4);
    throw new Error("o200k tokenizer not loaded: await loadO200k() first");
  }
  try {
    // "<|endoftext|>" and friends count as the plain text they are: request text is user data.
    return counter.count(text);
  } catch {
    // Never expected; a count must not fail a request, so fall back to ~4 characters per token.
    return Math.ceil(text.length / 4);
  }
}

function chunkedCount(run: string): number {
  let total = 0;
  let start = 0;
  while (start < run.length) {
    let end = Math.min(start + RUN_CHUNK, run.length);
    // Keep surrogate pairs together so no chunk ends in half an emoji.
    const last = run.charCodeAt(end - 1);
    if (end < run.length && last >= 0xd800 && last <= 0xdbff) end++;
    total += rawCount(run.slice(start, end));
    start = end;
  }
  return total;
}

// 0 whitespace, 1 ASCII digit, 2 ASCII punctuation, 3 letters and all non-ASCII: the boundaries
// o200k's pre-tokenizer also cuts at, so compact JSON and code rarely form a long run.
function runClass(code: number): number {
  if (code === 32 || (code >= 9 && code <= 13)) return 0;
  if (code >= 48 && code <= 57) return 1;
  if (code >= 128 || ((code | 32) >= 97 && (code | 32) <= 122)) return 3;
  return 2;
}

/** Number of o200k_base tokens in `text`, exact except at the cuts of very long runs. */
export function o200kCount(text: string): number {
  if (text.length < LONG_RUN) return rawCount(text);
  let total = 0;
  let done = 0; // text before this index is already counted
  let runStart = 0;
  let runType = -1;
  for (let i = 0; i <= text.length; i++) {
    const type = i < text.length ? runClass(text.charCodeAt(i)) : -1;
    if (type === runType) continue;
    if (runType !== 1 && i - runStart >= LONG_RUN) {
      total += rawCount(text.slice(done, runStart)) + chunkedCount(text.slice(runStart, i));
      done = i;
    }
    runStart = i;
    runType = type;
  }
  return done === 0 ? rawCount(text) : total + rawCount(text.slice(done));
}
