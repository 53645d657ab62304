/**
 * One-shot deadlines that share a single runtime timer. A request arms and cancels several
 * (the body read, the upstream's total and first-byte limits, the body guard's, the ping of a
 * stream), and almost none fire. Deno 2.9's `setTimeout` builds a Node-style Timeout object per
 * call (~2-4 µs an arm and cancel, ~4 % of a small request's CPU in a profile); here arming is a
 * heap insertion and cancelling sets a flag, and the one runtime timer waits for the earliest
 * deadline still armed.
 *
 * That runtime timer is an `AbortSignal.timeout`, not a `setTimeout`: Deno 2.9 loads its Node
 * timers layer on the first `setTimeout` of a process (3-5 ms and ~2 MB of ccp's idle RSS,
 * measured), and a timeout signal needs none of it. A signal cannot be cancelled, so a wake-up no
 * longer needed is left pending and ignored when it fires; a new one is made only when a deadline
 * earlier than the pending wake-up is armed, so they stay few. A signal also keeps the process
 * alive until it fires, so by default none is set more than a second ahead (a later deadline is
 * reached by waking each second): a script that ends by itself ends at most a second later. A
 * process that ends by `Deno.exit` (ccp's command line) is not held by a pending signal, so there
 * the wake-up waits for the earliest deadline however far it is (`endsByExit`): a kept-alive
 * connection's 75 s idle limit is then one wake-up instead of 75.
 */

/** Cancels a deadline; calling it again, or after it fired, does nothing. */
export type Cancel = () => void;

interface Entry {
  /** `performance.now()` at which it is due. */
  readonly at: number;
  /** Arming order: deadlines due at the same moment fire in the order they were armed. */
  readonly seq: number;
  /** Cleared when the deadline fires or is cancelled. */
  fn: (() => void) | undefined;
}

// A binary min-heap by (at, seq). Cancelled entries stay until they reach the top or the heap is
// compacted, so cancelling never searches.
let heap: Entry[] = [];
let armed = 0;
let cancelled = 0;
let nextSeq = 0;
// When the current wake-up fires (Infinity: none pending), and which wake-up is current.
let wakeAt = Infinity;
let wakeSeq = 0;
// The longest a wake-up waits: a second, or the runtime's limit once `endsByExit` was called (a
// timeout signal longer than 2^31 - 1 ms fires at once).
let longestWakeMs = 1000;
const TIMER_LIMIT_MS = 2 ** 31 - 1;

/**
 * Says that this process ends by `Deno.exit`, never by running out of work: from now on a
 * wake-up waits for the earliest deadline, since a pending one can no longer hold a finished
 * command.
 */
export function endsByExit(): void {
  longestWakeMs = TIMER_LIMIT_MS;
}

/** Calls `fn` once `ms` milliseconds have passed, unless the returned function cancels it. */
export function deadline(ms: number, fn: () => void): Cancel {
  const now = performance.now();
  // As with setTimeout, a negative or NaN delay is due at once (NaN would never be due).
  const entry: Entry = { at: now + (ms > 0 ? ms : 0), seq: nextSeq++, fn };
  heap.push(entry);
  siftUp(heap.length - 1);
  armed++;
  if (entry.at < wakeAt) rearm(now);
  return () => {
    if (entry.fn === undefined) return;
    entry.fn = undefined;
    armed--;
    cancelled++;
    if (armed === 0) clear();
    // A busy server always has some deadline armed: drop the cancelled ones once they dominate.
    else if (cancelled > 64 && cancelled > armed) compact();
  };
}

/**
 * Calls `fn` every `ms` milliseconds (a throwing call is reported) until cancelled; `arm` sets
 * each wait (an injected clock's timer, in code that tests move time by hand).
 */
export function every(
  ms: number,
  fn: () => void,
  arm: (ms: number, fn: () => void) => Cancel = deadline,
): Cancel {
  let cancel: Cancel;
  const tick = () => {
    cancel = arm(ms, tick);
    fn();
  };
  cancel = arm(ms, tick);
  return () => cancel();
}

/** Deadlines armed, and entries held (armed plus cancelled ones not yet dropped): for tests. */
export function deadlineCounts(): { armed: number; held: number } {
  return { armed, held: heap.length };
}

function fire(): void {
  wakeAt = Infinity;
  const now = performance.now();
  // Deadlines armed by the callbacks below wait for the next turn, even if already due.
  const until = nextSeq;
  while (heap.length > 0 && heap[0]!.at <= now && heap[0]!.seq < until) {
    const entry = pop();
    const fn = entry.fn;
    if (fn === undefined) {
      cancelled--;
      continue;
    }
    entry.fn = undefined;
    armed--;
    try {
      fn();
    } catch (error) {
      // As a throwing setTimeout callback would: reported, and the other deadlines still fire.
      reportError(error);
    }
  }
  if (armed === 0) clear();
  else rearm(performance.now());
}

/** Points the runtime timer at the earliest armed deadline. */
function rearm(now: number): void {
  while (heap.length > 0 && heap[0]!.fn === undefined) {
    pop();
    cancelled--;
  }
  const first = heap[0];
  if (first === undefined) return clear();
  if (wakeAt <= first.at) return; // the pending wake-up comes first and re-arms then
  // Rounded up: a wake-up before the deadline would find nothing due and need another.
  const ms = Math.min(longestWakeMs, Math.max(0, Math.ceil(first.at - now)));
  wakeAt = now + ms;
  const seq = ++wakeSeq;
  AbortSignal.timeout(ms).onabort = () => {
    if (seq === wakeSeq) fire();
  };
}

/** Nothing armed: the heap is emptied; a pending wake-up fires later and finds nothing due. */
function clear(): void {
  heap = [];
  cancelled = 0;
}

function compact(): void {
  heap = heap.filter((entry) => entry.fn !== undefined);
  cancelled = 0;
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
}

const before = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

function pop(): Entry {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    siftDown(0);
  }
  return top;
}

function siftUp(i: number): void {
  const entry = heap[i]!;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(entry, heap[parent]!)) break;
    heap[i] = heap[parent]!;
    i = parent;
  }
  heap[i] = entry;
}

function siftDown(i: number): void {
  const entry = heap[i]!;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= heap.length) break;
    if (child + 1 < heap.length && before(heap[child + 1]!, heap[child]!)) child++;
    if (!before(heap[child]!, entry)) break;
    heap[i] = heap[child]!;
    i = child;
  }
  heap[i] = entry;
}
