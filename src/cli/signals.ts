/** Signal listeners that exist on every OS: Windows only knows SIGINT and SIGBREAK. */

/** Signals that ask ccp to stop, for this OS. */
export function stopSignals(os: typeof Deno.build.os): Deno.Signal[] {
  return os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/** Signals that ask ccp to re-read its config, for this OS (none on Windows). */
export function reloadSignals(os: typeof Deno.build.os): Deno.Signal[] {
  return os === "windows" ? [] : ["SIGHUP"];
}

/** The signals whose default action ends a process, with their numbers (the exit code adds 128). */
const ENDING: ReadonlyMap<Deno.Signal, number> = new Map([
  ["SIGHUP", 1],
  ["SIGINT", 2],
  ["SIGTERM", 15],
]);

/** The stand-ins {@link endAsInit} added, by signal; none outside a container's PID 1. */
const standIns = new Map<Deno.Signal, () => void>();
/** How many listeners ccp's commands hold on each signal (a stand-in waits while one does). */
const held = new Map<Deno.Signal, number>();

/**
 * As PID 1 (a container's entrypoint: `docker stop` sends SIGTERM to it) the kernel applies no
 * default action, and Deno's own handler, finding no listener, then crashes the process (a
 * segmentation fault, exit 139) or leaves it running until `docker stop` kills it. So, as PID 1,
 * a stop signal that no command of ccp's listens to at that moment (during start-up, after
 * claude exits) ends ccp as it would end any other process: exit code 128 + the signal's number.
 */
export function endAsInit(pid: number, os: typeof Deno.build.os): void {
  if (pid !== 1 || os === "windows" || standIns.size > 0) return;
  for (const [signal, number] of ENDING) {
    const standIn = () => Deno.exit(128 + number);
    standIns.set(signal, standIn);
    if ((held.get(signal) ?? 0) === 0) Deno.addSignalListener(signal, standIn);
  }
}

/** Adds `handler` for each signal and returns a function that removes them all again. */
export function onSignals(signals: readonly Deno.Signal[], handler: () => void): () => void {
  const added: Deno.Signal[] = [];
  for (const signal of signals) {
    try {
      Deno.addSignalListener(signal, handler);
      added.push(signal);
    } catch {
      // Not supported on this platform: nothing to listen for.
      continue;
    }
    const count = held.get(signal) ?? 0;
    held.set(signal, count + 1);
    const standIn = standIns.get(signal);
    if (count === 0 && standIn) Deno.removeSignalListener(signal, standIn);
  }
  return () => {
    for (const signal of added) {
      Deno.removeSignalListener(signal, handler);
      const count = (held.get(signal) ?? 1) - 1;
      held.set(signal, count);
      const standIn = standIns.get(signal);
      if (count === 0 && standIn) Deno.addSignalListener(signal, standIn);
    }
    added.length = 0;
  };
}

/**
 * Copies of one stop signal handled within this long of the first stop taking effect are that
 * stop sent twice (`timeout` signals ccp, then its process group); a person's second Ctrl-C, which
 * skips the drain, comes later.
 */
export const SAME_STOP_MS = 200;

/**
 * The handler of stop signals: the first calls `stop` (a drain), and one handled later than
 * SAME_STOP_MS after that stop took effect calls `exit`. The time runs from when `stop` has
 * returned, not from when the first signal was handled: on a loaded machine the stop's first
 * steps (closing the listener, the config watch, the status page's streams) held the process
 * past 200 ms, and the copy of the same stop handled after them counted as a second one, which
 * cut the requests in flight instead of draining them.
 */
export function stopHandler(
  stop: () => void,
  exit: () => void,
  now: () => number = () => performance.now(),
): () => void {
  let stoppedAt: number | undefined;
  return () => {
    if (stoppedAt === undefined) {
      stop();
      stoppedAt = now();
    } else if (now() - stoppedAt >= SAME_STOP_MS) {
      exit();
    }
  };
}
