/** The seam between the server and each wire protocol: send a request, open its answer. */

import type { Resends } from "./http/post.ts";
import type { HeaderReader } from "../core/headers.ts";
import type { ModelSettings, ProviderConfig } from "../config/types.ts";
import type { UpstreamError } from "../core/errors.ts";
import type { AnthropicMessage, MessagesRequest } from "../protocols/anthropic.ts";
import type { Logger } from "../core/log.ts";
import type { FetchLike } from "./http/clients.ts";
import type { LearnedParams } from "../resilience/learned_params.ts";
import type { MidStreamError } from "../resilience/broken_answer.ts";
import { messageToSse } from "./message_to_sse.ts";
import { reportedCost } from "../core/reported_cost.ts";
import type { TryTrace } from "./try_trace.ts";

/** One attempt at one target. */
export interface TransportRequest {
  provider: ProviderConfig;
  /** Upstream model name. */
  model: string;
  /** Model name the client sent (answers carry it back). */
  clientModel: string;
  /** The validated client body, never mutated. */
  body: MessagesRequest;
  /** `body`'s size as the client sent it, when known (not for a body ccp built, e.g. a web round). */
  bodyBytes?: number;
  clientHeaders: HeaderReader;
  /** The attempt's W3C trace context, renewed for each try sent again, while tracing is on. */
  trace?: TryTrace;
  key?: string;
  signal: AbortSignal;
  fetch: FetchLike;
  /** Advice appended to a connection error. */
  unreachableHint?: string;
  /** ccp's local prompt-size estimate, for protocols whose usage arrives late. */
  inputTokens: () => Promise<number>;
  /**
   * The same estimate when it was made already (for routing, or to fit `max_tokens`): free to
   * use where counting anew would cost more than what it fills in.
   */
  countedInputTokens?: number;
  /** The route variant's settings; they override the provider's `model_settings` per key. */
  settings?: ModelSettings;
  /** Non-streaming answers above this many bytes fail (default {@link DEFAULT_MAX_RESPONSE}). */
  maxResponseBytes?: number;
  /** Optional parameters upstreams refused before (left out, and learned from 400s). */
  learned?: LearnedParams;
  /** Re-sends left to the attempt, when a transport sends more than once (see MAX_RESENDS). */
  resends?: Resends;
  log?: Logger;
}

/** Token usage as ccp logs it. */
export interface UsageTotals {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
  /** What the answer cost in USD as its upstream reported it, when it did. */
  costUsd?: number;
}

/**
 * A token count an upstream reported, when it is one: a finite number, not below zero. A server
 * that sends `-1` for "unknown" would otherwise take tokens off /metrics' counters (which only
 * grow) and off the ledger's totals.
 */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The counts of an Anthropic `usage` object that are token counts. */
function usageTotalsOf(raw: unknown): UsageTotals {
  const u = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const out: UsageTotals = {};
  const input = tokenCount(u.input_tokens);
  const output = tokenCount(u.output_tokens);
  const cacheRead = tokenCount(u.cache_read_input_tokens);
  const cacheWrite = tokenCount(u.cache_creation_input_tokens);
  if (input !== undefined) out.inputTokens = input;
  if (output !== undefined) out.outputTokens = output;
  if (cacheRead !== undefined) out.cacheReadInputTokens = cacheRead;
  if (cacheWrite !== undefined) out.cacheCreationInputTokens = cacheWrite;
  const cost = reportedCost(u);
  if (cost !== undefined) out.costUsd = cost;
  return out;
}

/** How an answer finished, for the request log. */
export interface AnswerOutcome {
  usage: UsageTotals;
  /** The answer's `stop_reason` (`end_turn`, `tool_use`, `max_tokens`, ...), once it gave one. */
  stopReason?: string;
  error?: string;
  /** The error the upstream reported mid-way, when it did (the guards read it). */
  reported?: MidStreamError;
  cancelled?: boolean;
}

/** Callbacks for the life of an answer. */
export interface AnswerHooks {
  /** Called once, when a streamed answer's first content (text, thinking, tool input) goes out. */
  onFirstContent?: () => void;
  /** Aborted when ccp shuts down: an open stream then ends with an error saying so. */
  shutdown?: AbortSignal;
  onEnd: (outcome: AnswerOutcome) => void;
  onCancel: () => void;
}

/** The client-facing body of an answer. */
export type Answer =
  | { kind: "stream"; body: ReadableStream<Uint8Array> }
  | { kind: "json"; message: MessageJson; usage: UsageTotals };

/** A complete Anthropic Message: translated by ccp, or as an Anthropic-compatible upstream sent it. */
export type MessageJson = AnthropicMessage | Record<string, unknown>;

/** An upstream that accepted the request; its answer is opened once the server commits to it. */
export interface AttemptSuccess {
  ok: true;
  open: (hooks: AnswerHooks) => Promise<Answer>;
  /** Upstream response headers the client should see (a passthrough plan's usage headers). */
  relayHeaders?: Readonly<Record<string, string>>;
}

/** An upstream that failed before answering (the shape the dispatcher classifies). */
export interface AttemptFailure {
  ok: false;
  error: UpstreamError;
  status?: number;
  headers?: Headers;
  bodyText?: string;
  /** Upstream response headers the client should see should this failure be its answer. */
  relayHeaders?: Readonly<Record<string, string>>;
}

/** What one request needs besides the target and the key. */
export type ChainRequest = Omit<TransportRequest, "provider" | "model" | "key">;

/** Per-protocol transports. */
export type Transports = Partial<Record<ProviderConfig["type"], Transport>>;

/** One wire protocol's implementation. */
export interface Transport {
  send(request: TransportRequest): Promise<AttemptSuccess | AttemptFailure>;
  /**
   * Loads the transport's code ahead of its first request (one loaded on first use); resolves to
   * whether it loaded.
   */
  warm?(): Promise<boolean>;
}

/** A transport whose module is imported when it first sends (then kept). */
export function loadedOnFirstUse(load: () => Promise<Transport>): Transport {
  let loading: Promise<Transport> | undefined;
  return {
    async send(request) {
      loading ??= load();
      return (await loading).send(request);
    },
    async warm() {
      loading ??= load();
      // A module that cannot load fails the first request that needs it, saying why.
      return await loading.then(() => true, () => {
        loading = undefined;
        return false;
      });
    },
  };
}

/** The size limit of a non-streaming answer when the config sets none. */
export const DEFAULT_MAX_RESPONSE = 32 * 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Answers with a complete Anthropic Message: as JSON, or -- when the client asked for a stream
 * and the upstream answered JSON anyway -- as the equivalent SSE events.
 */
export function jsonAnswer(
  message: MessageJson,
  clientWantsStream: boolean,
  hooks: AnswerHooks,
  costUsd?: number,
): Answer {
  const usage = usageTotalsOf(message.usage);
  // A translated answer's cost was reported in the upstream's own answer, not in this one.
  if (costUsd !== undefined) usage.costUsd = costUsd;
  const stopReason = message.stop_reason;
  hooks.onEnd(typeof stopReason === "string" ? { usage, stopReason } : { usage });
  if (!clientWantsStream) return { kind: "json", message, usage };
  return { kind: "stream", body: ReadableStream.from([encoder.encode(messageToSse(message))]) };
}
