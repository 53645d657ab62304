/** POST /v1/messages: parse, resolve, send through the pipeline, respond with JSON or SSE. */

import type { Context } from "hono";
import { SSE_HEADERS } from "../../core/sse.ts";
import { parseMessagesRequest } from "../../protocols/anthropic_request.ts";
import { routeHeaders } from "../../pipeline/pipeline.ts";
import { resolveRoute } from "../../routing/resolve.ts";
import { bodyLimits, readJsonBody } from "../body.ts";
import { tokenSuffix, withoutOwnToken } from "../auth.ts";
import type { AppEnv, ServerDeps } from "../deps.ts";
import { errorResponse } from "../responses.ts";

/** Builds the handler for POST /v1/messages. */
export function messagesHandler(deps: ServerDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const raw = c.req.raw;
    const recorder = deps.pipeline.begin({
      method: raw.method,
      path: c.env.path,
      headers: raw.headers,
    });
    // Deno does not signal a client that leaves before the answer starts; the watcher does.
    const gone = new AbortController();
    const leave = () => gone.abort(new DOMException("client disconnected", "AbortError"));
    if (raw.signal.aborted) leave();
    else raw.signal.addEventListener("abort", leave, { once: true });
    const unwatch = deps.departures.watch(c.env.peer, leave);
    try {
      const config = deps.config();
      const body = parseMessagesRequest(await readJsonBody(raw, bodyLimits(config)));
      Object.assign(recorder.record, { clientModel: body.model, stream: body.stream === true });
      const resolution = resolveRoute(
        {
          request: body,
          urlPrefix: c.env.routePrefix,
          tokenSuffix: tokenSuffix(raw.headers, config.server.authToken),
        },
        config,
      );
      recorder.record.route = resolution.route;
      const { answer, headers } = await deps.pipeline.messages({
        body,
        resolution,
        headers: withoutOwnToken(raw.headers, config.server.authToken),
        signal: gone.signal,
        recorder,
      });
      unwatch();
      if (answer.kind === "stream") {
        return new Response(answer.body, { headers: { ...SSE_HEADERS, ...headers } });
      }
      return Response.json(answer.message, { headers });
    } catch (err) {
      unwatch();
      const error = deps.pipeline.failed(recorder, err, gone.signal.aborted);
      return errorResponse(error, routeHeaders(recorder));
    }
  };
}
