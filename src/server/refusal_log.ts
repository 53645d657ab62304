/**
 * Requests refused for a missing or wrong ccp token, in the log. Claude Code shows any 401 as
 * "Not logged in · Please run /login", so the operator's log is the one place that says what
 * happened. A misconfigured client keeps trying: at most one line a minute, with a count of the
 * others. The token a client sent is never written.
 */

import type { Logger } from "../core/log.ts";

const EVERY_MS = 60_000;

/** Notes one refused request (`what`: method, path and the client's user-agent). */
export type RefusalNote = (request: { method: string; path: string; userAgent?: string }) => void;

/** A refusal note writing to `log`, at most once per minute of `now`. */
export function refusalLog(log: Logger, now: () => number = Date.now): RefusalNote {
  let lastAt = -Infinity;
  let unsaid = 0;
  return ({ method, path, userAgent }) => {
    const at = now();
    if (at - lastAt < EVERY_MS) {
      unsaid++;
      return;
    }
    const client = userAgent ? ` (${printable(userAgent)})` : "";
    const more = unsaid > 0 ? `; ${unsaid} more refused since the last such line` : "";
    log.warn(
      `Refused ${method} ${printable(path)}${client}: missing or wrong ccp token; the client ` +
        `must send server.auth_token (ANTHROPIC_AUTH_TOKEN for Claude Code)${more}`,
    );
    lastAt = at;
    unsaid = 0;
  };
}

// Header and path text as it may appear in one log line: no control characters, bounded.
function printable(text: string): string {
  let out = "";
  for (const ch of text.slice(0, 120)) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? "?" : ch;
  }
  return out;
}
