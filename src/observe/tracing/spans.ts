/**
 * One request's record as OTLP spans (the protobuf JSON mapping): a server span for the
 * POST /v1/messages, and a client span per upstream attempt under it, with the attributes of
 * OpenTelemetry's HTTP and GenAI conventions. Built from the record alone, after the answer
 * ended: no prompt or answer text, no key (an attempt names its key by position only).
 */

import type { AttemptRecord, RequestRecord, Usage } from "../../pipeline/record.ts";
import { roundsOf } from "../../pipeline/log_observer.ts";
import { randomHex, type TraceStart } from "./trace_context.ts";

/** An attribute value as OTLP's JSON writes it (64-bit integers as decimal strings). */
export type AnyValue =
  | { readonly stringValue: string }
  | { readonly intValue: string }
  | { readonly doubleValue: number }
  | { readonly boolValue: boolean }
  | { readonly arrayValue: { readonly values: readonly AnyValue[] } };

/** One attribute. */
export interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** A span as OTLP's JSON writes it. */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** 2 = server, 3 = client. */
  readonly kind: 2 | 3;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: readonly KeyValue[];
  /** 2 = error; absent (unset) otherwise. */
  readonly status?: { readonly code: 2; readonly message?: string };
  /** Trace flags (sampled) and whether the parent is remote (bits 8 and 9). */
  readonly flags: number;
}

/** What a provider is, for its spans: its preset or protocol, and where it is. */
export interface ProviderFacts {
  readonly preset?: string;
  readonly type: string;
  readonly baseUrl: string;
}

/** What spans are built with besides the record. */
export interface SpanFacts {
  /** The provider by id in the config the request ran with (undefined once a reload dropped it). */
  readonly provider: (id: string) => ProviderFacts | undefined;
  /** The request's cost in USD, when its model has a price. */
  readonly costUsd?: number;
}

/** GenAI's names of the providers whose presets ccp ships; any other is named by its ccp id. */
const GEN_AI_PROVIDER: Readonly<Record<string, string>> = {
  anthropic: "anthropic",
  openai: "openai",
  openai_responses: "openai",
  gemini: "gcp.gemini",
  groq: "groq",
  deepseek: "deepseek",
  mistral: "mistral_ai",
  xai: "x_ai",
  kimi: "moonshot_ai",
  moonshot_anthropic: "moonshot_ai",
};

const SAMPLED = 0x01;
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** The spans of one request: its server span first, then one client span per attempt. */
export function requestSpans(
  r: Readonly<RequestRecord>,
  start: TraceStart,
  facts: SpanFacts,
): OtlpSpan[] {
  const spanId = randomHex(8);
  const endMs = r.startedAt + r.durationMs;
  const served = r.provider !== undefined ? facts.provider(r.provider) : undefined;
  const attributes: KeyValue[] = [
    str("http.request.method", r.method),
    str("http.route", "/v1/messages"),
    str("url.path", r.path),
    int("http.response.status_code", r.status),
    str("gen_ai.operation.name", "chat"),
    ...(r.clientModel !== undefined ? [str("gen_ai.request.model", r.clientModel)] : []),
    ...(r.model !== undefined ? [str("gen_ai.response.model", r.model)] : []),
    ...(r.provider !== undefined ? providerAttributes(r.provider, served) : []),
    ...usageAttributes(r.usage),
    ...finishReasons(r),
    str("ccp.request.id", r.id),
    ...(r.route !== undefined ? [str("ccp.route", r.route)] : []),
    ...(r.rule !== undefined ? [str("ccp.rule", r.rule)] : []),
    ...(r.client !== undefined ? [str("ccp.client", r.client)] : []),
    ...(r.session !== undefined ? [str("gen_ai.conversation.id", r.session)] : []),
    ...(r.stream !== undefined ? [bool("ccp.stream", r.stream)] : []),
    ...(r.ttftMs !== undefined ? [double("ccp.time_to_first_token_ms", r.ttftMs)] : []),
    ...(facts.costUsd !== undefined ? [double("ccp.cost_usd", facts.costUsd)] : []),
    str("ccp.outcome", r.outcome),
    int("ccp.attempts", r.attempts.length),
    // Every send counts as an attempt; a web tools answer's rounds are said apart, as its log line
    // and the status page say them (only the sends beyond them were retries or failovers).
    ...(r.attempts.length > 1 && roundsOf(r) > 1 ? [int("ccp.rounds", roundsOf(r))] : []),
    ...(r.passed?.length ? [strings("ccp.passed", r.passed)] : []),
    ...(r.budget !== undefined ? [str("ccp.budget", r.budget)] : []),
  ];
  if (r.outcome === "error") attributes.push(str("error.type", r.errorType ?? String(r.status)));
  // A server's span is an error for what it failed at (5xx, or a stream that broke after its
  // 200), not for a client's bad request (4xx).
  const failed = r.outcome === "error" && (r.status >= 500 || r.status < 400);
  const server: OtlpSpan = {
    traceId: start.traceId,
    spanId,
    ...(start.parentSpanId ? { parentSpanId: start.parentSpanId } : {}),
    name: `${r.method} /v1/messages`,
    kind: 2,
    startTimeUnixNano: unixNano(r.startedAt),
    endTimeUnixNano: unixNano(endMs),
    attributes,
    ...(failed ? { status: errorStatus(r.error) } : {}),
    flags: SAMPLED | HAS_IS_REMOTE | (start.parentSpanId ? IS_REMOTE : 0),
  };
  const spans = [server];
  // With ccp's web tools, each model round answered: the last one's answer is the client's.
  const last = r.attempts.findLastIndex((a) => a.outcome === "answered");
  r.attempts.forEach((a, i) => {
    spans.push(
      ...attemptSpans(a, i, r, { traceId: start.traceId, parent: spanId, endMs, last }, facts),
    );
  });
  return spans;
}

/**
 * One attempt's client spans: one per try sent again within it (a refusal answered by a changed
 * request), then its last try's. The answer the client got lasts until it ended, and carries the
 * request's tokens (counted once: a backend sums its model calls); an earlier round's answer
 * lasts until the next round began.
 */
function attemptSpans(
  a: AttemptRecord,
  index: number,
  r: Readonly<RequestRecord>,
  at: { traceId: string; parent: string; endMs: number; last: number },
  facts: SpanFacts,
): OtlpSpan[] {
  const before = index > 0 ? r.attempts[index - 1] : undefined;
  // After an answered one, an attempt is the next round of ccp's web tools loop.
  let kind = before === undefined
    ? "first"
    : before.outcome === "answered"
    ? "round"
    : before.outcome === "resent"
    ? "resend"
    : before.provider === a.provider && before.model === a.model
    ? "retry"
    : "failover";
  let after = before?.reason;
  const common: KeyValue[] = [
    str("gen_ai.operation.name", "chat"),
    str("gen_ai.request.model", a.model),
    ...providerAttributes(a.provider, facts.provider(a.provider)),
    int("ccp.attempt.number", index + 1),
    // The key by its place in the provider's list: the label's last characters stay in ccp.
    str("ccp.key", a.keyLabel.replace(/\s*\(.*\)$/, "")),
  ];
  const tryAttributes = (status: number | undefined): KeyValue[] => [
    ...common,
    ...(status !== undefined ? [int("http.response.status_code", status)] : []),
    str("ccp.attempt.kind", kind),
    ...(after !== undefined ? [str("ccp.attempt.after", after)] : []),
  ];
  const spans: OtlpSpan[] = [];
  let startMs = a.startedAt;
  for (const t of a.resent ?? []) {
    const attributes = tryAttributes(t.status);
    attributes.push(str("error.type", t.status !== undefined ? String(t.status) : "_OTHER"));
    spans.push(clientSpan(at, a.model, t.spanId, {
      startMs: t.startedAt,
      endMs: t.startedAt + t.durationMs,
      attributes,
      status: errorStatus(t.reason),
    }));
    [kind, after, startMs] = ["resend", t.reason, t.startedAt + t.durationMs];
  }
  const answered = a.outcome === "answered";
  const final = index === at.last;
  const attributes = [
    ...tryAttributes(a.status),
    ...(answered ? [str("gen_ai.response.model", a.model)] : []),
    ...(final ? usageAttributes(r.usage) : []),
    ...(final ? finishReasons(r) : []),
  ];
  if (!answered) {
    attributes.push(str("error.type", a.status !== undefined ? String(a.status) : "_OTHER"));
  }
  const own = a.startedAt + a.durationMs;
  const next = r.attempts[index + 1];
  const endMs = final
    ? Math.max(own, at.endMs)
    : answered && next
    ? Math.max(own, next.startedAt)
    : own;
  spans.push(clientSpan(at, a.model, a.spanId ?? randomHex(8), {
    startMs,
    endMs,
    attributes,
    ...(answered ? {} : { status: errorStatus(a.reason) }),
  }));
  return spans;
}

/** A client span under the server span; its id is the one its upstream was told, when traced. */
function clientSpan(
  at: { traceId: string; parent: string },
  model: string,
  spanId: string,
  span: {
    startMs: number;
    endMs: number;
    attributes: KeyValue[];
    status?: { code: 2; message?: string };
  },
): OtlpSpan {
  return {
    traceId: at.traceId,
    spanId,
    parentSpanId: at.parent,
    name: `chat ${model}`,
    kind: 3,
    startTimeUnixNano: unixNano(span.startMs),
    endTimeUnixNano: unixNano(span.endMs),
    attributes: span.attributes,
    ...(span.status ? { status: span.status } : {}),
    flags: SAMPLED | HAS_IS_REMOTE,
  };
}

/** Who a provider is, by GenAI's names (the old and the new key) and ccp's, and its address. */
function providerAttributes(id: string, facts: ProviderFacts | undefined): KeyValue[] {
  const known = facts?.preset !== undefined ? GEN_AI_PROVIDER[facts.preset] : undefined;
  const name = known ?? id;
  const out = [
    str("gen_ai.provider.name", name),
    str("gen_ai.system", name),
    str("ccp.provider", id),
  ];
  const url = facts && URL.canParse(facts.baseUrl) ? new URL(facts.baseUrl) : undefined;
  if (url) {
    out.push(str("server.address", url.hostname.replace(/^\[|\]$/g, "")));
    out.push(int("server.port", Number(url.port || (url.protocol === "https:" ? 443 : 80))));
  }
  return out;
}

/**
 * Token counts as GenAI counts them: input includes the cache's reads and writes, which Anthropic
 * reports apart.
 */
function usageAttributes(u: Usage): KeyValue[] {
  const out: KeyValue[] = [];
  const cacheRead = u.cacheReadInputTokens ?? 0;
  const cacheWrite = u.cacheCreationInputTokens ?? 0;
  if (u.inputTokens !== undefined) {
    out.push(int("gen_ai.usage.input_tokens", u.inputTokens + cacheRead + cacheWrite));
  }
  if (u.outputTokens !== undefined) out.push(int("gen_ai.usage.output_tokens", u.outputTokens));
  if (u.cacheReadInputTokens !== undefined) {
    out.push(int("gen_ai.usage.cache_read.input_tokens", cacheRead));
  }
  if (u.cacheCreationInputTokens !== undefined) {
    out.push(int("gen_ai.usage.cache_creation.input_tokens", cacheWrite));
  }
  return out;
}

/** GenAI's finish reasons: the one answer's stop reason, as Anthropic named it. */
function finishReasons(r: Readonly<RequestRecord>): KeyValue[] {
  return r.stopReason !== undefined
    ? [strings("gen_ai.response.finish_reasons", [r.stopReason])]
    : [];
}

function errorStatus(message: string | undefined): { code: 2; message?: string } {
  return message ? { code: 2, message } : { code: 2 };
}

/** Epoch milliseconds (fractions kept to the nanosecond) as OTLP's decimal nanoseconds. */
export function unixNano(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.min(999_999, Math.round((ms - whole) * 1e6));
  return `${whole}${String(nanos).padStart(6, "0")}`;
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({
  key,
  value: { intValue: String(Math.round(value)) },
});
const double = (key: string, value: number): KeyValue => ({ key, value: { doubleValue: value } });
const bool = (key: string, value: boolean): KeyValue => ({ key, value: { boolValue: value } });
const strings = (key: string, values: readonly string[]): KeyValue => ({
  key,
  value: { arrayValue: { values: values.map((stringValue) => ({ stringValue })) } },
});
