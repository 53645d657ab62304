/** Calling an Anthropic-compatible upstream: URL, headers and auth for `type: anthropic`. */

import type { HeaderReader } from "../../core/headers.ts";
import type { ProviderConfig } from "../../config/types.ts";
import { anthropicUrl } from "../http/endpoints.ts";
import {
  applyAuth,
  applyProviderHeaders,
  forwardedAnthropicHeaders,
  passthroughCredentials,
} from "../http/headers.ts";
import { describeTarget } from "../../core/text.ts";
import type { FetchLike } from "../http/clients.ts";
import type { Logger } from "../../core/log.ts";
import type { LearnedParams } from "../../resilience/learned_params.ts";
import {
  type PostFailure,
  postJsonLearning,
  type PostSuccess,
  type Resends,
} from "../http/post.ts";
import type { TryTrace } from "../try_trace.ts";

/** One call to an Anthropic-compatible upstream. */
export interface AnthropicCall {
  provider: ProviderConfig;
  /** Upstream model name (replaces the client's `model`). */
  model: string;
  /** The client's body; copied shallowly, never mutated. */
  body: Record<string, unknown>;
  clientHeaders: HeaderReader;
  /** The attempt's W3C trace context, renewed for each try sent again, while tracing is on. */
  trace?: TryTrace;
  /** The key to use, if the provider has keys. */
  key?: string;
  signal: AbortSignal;
  fetch: FetchLike;
  path?: "messages" | "messages/count_tokens";
  /** Extra advice appended to a connection error (e.g. for the embedded default). */
  unreachableHint?: string;
  /** Optional parameters this upstream refused before. */
  learned?: LearnedParams;
  /** False: `learned` is applied, and nothing new is learned (see LearningPostOptions). */
  learn?: boolean;
  /** Re-sends left to the attempt, shared by its calls (see MAX_RESENDS). */
  resends?: Resends;
  log?: Logger;
}

/** Sends the request; resolves once response headers arrive (2xx) or with a mapped failure. */
export function callAnthropic(call: AnthropicCall): Promise<PostSuccess | PostFailure> {
  const { provider } = call;
  const headers = forwardedAnthropicHeaders(call.clientHeaders);
  if (provider.auth === "passthrough") passthroughCredentials(call.clientHeaders, headers);
  else applyAuth(headers, provider.authHeader, call.key);
  applyProviderHeaders(headers, provider);
  headers["content-type"] = "application/json";
  headers.accept = call.body.stream === true ? "text/event-stream" : "application/json";
  return postJsonLearning({
    provider,
    model: call.model,
    url: anthropicUrl(provider.baseUrl, call.path ?? "messages"),
    headers,
    json: { ...call.body, model: call.model },
    signal: call.signal,
    fetch: call.fetch,
    unreachableHint: call.unreachableHint,
    learned: call.learned,
    ...(call.learn === false ? { learn: false } : {}),
    log: call.log,
    ...(call.trace ? { trace: call.trace } : {}),
    ...(call.resends ? { resends: call.resends } : {}),
  });
}

/** `provider "x" (model y)`, for stream error frames. */
export function describeCall(call: Pick<AnthropicCall, "provider" | "model">): string {
  return describeTarget(call.provider.id, call.model);
}
