/** One JSON POST to an upstream: the network part every transport shares. */

import type { ProviderConfig } from "../../config/types.ts";
import { UpstreamError } from "../../core/errors.ts";
import { capitalise } from "../../core/text.ts";
import { UpstreamTimeoutError } from "../../resilience/timeout_error.ts";
import { ANSWERED_PLACES } from "../model_loading.ts";
import { withTimeouts } from "../../resilience/timeouts.ts";
import {
  addressOf,
  networkCause,
  proxyName,
  upstreamHttpError,
  upstreamNetworkError,
} from "../errors.ts";
import { otherLoopbackHint } from "./other_loopback.ts";
import { describeTarget } from "../../core/text.ts";
import type { Logger } from "../../core/log.ts";
import { fetchFor, type FetchLike, routeFor } from "./clients.ts";
import type { LearnedParams } from "../../resilience/learned_params.ts";
import type { TryTrace } from "../try_trace.ts";
import { applyLearned, lessonOf, resentLine, sameRefusal } from "./lessons.ts";
import { CONNECT_PROBES } from "../../resilience/connect_probe.ts";
import { type OutgoingHeaders, secretsSent } from "./headers.ts";
import { withoutKeys } from "../../core/secrets.ts";
import { type JsonPiece, jsonPieces } from "../../core/raw_json.ts";
import { withUtf8 } from "../../core/utf8_pieces.ts";
import { earlyAnswerOf, earlyError, type FailedStart } from "./early_error.ts";
import { missingKeyAdvice } from "../../config/from_tree.ts";
import { missingEndpointAdvice } from "./missing_endpoint.ts";
import { missingModelAdvice } from "./missing_model.ts";
import { statusStandsFor } from "./model_fault.ts";

/** The upstream answered 2xx: its response, body not yet read. */
export interface PostSuccess {
  ok: true;
  response: Response;
}

/** The upstream failed before answering 2xx; `error` is ready for the client. */
export interface PostFailure {
  ok: false;
  error: UpstreamError;
  status?: number;
  headers?: Headers;
  bodyText?: string;
  /** Set when the upstream answered 2xx and the error came in its body (see early_error.ts). */
  early?: string;
}

/** What {@link postJson} sends. */
export interface PostOptions {
  provider: ProviderConfig;
  /** Upstream model name, for messages. */
  model: string;
  url: string;
  headers: OutgoingHeaders;
  /** The JSON, in pieces that are written one after the other (see jsonPieces). */
  body: readonly JsonPiece[];
  signal: AbortSignal;
  fetch: FetchLike;
  /** Advice appended to a connection error. */
  unreachableHint?: string;
  /** The protocol's test for a 2xx answer that failed at its start (see early_error.ts). */
  failedStart?: FailedStart;
  /** Given: told how many bytes the body came to once they are written. */
  written?: { bytes: number };
}

/** POSTs and resolves once headers arrive: 2xx -> success; otherwise a mapped failure. */
async function postJson(options: PostOptions): Promise<PostSuccess | PostFailure> {
  const { provider, model, url, signal } = options;
  const send = fetchFor(provider, options.fetch);
  // The provider's own proxy, or the environment's as ccp routes it (clients.ts): known either way.
  const { proxy, from } = routeFor(provider, url);
  // Only the runtime's own fetch connects where the probe would (a test's fetch may not).
  const probes = options.fetch === globalThis.fetch ? CONNECT_PROBES : undefined;
  const connectProbe = probes?.probeFor(url, proxy);
  let response: Response;
  try {
    // The returned body is guarded too: idle and total timeouts keep running while it streams.
    response = await withTimeouts(
      // fetch copies a byte body before it returns (the Fetch standard's body extraction does),
      // so the lent bytes are free for the next request as soon as send() has been called.
      (timed) =>
        withUtf8(options.body, (body) => {
          if (options.written) options.written.bytes = body.byteLength;
          return send(url, {
            method: "POST",
            headers: options.headers,
            body,
            signal: timed,
            // A redirect would re-send the body and the key headers to wherever it points.
            redirect: "manual",
          });
        }),
      provider.timeouts,
      {
        provider: provider.id,
        signal,
        inspect: (head, start) => earlyError(head, start, undefined, options.failedStart),
        ...(connectProbe ? { connectProbe } : {}),
      },
    );
    probes?.answered(url, proxy);
    ANSWERED_PLACES.answered(url);
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    if (error instanceof UpstreamTimeoutError) {
      // Through a proxy, the connection that did not come may be the proxy's own.
      const via = proxy && error.kind === "connect" ? `, through ${proxyName(proxy, from)}` : "";
      const message = capitalise(
        `${error.message} (model ${model}, ${addressOf(url)}${via}); ${error.advice}`,
      );
      return {
        ok: false,
        error: new UpstreamError("api_error", message, { status: 504, cause: error }),
      };
    }
    const refused = !proxy && networkCause(error) === "connection refused";
    const hint = options.unreachableHint ??
      (refused ? await otherLoopbackHint(provider.baseUrl, provider.addressAt) : undefined);
    const answeredAgoMs = refused ? ANSWERED_PLACES.answeredAgo(url) : undefined;
    return {
      ok: false,
      error: upstreamNetworkError({
        provider: provider.id,
        model,
        url,
        error,
        ...(hint !== undefined ? { hint } : {}),
        ...(answeredAgoMs !== undefined ? { answeredAgoMs } : {}),
        ...(provider.addressFix ? { addressFix: provider.addressFix } : {}),
        ...(provider.addressAt ? { addressAt: provider.addressAt } : {}),
        ...(proxy ? { proxy: proxyName(proxy, from) } : {}),
      }),
    };
  }
  if (response.ok) return { ok: true, response };
  if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
    await response.body?.cancel().catch(() => {});
    return { ok: false, error: redirectError(provider.id, model, response) };
  }
  if (proxy && response.status === 407) {
    // A plain-http upstream through an HTTP proxy: the proxy's refusal comes as the answer.
    await response.body?.cancel().catch(() => {});
    return {
      ok: false,
      error: upstreamNetworkError({
        provider: provider.id,
        model,
        url,
        error: new Error("proxy authentication required"),
        proxy: proxyName(proxy, from),
      }),
    };
  }
  const secrets = secretsSent(provider, { get: (name) => options.headers[name] });
  const bodyText = withoutCredentials(await readErrorText(response), provider, secrets);
  const early = earlyAnswerOf(response);
  const missingKey = missingKeyAdvice(provider);
  const endpointAdvice = missingEndpointAdvice(provider, url, response.status, bodyText);
  const modelAdvice = endpointAdvice === undefined
    ? missingModelAdvice(provider, model, response.status, bodyText)
    : undefined;
  const advice = endpointAdvice ?? modelAdvice;
  const status = statusStandsFor(response.status, bodyText);
  return {
    ok: false,
    status,
    headers: response.headers,
    bodyText,
    early,
    error: upstreamHttpError({
      provider: provider.id,
      model,
      status,
      headers: response.headers,
      bodyText,
      keys: secrets,
      answered: early ?? `answered HTTP ${response.status}`,
      ...(provider.auth === "passthrough" ? { passthrough: true } : {}),
      ...(missingKey ? { missingKey } : {}),
      ...(advice ? { advice } : {}),
      ...(modelAdvice ? { shownWhole: true } : {}),
    }),
  };
}

/**
 * An error body with the client's passed-through credential cut out: the body goes on into
 * failure descriptions, log lines, usage records and the client's error message.
 */
function withoutCredentials(
  text: string,
  provider: ProviderConfig,
  secrets: readonly string[],
): string {
  return provider.auth === "passthrough" ? withoutKeys(text, secrets) : text;
}

/** What {@link postJsonLearning} sends: the body as an object, and where refusals are learned. */
export interface LearningPostOptions extends Omit<PostOptions, "body"> {
  json: Record<string, unknown>;
  /** Parameters this provider and model refused before; absent: nothing is learned. */
  learned?: LearnedParams;
  /**
   * False: what was learned is applied, but a refusal teaches nothing and is not retried. A
   * count_tokens endpoint may refuse what Messages takes, and its caller counts locally anyway.
   */
  learn?: boolean;
  log?: Logger;
  /** The attempt's trace: each try carries its span's headers, and a re-send starts a new one. */
  trace?: TryTrace;
  /** The attempt's re-sends left, when it makes more than one call (see {@link MAX_RESENDS}). */
  resends?: Resends;
}

/**
 * The re-sends one attempt may make after refusals: each must answer a refusal the one before did
 * not (a refused beta hiding a refused image, then an output limit), and the same refusal met
 * again ends them (sameRefusal), so a 400 no remedy reads is sent once and one a remedy misreads
 * twice. Three covers the longest chain of different refusals seen (a beta, a part of the body,
 * an output limit), and the Anthropic transport's own re-sends (a thinking signature, a turn that
 * must lead with thinking) draw on the same count, so no request costs more than four round trips.
 */
export const MAX_RESENDS = 3;

/** Re-sends left to one attempt, shared by every call it makes (see {@link MAX_RESENDS}). */
export interface Resends {
  left: number;
}

/** A fresh count of re-sends for one attempt. */
export function resendsFor(): Resends {
  return { left: MAX_RESENDS };
}

/**
 * {@link postJson} for a body ccp built: what the upstream refused before is left out, and a
 * refusal of something it was just sent is answered by another try without it (lessons.ts).
 */
export async function postJsonLearning(
  options: LearningPostOptions,
): Promise<PostSuccess | PostFailure> {
  const { provider, model, learned } = options;
  const known = learned?.for(provider, model) ?? new Set<string>();
  const { trace } = options;
  let sent = applyLearned({ body: options.json, headers: options.headers }, known);
  let result = await sentLogged({ ...options, headers: traced(sent.headers, trace) }, sent.body);
  if (!learned || options.learn === false) return result;
  const pupil = {
    provider,
    model,
    learned,
    ...(options.log ? { log: options.log } : {}),
  };
  const resends = options.resends ?? resendsFor();
  // One refusal may hide the next (a refused beta, then the image): each is learned in turn.
  while (resends.left > 0 && !result.ok) {
    const next = lessonOf(result, sent, pupil);
    if (!next) break;
    resends.left--;
    sent = next;
    trace?.again(result.status, next.why);
    const refused = result;
    result = await sentLogged({ ...options, headers: traced(sent.headers, trace) }, sent.body);
    // One line per re-send: what was learned, or else what was refused and sent again.
    if (!next.settle?.(result)) options.log?.info(resentLine(pupil, refused.status, next));
    if (sameRefusal(refused, result)) break;
  }
  return result;
}

/** The trace's headers under the others: a provider's own `headers:` still win over them. */
function traced(headers: OutgoingHeaders, trace: TryTrace | undefined): OutgoingHeaders {
  return trace ? { ...trace.headers, ...headers } : headers;
}

/**
 * {@link postJson}, and at debug level one line saying what went where: the address (without its
 * query or credentials), the body's top-level fields and size, and the answer's status and time.
 * Field names, never values: enough to see what a translation sent, without prompt text.
 */
async function sentLogged(
  options: LearningPostOptions,
  body: Record<string, unknown>,
): Promise<PostSuccess | PostFailure> {
  const pieces = jsonPieces(body);
  if (!options.log?.enabled("debug")) return await postJson({ ...options, body: pieces });
  const started = performance.now();
  const written = { bytes: 0 };
  let result: PostSuccess | PostFailure | undefined;
  try {
    result = await postJson({ ...options, body: pieces, written });
    return result;
  } finally {
    // Also when postJson throws: a client that left before the answer (Esc) is an attempt too.
    logSent(options, body, written.bytes, result, Math.round(performance.now() - started));
  }
}

/** The debug line of one attempt; `result` is undefined when the attempt threw (an abort). */
function logSent(
  options: LearningPostOptions,
  body: Record<string, unknown>,
  bytes: number,
  result: PostSuccess | PostFailure | undefined,
  ms: number,
): void {
  const where = addressOf(options.url);
  const answer = result === undefined
    ? (options.signal.aborted ? "cancelled (client disconnected)" : "no answer")
    : result.ok
    ? result.response.status
    : result.early
    ? `${result.status} (${result.early})`
    : result.status ?? "no answer";
  options.log?.debug(
    `${describeTarget(options.provider.id, options.model)}: POST ${where} ` +
      `{${Object.keys(body).join(", ")}} ${bytes} bytes \u2192 ${answer} in ${ms} ms`,
  );
}

/** Reads at most 64 KiB of an error body (a broken upstream must not make ccp buffer forever). */
async function readErrorText(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  try {
    while (text.length < 65536) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body that breaks mid-error still tells us its status.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text;
}

/** A 3xx from an API endpoint: named, never followed (status left out: it is not the upstream's verdict). */
function redirectError(provider: string, model: string, response: Response): UpstreamError {
  const location = response.headers.get("location");
  let to = "";
  if (location) {
    try {
      to = ` to ${new URL(location, response.url || undefined).origin}`;
    } catch {
      to = "";
    }
  }
  const status = response.status || "3xx";
  return new UpstreamError(
    "api_error",
    capitalise(
      `${describeTarget(provider, model)} answered HTTP ${status} (a redirect${to}): ` +
        "redirect not followed, since ccp never sends a request and its key elsewhere than " +
        "base_url; set base_url to the address the provider serves its API at",
    ),
    { status: 502 },
  );
}
