/**
 * Requests refused for a missing or wrong ccp token, in the log. Claude Code shows any 401 as
 * "Not logged in · Please run /login", so the operator's log is the one place that says what
 * happened. A misconfigured client keeps trying: at most one line a minute, with a count of the
 * others. Each refusal's `request-id` can still be found: a line names its own and the latest of
 * those it counts, and at debug level every refusal has a line. The token a client sent is never
 * written.
 */

import type { Logger } from "../core/log.ts";
import type { FormerToken } from "./former_tokens.ts";

const EVERY_MS = 60_000;

// Named by both places it may be set: one set in the environment is not in the config file.
const OWN_TOKEN = "ccp's auth token (server.auth_token or CCP_AUTH_TOKEN)";
// With a team's named tokens, a refused one is often one a reload just revoked or rotated.
const WHICH_CLIENT = "its own token of clients: (a token a reload removed or replaced is " +
  `refused from then on) or ${OWN_TOKEN}`;

/**
 * Notes one refused request: method, path, the client's user-agent and headers, and the
 * `request-id` its 401 carries.
 */
export type RefusalNote = (
  request: {
    method: string;
    path: string;
    requestId: string;
    userAgent?: string;
    headers?: Headers;
    /** The config has named clients (`clients:`), each with a token of its own. */
    clients?: boolean;
    /** The token is one a reload took from this client of `clients:`. */
    former?: FormerToken;
  },
) => void;

/**
 * What the client sent instead of ccp's token, by its kind only. A Claude Code still logged in to
 * claude.ai sends its login when it has no ANTHROPIC_AUTH_TOKEN, and then says "Not logged in",
 * which reads like the opposite of what happened.
 */
function sentInstead(headers: Headers | undefined): string {
  if (!headers) return "";
  const bearer = /^Bearer\s+(\S*)/i.exec(headers.get("authorization") ?? "")?.[1];
  const apiKey = headers.get("x-api-key") ?? headers.get("anthropic-auth-token") ?? undefined;
  const sent = bearer ?? apiKey;
  if (sent === undefined || sent === "") return " (it sent no token)";
  if (sent.startsWith("sk-ant-oat")) {
    return " (it sent its Claude login: Claude Code is logged in to claude.ai and was given no " +
      "ANTHROPIC_AUTH_TOKEN)";
  }
  if (sent.startsWith("sk-ant-")) return " (it sent an Anthropic API key, ANTHROPIC_API_KEY)";
  return " (it sent another token)";
}

// A revoked or rotated developer, told apart from a typo (whose name only: never the token).
function formerText(former: FormerToken): string {
  return ` (it sent client ${former.client}'s token, which a reload removed or replaced)`;
}

/** A refusal note writing to `log`, at most once per minute of `now`. */
export function refusalLog(log: Logger, now: () => number = Date.now): RefusalNote {
  let lastAt = -Infinity;
  let unsaid = 0;
  let latestUnsaid = "";
  return ({ method, path, requestId, userAgent, headers, clients, former }) => {
    const at = now();
    // Written out only for a line that is logged: a client that keeps trying is refused often.
    const what = () =>
      `Refused ${method} ${printable(path)}` + (userAgent ? ` (${printable(userAgent)})` : "");
    if (at - lastAt < EVERY_MS) {
      unsaid++;
      latestUnsaid = requestId;
      if (log.enabled("debug")) {
        log.debug(`${what()}: missing or wrong ccp token (request ${requestId})`, {
          request_id: requestId,
        });
      }
      return;
    }
    const more = unsaid > 0
      ? `; ${unsaid} more refused since the last such line, the latest ${latestUnsaid}`
      : "";
    log.warn(
      `${what()}: missing or wrong ccp token${
        former ? formerText(former) : sentInstead(headers)
      }; the client ` +
        `must send ${clients ? WHICH_CLIENT : OWN_TOKEN} (ANTHROPIC_AUTH_TOKEN for ` +
        `Claude Code); request ${requestId}${more}`,
      {
        request_id: requestId,
        ...unsaid > 0 ? { refused_unlogged: unsaid, latest_unlogged_request_id: latestUnsaid } : {},
      },
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
