/**
 * CLIProxyAPI's `routing:` section -> how ccp spreads requests: its `strategy` (`round-robin`, the
 * default, and `weighted-round-robin` spread requests over every credential of a model, while
 * `fill-first` uses one until it fails) and its `session-affinity` with `session-affinity-ttl`.
 */

import { isObject, type State } from "../ccr/text.ts";

/** What the converter writes for the routing section. */
export interface Balance {
  /** Requests were spread over credentials: keys go round robin, shared models spread. */
  readonly spread: boolean;
  /** Spread by each credential's `weight`. */
  readonly weighted: boolean;
  /** ccp's `routing:` fields. */
  readonly fields: Array<readonly [string, unknown]>;
}

const STRATEGIES = ["round-robin", "weighted-round-robin", "fill-first"];

/** A Go duration (`1h`, `30m`, `1h30m0s`) or a number of seconds, as a ccp duration. */
function durationOf(value: unknown): string | undefined {
  if (typeof value === "number") {
    return Number.isFinite(value) && value >= 0 ? `${value}s` : undefined;
  }
  if (typeof value !== "string") return undefined;
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(value.trim());
  if (!m || value.trim() === "") return undefined;
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (seconds % 3600 === 0 && seconds > 0) return `${seconds / 3600}h`;
  return seconds % 60 === 0 && seconds > 0 ? `${seconds / 60}m` : `${seconds}s`;
}

/** Reads `routing:`; what has no ccp form is noted in `state`. */
export function balanceOf(routing: unknown, state: State): Balance {
  const section = isObject(routing) ? routing : {};
  const strategy = section.strategy ?? "round-robin";
  const fields: Array<readonly [string, unknown]> = [];
  if (typeof strategy !== "string" || !STRATEGIES.includes(strategy)) {
    state.notCarried.push(
      `routing.strategy: ${JSON.stringify(strategy)}: ccp knows round-robin, ` +
        "weighted-round-robin and fill-first; not carried over",
    );
  }
  if (section["session-affinity"] === true) {
    fields.push(["session_affinity", true]);
    const given = section["session-affinity-ttl"];
    const ttl = given === undefined ? undefined : durationOf(given);
    if (ttl) fields.push(["session_affinity_ttl", ttl]);
    else if (given !== undefined) {
      state.notCarried.push(
        `routing.session-affinity-ttl: ${JSON.stringify(given)} is no duration ccp reads ` +
          "(1h, 30m); ccp keeps a session's choices 1h; not carried over",
      );
    }
  }
  for (const key of Object.keys(section)) {
    if (!["strategy", "session-affinity", "session-affinity-ttl"].includes(key)) {
      state.notCarried.push(`routing.${key}: not used by ccp; not carried over`);
    }
  }
  return {
    spread: strategy === "round-robin" || strategy === "weighted-round-robin",
    weighted: strategy === "weighted-round-robin",
    fields,
  };
}
