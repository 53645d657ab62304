/**
 * Reasoning provenance: every thinking block ccp emits is signed with where its
 * reasoning came from, `ccp:v1:` + base64url(JSON). When the history comes back, the
 * request mapper replays reasoning natively only to the same server (a tag of it; the provider
 * id for signatures without one) and model family (Responses: the same upstream model), and
 * `stripCcpThinking` removes these blocks before a real Anthropic upstream sees them (Anthropic
 * rejects foreign signatures: "Invalid `signature` in `thinking` block").
 */

import { isRecord } from "../../core/json.ts";
import type {
  ConversationMessageParam,
  MessageParam,
  MessagesRequest,
} from "../../protocols/anthropic.ts";
import { fromBase64Url, toBase64Url } from "../../core/base64url.ts";

/** Prefix of every signature ccp mints. */
export const CCP_SIGNATURE_PREFIX = "ccp:v1:";

/** Where a piece of reasoning arrived in the upstream answer. */
export type ReasoningSource =
  | "reasoning_content"
  | "reasoning"
  | "reasoning_details"
  | "think_tag"
  | "content_thinking";

/** Protocols whose reasoning ccp signs with this format (Gemini has its own). */
export type ReasoningProtocol = "openai_chat" | "openai_responses";

/** What a ccp signature records. */
export interface ReasoningProvenance {
  /** Provider id from the config (e.g. "nim", "deepseek"). */
  provider: string;
  /**
   * A tag of the server that made it (its type and base URL): a reload may point the provider id
   * at another server. Absent from signatures made before it was recorded.
   */
  server?: string;
  /** Wire protocol the reasoning came over; reasoning is replayed only over the same one. */
  protocol: ReasoningProtocol;
  /** Upstream model name. */
  model: string;
  /** Fields the reasoning arrived in, in first-seen order. */
  fields: ReasoningSource[];
  /** OpenRouter `reasoning_details` items, merged per index, kept for exact replay. */
  details?: unknown[];
  /**
   * The `extra_content` of the tool call right after this (empty) block: Gemini's OpenAI-compatible
   * endpoints put a call's thought signature there and refuse the call back without it.
   */
  call?: Record<string, unknown>;
  /**
   * The reasoning text of a block sent with an empty `thinking` (the client asked for
   * `display: "omitted"`): the text the model needs back rides the signature, as Anthropic's own
   * reasoning does.
   */
  text?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a provenance record as a thinking-block signature. */
export function encodeCcpSignature(provenance: ReasoningProvenance): string {
  return CCP_SIGNATURE_PREFIX + toBase64Url(encoder.encode(JSON.stringify(provenance)));
}

/** True when `signature` was minted by ccp (whatever its payload). */
export function isCcpSignature(signature: unknown): signature is string {
  return typeof signature === "string" && signature.startsWith(CCP_SIGNATURE_PREFIX);
}

/** Decodes a ccp signature; `null` for foreign, malformed or tampered signatures. */
export function decodeCcpSignature(signature: unknown): ReasoningProvenance | null {
  if (!isCcpSignature(signature)) return null;
  try {
    const value: unknown = JSON.parse(
      decoder.decode(fromBase64Url(signature.slice(CCP_SIGNATURE_PREFIX.length))),
    );
    if (typeof value !== "object" || value === null) return null;
    const v = value as Record<string, unknown>;
    if (
      typeof v.provider !== "string" || typeof v.model !== "string" ||
      (v.protocol !== "openai_chat" && v.protocol !== "openai_responses") ||
      !Array.isArray(v.fields)
    ) return null;
    return {
      provider: v.provider,
      protocol: v.protocol,
      model: v.model,
      fields: v.fields.filter((f): f is ReasoningSource => typeof f === "string"),
      ...(typeof v.server === "string" ? { server: v.server } : {}),
      ...(Array.isArray(v.details) ? { details: v.details } : {}),
      ...(isRecord(v.call) ? { call: v.call } : {}),
      ...(typeof v.text === "string" ? { text: v.text } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * The family of a model name: the last path segment, lower-cased, without a `:tag`
 * suffix and without a trailing date stamp, so `deepseek-ai/DeepSeek-V4-Pro` and
 * `deepseek-v4-pro-2026-01-05` match while `deepseek-v4-flash` does not.
 */
export function modelFamily(model: string): string {
  const last = model.toLowerCase().split("/").pop() ?? "";
  return last.replace(/:.*$/, "").replace(/[-_@]?(\d{4}-?\d{2}-?\d{2}|\d{4})$/, "");
}

/**
 * True when the reasoning came from the server a target's requests go to: by the server's tag
 * when both sides know it (a reload may rename the provider, whose own reasoning then still goes
 * back, or point the name at another server, which never made it), else by the provider id (a
 * signature made before the tag was recorded).
 */
function sameSource(provenance: ReasoningProvenance, provider: string, server?: string): boolean {
  if (server !== undefined && provenance.server !== undefined) return provenance.server === server;
  return provenance.provider === provider;
}

/**
 * True when encrypted Responses reasoning may go back to this target: the same server (or
 * provider id, see {@link sameSource}) and the same upstream model string. The signature records
 * the model ccp sent, never the name the API answers with (a dated snapshot), so replay to the
 * same target always matches.
 */
export function sameReasoningTarget(
  provenance: ReasoningProvenance,
  provider: string,
  model: string,
  server?: string,
): boolean {
  return sameSource(provenance, provider, server) && provenance.model === model;
}

/**
 * True when reasoning recorded in `provenance` may be replayed natively to this target: the same
 * server (or provider id, see {@link sameSource}) and model family -- not a server the id
 * pointed at before a reload, and still the provider's own server after a reload renamed it.
 */
export function sameReasoningOrigin(
  provenance: ReasoningProvenance,
  provider: string,
  model: string,
  server?: string,
): boolean {
  return sameSource(provenance, provider, server) &&
    modelFamily(provenance.model) === modelFamily(model);
}

/** A thinking or redacted thinking block as the strip rules see it. */
export type ThinkingBlock =
  | { type: "thinking"; signature?: unknown }
  | { type: "redacted_thinking"; data?: unknown };

function stripAssistant(
  message: ConversationMessageParam,
  drop: (block: ThinkingBlock) => boolean,
): ConversationMessageParam | null {
  if (typeof message.content === "string") return message;
  const kept = message.content.filter((b) =>
    !((b.type === "thinking" || b.type === "redacted_thinking") && drop(b))
  );
  if (kept.length === message.content.length) return message;
  return kept.length > 0 ? { ...message, content: kept } : null;
}

/**
 * Removes thinking blocks that carry a ccp signature from assistant turns, keeping
 * their other blocks; an assistant turn left empty is removed. Genuine Anthropic signatures are
 * never touched. Pure: the input is not mutated, and is returned as is when nothing changed.
 */
export function stripCcpThinking<T extends Pick<MessagesRequest, "messages">>(request: T): T {
  return stripThinkingWhere(request, (b) => b.type === "thinking" && isCcpSignature(b.signature));
}

/**
 * {@link stripCcpThinking} for any thinking or redacted thinking block `drop` picks (same purity
 * rules).
 */
export function stripThinkingWhere<T extends Pick<MessagesRequest, "messages">>(
  request: T,
  drop: (block: ThinkingBlock) => boolean,
): T {
  let changed = false;
  const messages: MessageParam[] = [];
  for (const m of request.messages) {
    if (m.role !== "assistant") {
      messages.push(m);
      continue;
    }
    const stripped = stripAssistant(m, drop);
    if (stripped !== m) changed = true;
    if (stripped) messages.push(stripped);
  }
  return changed ? { ...request, messages } : request;
}
