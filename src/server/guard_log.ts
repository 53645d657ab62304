/**
 * The connection guard's own answers (a malformed or oversized request head, too many
 * connections, ccp not ready), in the log. Each carries a `request-id` a user may quote; a line
 * names it. A client that keeps sending the same bad head gets at most one line a minute, with a
 * count of the others and the latest one's id; at debug level every refusal has a line.
 */

import type { Logger } from "../core/log.ts";
import type { GuardRefusal } from "./guard_io.ts";

const EVERY_MS = 60_000;

/** A refusal note writing to `log`, at most once per minute of `now`. */
export function guardRefusalLog(
  log: Logger,
  now: () => number = Date.now,
): (refusal: GuardRefusal) => void {
  let lastAt = -Infinity;
  let unsaid = 0;
  let latestUnsaid = "";
  return ({ status, message, requestId, peer }) => {
    const at = now();
    // A message may quote a header value the client sent: no control characters in the log.
    const said = [...message].map((ch) => ch < " " || ch === "\x7f" ? "?" : ch).join("");
    const what = `Refused a request from ${peer} with ${status}: ${said}`;
    if (at - lastAt < EVERY_MS) {
      unsaid++;
      latestUnsaid = requestId;
      if (log.enabled("debug")) {
        log.debug(`${what} (request ${requestId})`, { request_id: requestId });
      }
      return;
    }
    const more = unsaid > 0
      ? `; ${unsaid} more refused since the last such line, the latest ${latestUnsaid}`
      : "";
    log.warn(`${what}; request ${requestId}${more}`, {
      request_id: requestId,
      ...unsaid > 0 ? { refused_unlogged: unsaid, latest_unlogged_request_id: latestUnsaid } : {},
    });
    lastAt = at;
    unsaid = 0;
  };
}
