/**
 * The targets of a chain a request was not sent to before the one that served it, and why: a key
 * cooling down after a 429, a circuit open, a budget spent, the client's own credential refused.
 * Without this, a request a fallback served because Anthropic's key was still cooling looked
 * like any other in the log line, `x-ccp-passed` and the status page, and only the request that
 * met the 429 said why the session had moved.
 */

import { type Clock, waitText } from "./clock.ts";
import type { Dispatched, TargetOutcome } from "./outcome.ts";

/**
 * The first target a request was not sent to, in brief, for the status line (which redraws later,
 * so the wait is a moment, not a count of seconds): `claude/claude-opus-5-5`, `key cooling`,
 * until then.
 */
export interface PassedNote {
  readonly target: string;
  readonly why: string;
  /** Epoch ms when the target may serve again (a budget's reset for a spent one). */
  readonly until?: number;
}

/** `dispatched`, saying which earlier targets it was not sent to (none in the usual case). */
export function withPassed<S>(
  dispatched: Dispatched<S>,
  outcomes: readonly TargetOutcome[],
  clock: Clock,
): Dispatched<S> {
  if (outcomes.length === 0) return dispatched;
  const passed = passedOver(outcomes, clock.now());
  if (passed.length === 0) return dispatched;
  const note = outcomes.map(noteOf).find((n) => n !== undefined);
  return note ? { ...dispatched, passed, passedNote: note } : { ...dispatched, passed };
}

function noteOf(outcome: TargetOutcome): PassedNote | undefined {
  const target = `${outcome.target.provider}/${outcome.target.model}`;
  switch (outcome.kind) {
    case "keys": {
      const { cooling, blocked, keyless, missing, retryAt } = outcome.keys;
      // No key: nothing to wait for, so no moment either.
      if (missing !== undefined) return { target, why: "no API key" };
      const why = cooling > 0
        ? `${keys(cooling)} cooling`
        : keyless
        ? "no API key"
        : `${keys(blocked)} set aside`;
      return { target, why, ...(keyless && cooling === 0 ? {} : { until: retryAt }) };
    }
    case "open":
      return { target, why: "paused", until: outcome.until };
    case "budget":
      return { target, why: "budget spent", until: outcome.until };
    case "credential":
      return { target, why: "credential refused", until: outcome.until };
    default:
      return undefined;
  }
}

/** `claude/claude-opus-5-5 (not sent: key cooling down after 429, usable again in 28s)`. */
export function passedOver(outcomes: readonly TargetOutcome[], now: number): string[] {
  const passed: string[] = [];
  for (const outcome of outcomes) {
    const why = notSent(outcome, now);
    const { provider, model } = outcome.target;
    if (why !== undefined) passed.push(`${provider}/${model} (not sent: ${why})`);
  }
  return passed;
}

/**
 * The target an entry of the list names (`claude/m (not sent: ...)` -> `claude/m`): what stands
 * before the parenthesis the entry ends with. A model id may hold ` (` itself, so that
 * parenthesis is matched from the end rather than taken as the first.
 */
export function passedTarget(entry: string): string {
  let depth = 0;
  for (let i = entry.length - 1; i > 0 && entry.endsWith(")"); i--) {
    if (entry[i] === ")") depth++;
    else if (entry[i] === "(" && --depth === 0) {
      return entry[i - 1] === " " ? entry.slice(0, i - 1) : entry;
    }
  }
  return entry;
}

// Failed tries are the log line's `failed:` already, and context windows say their own reason.
function notSent(outcome: TargetOutcome, now: number): string | undefined {
  switch (outcome.kind) {
    case "keys": {
      // As the refusal when every target is out words it: a provider without a key has none
      // set aside and nothing to wait for, and keys cooling do not hide others refused.
      const { cooling, blocked, keyless, missing, recentStatuses, retryAt } = outcome.keys;
      if (missing !== undefined) return `no API key is set for it (set ${missing})`;
      const statuses = recentStatuses.join(", ");
      const state: string[] = [];
      if (cooling > 0) state.push(`${keys(cooling)} cooling down after 429`);
      if (blocked > 0) {
        state.push(
          keyless
            ? `no API key is set for it and it answered ${statuses}`
            : `${keys(blocked)} refused with ${statuses}`,
        );
      }
      const when = cooling > 0
        ? `usable again in ${waitText(retryAt, now)}`
        : keyless
        ? ""
        : `tried again in ${waitText(retryAt, now)}`;
      return [...state, when].filter((t) => t !== "").join(", ");
    }
    case "open":
      return `paused after repeated failures, re-tried in ${waitText(outcome.until, now)}`;
    case "budget":
      return outcome.budget ? `budget of ${outcome.budget} spent` : "budget spent";
    case "credential":
      return `the client's own credential was refused with ${outcome.status}, tried again in ${
        waitText(outcome.until, now)
      }`;
    default:
      return undefined;
  }
}

const keys = (n: number) => n === 1 ? "key" : `${n} keys`;
