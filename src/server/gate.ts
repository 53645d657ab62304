/**
 * What every request passes before its route: the token (or a status page session), closed
 * mode while a shared engine is away, and a `request-id` on every API answer.
 */

import type { Context, Next } from "hono";
import { ProxyError } from "../core/errors.ts";
import { newRequestId } from "../translate/anthropic/ids.ts";
import {
  ANYONE,
  authRequired,
  everyClientRefusal,
  identify,
  identifyToken,
  seesEveryClient,
} from "./clients.ts";
import { credentialsOf } from "./auth.ts";
import type { AppEnv, ServerDeps } from "./deps.ts";
import { refusalLog } from "./refusal_log.ts";
import { FormerTokens } from "./former_tokens.ts";
import { isUiPath, uiQueryToken, uiSession, type UiSessions } from "./routes/ui.ts";

/** GET /health answers without a token (the HEAD probes never reach the router). */
function isPublic(path: string): boolean {
  return path === "/health";
}

/** The views of every client's requests, which a team's client may not see (clients.ts). */
function showsEveryClient(path: string): boolean {
  return path === "/metrics" || path === "/v1/ccp/usage" || isUiPath(path);
}

/** The middleware in front of every route. */
export function requestGate(
  deps: ServerDeps,
  sessions: UiSessions,
): (c: Context<AppEnv>, next: Next) => Promise<void> {
  const noteRefusal = refusalLog(deps.log);
  const formerTokens = deps.formerTokens ?? new FormerTokens();
  formerTokens.track(deps.config().server.clients);
  return async (c, next) => {
    const server = deps.config().server;
    // The path as the router matched it: a letter sent percent-encoded (`/%6Detrics`) reaches the
    // same route, and must meet the same checks.
    const path = c.req.path;
    formerTokens.track(server.clients);
    // Read once: the route's model suffix and the headers it sends upstream use them too.
    const given = uiQueryToken(c.req.raw, path);
    const identity = !authRequired(server)
      ? ANYONE
      : identify(credentialsOf(c.env, c.req.raw.headers), server) ??
        (given !== undefined ? identifyToken(given, server) : undefined);
    if (identity) c.env.identity = identity;
    if (identity && !seesEveryClient(identity, server) && showsEveryClient(path)) {
      throw everyClientRefusal(identity);
    }
    if (!identity && !isPublic(path) && !(isUiPath(path) && uiSession(sessions, c.req.raw))) {
      const requestId = newRequestId();
      noteRefusal({
        method: c.req.method,
        path,
        requestId,
        userAgent: c.req.header("user-agent"),
        headers: c.req.raw.headers,
        clients: (server.clients?.length ?? 0) > 0,
        former: await formerTokens.whose(c.req.raw.headers),
      });
      // A wrong token stays wrong: Claude Code would retry the 401 up to 10 times (minutes) and
      // then say "Not logged in · Please run /login", hiding this message. It obeys
      // `x-should-retry: false` and shows the message at once.
      // Refused before a request record exists, yet with a request id, as Anthropic's answers
      // all have one (the SDKs show it as the error's `requestID`).
      throw new ProxyError(
        "authentication_error",
        "Invalid or missing API key: send ccp's auth token as ANTHROPIC_AUTH_TOKEN " +
          "(Authorization: Bearer), x-api-key or anthropic-auth-token",
        { headers: { "x-should-retry": "false", "request-id": requestId } },
      );
    }
    // Closed mode: no request is served on local state while a shared engine is away. A Messages
    // request is refused by its handler, so the refusal is a request record like any other.
    const messages = path === "/v1/messages";
    const refusal = c.req.method === "POST" && !messages ? deps.shared?.refusal() : undefined;
    if (refusal) throw refusal;
    await next();
    // Every answer of the API has an id, as Anthropic's do (the SDKs' `_request_id`); the
    // Messages answers carry their record's.
    // (Reading an answer's headers builds a Headers object for it: skipped where the id is known.)
    if (path.startsWith("/v1/") && !c.env.answersWithId && !c.res.headers.has("request-id")) {
      try {
        c.res.headers.set("request-id", newRequestId());
      } catch {
        // A response whose headers are fixed (one relayed as it came) goes without.
      }
    }
  };
}
