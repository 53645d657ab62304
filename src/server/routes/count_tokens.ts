/** POST /v1/messages/count_tokens: parse, resolve, count through the pipeline, respond. */

import type { Context } from "hono";
import { admitCountTokensRequest } from "../../protocols/anthropic_request_gate.ts";
import { resolveRouteCounted } from "../../routing/resolve.ts";
import { withoutSubagentTag } from "../../routing/scenarios.ts";
import { bodyLimits, readJsonBody } from "../body.ts";
import { credentialsOf, tokenSuffix, withoutOwnToken } from "../auth.ts";
import { ANYONE, checkRouteAllowed } from "../clients.ts";
import type { AppEnv, ServerDeps } from "../deps.ts";
import { ProxyError } from "../../core/errors.ts";
import { errorResponse } from "../responses.ts";

/** Builds the handler for POST /v1/messages/count_tokens. */
export function countTokensHandler(deps: ServerDeps): (c: Context<AppEnv>) => Promise<Response> {
  return async (c) => {
    const raw = c.req.raw;
    // Deno does not signal a client that leaves before the answer starts; the watcher does, so a
    // count that an upstream makes (or that waits for its turn there) ends with its client.
    const gone = new AbortController();
    const leave = () => gone.abort(new DOMException("client disconnected", "AbortError"));
    if (raw.signal.aborted) leave();
    else raw.signal.addEventListener("abort", leave, { once: true });
    const unwatch = deps.departures.watch(c.env.peer, leave);
    try {
      return await countTokens(c, deps, gone.signal);
    } catch (err) {
      if (!gone.signal.aborted) throw err;
      // A client that left is no error of ccp's: nobody reads this answer.
      deps.log.info(`${raw.method} ${c.env.path} 499 client disconnected`);
      return errorResponse(new ProxyError("api_error", "client disconnected", { status: 499 }));
    } finally {
      unwatch();
    }
  };
}

async function countTokens(
  c: Context<AppEnv>,
  deps: ServerDeps,
  signal: AbortSignal,
): Promise<Response> {
  const config = deps.config();
  const started = performance.now();
  const raw = c.req.raw;
  const identity = c.env.identity ?? ANYONE;
  const body = await admitCountTokensRequest(await readJsonBody(raw, bodyLimits(config)));
  let counted: number | undefined;
  const resolution = await resolveRouteCounted(
    {
      request: body,
      urlPrefix: c.env.routePrefix,
      tokenSuffix: tokenSuffix(credentialsOf(c.env, raw.headers), identity.token),
    },
    config,
    async () => (counted = await deps.countTokens(body)),
  );
  checkRouteAllowed(identity, resolution);
  const { inputTokens, via } = await deps.pipeline.countTokens({
    // Counted as it would be sent: the tag is ccp's, and no upstream sees it.
    body: withoutSubagentTag(body),
    resolution,
    // A local answer is the count that routed it (no tag was stripped when one was made).
    ...(counted !== undefined ? { inputTokens: counted } : {}),
    headers: withoutOwnToken(raw.headers, credentialsOf(c.env, raw.headers), identity.token),
    signal,
  });
  deps.log.info(
    `${raw.method} ${c.env.path} ${body.model} \u2192 ${via} 200 ${
      Math.round(performance.now() - started)
    }ms in=${inputTokens} [${resolution.route}]`,
  );
  return Response.json({ input_tokens: inputTokens });
}
