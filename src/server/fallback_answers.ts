/** What the app answers when no route matches, and when a route throws. */

import type { Context } from "hono";
import { ProxyError } from "../core/errors.ts";
import { NO_ROUTE } from "../pipeline/record.ts";
import { newRequestId } from "../translate/anthropic/ids.ts";
import type { AppEnv, ServerDeps } from "./deps.ts";
import { apiHint, misplacedPathAdvice, pageHint } from "./misplaced_path.ts";
import { errorResponse } from "./responses.ts";

/** A 404 naming the path, or a 400 saying where the client's base URL went wrong. */
export function notFoundHandler(deps: ServerDeps): (c: Context<AppEnv>) => Response {
  return (c) => {
    const what = `${c.req.method} ${c.env.path}`;
    // The Host header, not the request URL: behind the connection guard that is a socket's.
    const advice = misplacedPathAdvice(c.env.path, `http://${c.req.header("host") ?? "127.0.0.1"}`);
    if (!advice) {
      const page = pageHint(c.req.method, c.env.path) ?? apiHint(c.env.path);
      const hint = page === undefined ? "" : `; ${page}`;
      return errorResponse(new ProxyError("not_found_error", `Not found: ${what}${hint}`));
    }
    deps.log.warn(`Not found: ${what}: ${advice}`);
    // Claude Code shows any 404 as "an issue with the selected model" and hides the message; a
    // 400 it shows whole, and the fault is the client's base URL, which the message names.
    return errorResponse(new ProxyError("invalid_request_error", `Not found: ${what}; ${advice}`));
  };
}

/** Any error a route or the gate throws, as an Anthropic error answer. */
export function errorHandler(deps: ServerDeps): (err: Error, c: Context<AppEnv>) => Response {
  return (err, c) => {
    if (!(err instanceof ProxyError)) deps.log.error(`Unhandled error: ${err.stack ?? err}`);
    // A Messages request refused before its handler ran (auth) was routed nowhere.
    const messages = c.req.method === "POST" && c.env.path === "/v1/messages";
    const answer = errorResponse(err, messages ? { "x-ccp-route": NO_ROUTE } : {});
    // Refused before a handler ran (closed mode), yet an API answer: it has an id, as all do.
    if (c.env.path.startsWith("/v1/") && !answer.headers.has("request-id")) {
      answer.headers.set("request-id", newRequestId());
    }
    return answer;
  };
}
