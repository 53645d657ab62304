/** POST /v1/messages: parse, resolve, send through the pipeline, respond with JSON or SSE. */

import type { Context } from "hono";
import { SSE_HEADERS } from "../../core/sse.ts";
import { admitMessagesRequest } from "../../protocols/anthropic_request_gate.ts";
import { routeHeaders } from "../../pipeline/route_headers.ts";
import { type ResolutionInput, resolveRouteCounted, RouteRefused } from "../../routing/resolve.ts";
import { subagentTag, withoutSubagentTag } from "../../routing/scenarios.ts";
import { mistypedProviderNote } from "../../routing/mistyped.ts";
import {
  type LocalKind,
  localKind,
  localMessage,
  localStream,
} from "../../pipeline/local_answer.ts";
import type { MessagesRequest } from "../../protocols/anthropic.ts";
import type { Recorder } from "../../pipeline/recorder.ts";
import { NO_ROUTE } from "../../pipeline/record.ts";
import { bodyLimits, readJsonBody } from "../body.ts";
import { forgetRawJson } from "../../core/raw_json.ts";
import { credentialsOf, tokenSuffix, withoutOwnToken } from "../auth.ts";
import { ANYONE, checkRouteAllowed } from "../clients.ts";
import type { AppEnv, ServerDeps } from "../deps.ts";
import { errorResponse } from "../responses.ts";
import { ProxyError } from "../../core/errors.ts";

const SHUTTING_DOWN = "ccp is shutting down";

/** Builds the handler for POST /v1/messages. */
export function messagesHandler(deps: ServerDeps): (c: Context<AppEnv>) => Promise<Response> {
  const warnMistyped = onceEach(256);
  return async (c) => {
    const raw = c.req.raw;
    // Each of its answers carries the record's id (routeHeaders, or the local answer's own).
    c.env.answersWithId = true;
    const identity = c.env.identity ?? ANYONE;
    const recorder = deps.pipeline.begin({
      method: raw.method,
      path: c.env.path,
      headers: raw.headers,
      client: identity.client,
    });
    // Deno does not signal a client that leaves before the answer starts; the watcher does.
    const gone = new AbortController();
    const leave = () => gone.abort(new DOMException("client disconnected", "AbortError"));
    if (raw.signal.aborted) leave();
    else raw.signal.addEventListener("abort", leave, { once: true });
    const unwatch = deps.departures.watch(c.env.peer, leave);
    // ccp's stop gave up waiting (its grace is over): the upstream request is cancelled, and the
    // client is told, with an error its SDK retries, rather than finding its connection dropped.
    let stopped = false;
    const stop = () => {
      stopped = true;
      gone.abort(new DOMException(SHUTTING_DOWN, "AbortError"));
    };
    if (deps.shutdown?.aborted) stop();
    else deps.shutdown?.addEventListener("abort", stop, { once: true });
    try {
      // Closed mode with a shared engine away: refused before the body is read, and recorded.
      const refusal = deps.shared?.refusal();
      if (refusal) throw refusal;
      const config = deps.config();
      const received = await readJsonBody(raw, bodyLimits(config));
      const parsed = await admitMessagesRequest(received);
      Object.assign(recorder.record, { clientModel: parsed.model, stream: parsed.stream === true });
      const local = config.localAnswers === false ? undefined : localKind(parsed);
      if (local) {
        unwatch();
        return localResponse(local, parsed, recorder);
      }
      const input: ResolutionInput = {
        request: parsed,
        urlPrefix: c.env.routePrefix,
        tokenSuffix: tokenSuffix(credentialsOf(c.env, raw.headers), identity.token),
      };
      // Counted only when the long_context rule is reached and the request may be over it.
      let counted: number | undefined;
      const resolution = await resolveRouteCounted(
        input,
        config,
        async () => (counted = await deps.countTokens(parsed)),
      );
      recorder.record.route = resolution.route;
      const mistyped = mistypedProviderNote(parsed.model, resolution, config);
      if (mistyped && warnMistyped(parsed.model)) deps.log.warn(mistyped);
      checkRouteAllowed(identity, resolution);
      // The tag is for ccp: the upstream never sees it.
      const body = subagentTag(parsed) === undefined ? parsed : withoutSubagentTag(parsed);
      const { answer, headers } = await deps.pipeline.messages({
        body,
        resolution,
        // Routing's count, not a second one (no tag was stripped when a count was made).
        ...(counted !== undefined ? { inputTokens: counted } : {}),
        headers: withoutOwnToken(raw.headers, credentialsOf(c.env, raw.headers), identity.token),
        signal: gone.signal,
        recorder,
      });
      // Nothing more is sent upstream from the client's text (web-tool rounds serialise anew).
      forgetRawJson(received);
      unwatch();
      if (answer.kind === "stream") {
        return new Response(answer.body, { headers: { ...SSE_HEADERS, ...headers } });
      }
      return jsonAnswer(answer.message, headers);
    } catch (err) {
      unwatch();
      // A refusal while choosing the route still says which rule refused it; a body refused
      // before routing reached none, and its header, log line, ledger and metrics all say so.
      recorder.record.route ??= err instanceof RouteRefused ? err.route : NO_ROUTE;
      const error = stopped
        ? deps.pipeline.failed(recorder, new ProxyError("overloaded_error", SHUTTING_DOWN), false)
        : deps.pipeline.failed(recorder, err, gone.signal.aborted);
      return errorResponse(error, routeHeaders(recorder));
    } finally {
      // From here a stream ends on its own at the stop (with its error frame).
      deps.shutdown?.removeEventListener("abort", stop);
    }
  };
}

/** True the first time each key is seen (up to `limit` keys, then nothing more is said). */
function onceEach(limit: number): (key: string) => boolean {
  const seen = new Set<string>();
  return (key) => {
    if (seen.has(key) || seen.size >= limit) return false;
    seen.add(key);
    return true;
  };
}

/** Answers a request that needs no model, and records it under the route `local`. */
function localResponse(kind: LocalKind, body: MessagesRequest, recorder: Recorder): Response {
  const message = localMessage(kind, body.model);
  recorder.record.route = "local";
  // Time to first token is a streamed answer's figure only (a JSON answer arrives whole).
  if (body.stream === true) recorder.firstToken();
  const usage = message.usage as Record<string, number>;
  recorder.end({
    status: 200,
    outcome: "ok",
    usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens },
  });
  const headers = { "x-ccp-route": "local", "request-id": recorder.record.id };
  if (body.stream === true) {
    return new Response(localStream(message), { headers: { ...SSE_HEADERS, ...headers } });
  }
  return jsonAnswer(message, headers);
}

/**
 * A JSON answer as `Response.json` makes it, with its text as the body: `Response.json` encodes
 * the text to bytes in JavaScript first, which the server does anyway as it sends a text body.
 * `headers`, made for this answer alone, gets the content type in place rather than in a copy.
 */
function jsonAnswer(message: unknown, headers: Record<string, string>): Response {
  headers["content-type"] = "application/json";
  return new Response(JSON.stringify(message), { headers });
}
