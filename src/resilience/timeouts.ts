/** Enforces the connect, first-byte, idle and total timeouts on one upstream fetch. */

import type { Timeouts } from "../config/types.ts";
import { primedGuard } from "./body_guard.ts";
import { guardedResponse } from "./guarded_response.ts";
import { type Cancel, type Clock, systemClock } from "./clock.ts";
import type { ConnectProbe } from "./connect_probe.ts";
import { UpstreamTimeoutError } from "./timeout_error.ts";

/** Context for {@link withTimeouts}. */
export interface TimeoutContext {
  readonly provider: string;
  /** The client's signal: aborting it cancels the fetch and its body at once. */
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
  /**
   * Deno's fetch exposes no "connected" moment, so the connect timeout runs only with a probe
   * (see connect_probe.ts), until it connects; without one, `first_byte` bounds a dead host.
   */
  readonly connectProbe?: ConnectProbe;
  /**
   * Looks at the start of a 2xx body before the response is handed on: a response it returns
   * replaces the upstream's (whose body is then cancelled), as if the upstream had answered it.
   */
  readonly inspect?: (
    response: Response,
    start: BodyStart,
  ) => Promise<Response | undefined> | undefined;
}

/** The first chunk of a body, and a way to read more of it ahead while it is held. */
export interface BodyStart {
  readonly first: Uint8Array | undefined;
  readAhead(): Promise<Uint8Array | undefined>;
}

/**
 * Runs `fetchFn` under the timeouts (0 = none): connect until the probe connects, first_byte
 * until the first body chunk, idle between chunks, total until the body ends.
 * A firing timeout rejects (or errors the body) with an UpstreamTimeoutError naming it.
 */
export async function withTimeouts(
  fetchFn: (signal: AbortSignal) => Promise<Response>,
  timeouts: Timeouts,
  context: TimeoutContext,
): Promise<Response> {
  const clock = context.clock ?? systemClock;
  const { provider, signal } = context;
  signal?.throwIfAborted();
  const controller = new AbortController();
  const fire = (kind: UpstreamTimeoutError["kind"], ms: number) => () => {
    if (!controller.signal.aborted) controller.abort(new UpstreamTimeoutError(kind, ms, provider));
  };
  const arm = (ms: number, kind: UpstreamTimeoutError["kind"]): Cancel =>
    ms > 0 ? clock.timer(ms, fire(kind, ms)) : () => {};
  const onOuterAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onOuterAbort, { once: true });

  const started = clock.now();
  const cancelTotal = arm(timeouts.totalMs, "total");
  const cancelFirstByte = arm(timeouts.firstByteMs, "first_byte");
  const cancelConnect = connectPhase(context.connectProbe, timeouts.connectMs, controller, arm);
  const cleanup = () => {
    cancelTotal();
    cancelFirstByte();
    cancelConnect();
    signal?.removeEventListener("abort", onOuterAbort);
  };

  let response: Response;
  try {
    response = await fetchFn(controller.signal);
  } catch (error) {
    cleanup();
    throw controller.signal.aborted ? controller.signal.reason : error;
  }
  cancelConnect();
  if (!response.body) {
    cleanup();
    return response;
  }
  // The body guard takes over first_byte with the same deadline and adds idle; total stays armed.
  cancelFirstByte();
  // The first chunk is read before the response is handed on: a first-byte timeout after early
  // headers (vLLM and llama.cpp send them at once) then still counts as "no answer" and can fail
  // over to the next target, instead of breaking a stream the client was already given.
  const guarded = primedGuard(response.body, {
    provider,
    idleMs: timeouts.idleMs,
    firstByte: timeouts.firstByteMs > 0
      ? { ms: timeouts.firstByteMs, deadline: started + timeouts.firstByteMs }
      : undefined,
    signal: controller.signal,
    clock,
    onSettle: cleanup,
  });
  try {
    const first = await guarded.firstChunk;
    const replaced = response.ok && context.inspect
      ? await context.inspect(response, { first, readAhead: guarded.readAhead })
      : undefined;
    if (replaced) {
      await guarded.body.cancel().catch(() => {});
      return replaced;
    }
  } catch (error) {
    // A failed stream has settled the guard; an inspector that threw has not, so the upstream and
    // the timers are released here.
    await guarded.body.cancel(error).catch(() => {});
    throw controller.signal.aborted ? controller.signal.reason ?? error : error;
  }
  return guardedResponse(response, guarded);
}

/**
 * Starts the connect timeout and its probe (none when the timeout is off: a probe is a connection
 * the upstream sees); returns what ends the phase. The probe is given up when the phase ends, as
 * it may still be trying to connect when fetch has connected (fetch tries a host's other
 * addresses; the probe only its first) and would otherwise keep a socket until the system gives up.
 */
function connectPhase(
  probe: ConnectProbe | undefined,
  ms: number,
  controller: AbortController,
  arm: (ms: number, kind: UpstreamTimeoutError["kind"]) => Cancel,
): Cancel {
  if (!probe || ms <= 0) return () => {};
  const cancelTimer = arm(ms, "connect");
  const probing = new AbortController();
  const stop = () => probing.abort();
  // Linked by hand: a signal from AbortSignal.any() can be collected while the probe waits on it.
  controller.signal.addEventListener("abort", stop, { once: true });
  const end = () => {
    cancelTimer();
    controller.signal.removeEventListener("abort", stop);
    stop();
  };
  // Either probe outcome ends the connect phase: a refused probe means fetch fails fast by itself.
  probe(probing.signal).then(end, end);
  return end;
}
