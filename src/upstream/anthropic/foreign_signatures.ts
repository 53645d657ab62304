/**
 * Thinking signatures minted by Anthropic-compatible servers that are not Anthropic (DeepSeek,
 * Z.AI, MiniMax, Kimi, a local server...), and the `data` of their `redacted_thinking` blocks.
 * ccp relays them untouched, and Claude Code sends them back on every later turn; if a later turn
 * goes to the real Anthropic API (a failover chain, or a route changed mid-session) it answers 400
 * "Invalid `signature` in `thinking` block" for each such turn. Their format says nothing of who
 * made them, so ccp remembers the ones it relayed and removes those blocks before a request
 * reaches Anthropic, as it does for the signatures it mints itself. A Claude model served by a
 * gateway (OpenRouter's `anthropic/*`, Bedrock or Vertex behind a gateway) signs as Anthropic
 * does, and Anthropic takes those signatures on every platform, so they are not noted. Kept in
 * memory, bounded: after a restart an older one is no longer known.
 */

import { isRecord } from "../../core/json.ts";
import { serverKey, type UpstreamServer } from "../../resilience/server_key.ts";

/**
 * A bounded set of signatures, the oldest forgotten first. Each is kept as a 53-bit hash, not as
 * its text: a signature can run to kilobytes, and 20,000 of them would otherwise hold tens of
 * megabytes for as long as ccp runs (two different signatures sharing a hash is a ~1e-8 chance
 * at the bound, and would only drop one thinking block).
 */
export class ForeignSignatures {
  readonly #seen = new Set<number>();
  readonly #max: number;

  constructor(max = 20000) {
    this.#max = max;
  }

  note(signature: unknown): void {
    if (typeof signature !== "string" || signature === "") return;
    const key = hash53(signature);
    if (this.#seen.has(key)) return;
    if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(key);
  }

  has(signature: string): boolean {
    return this.#seen.has(hash53(signature));
  }

  /** Notes the signature an SSE event's data carries (`signature_delta`, a started block). */
  noteEvent(data: Record<string, unknown>): void {
    if (data.type === "content_block_delta" && isRecord(data.delta)) {
      if (data.delta.type === "signature_delta") this.note(data.delta.signature);
    } else if (data.type === "content_block_start" && isRecord(data.content_block)) {
      this.note(thinkingIdentity(data.content_block));
    }
  }

  /**
   * Notes the signatures of every thinking block in a request's history: used when Anthropic
   * refused one of them, since its error names only the first and the rest cannot be checked.
   */
  noteHistory(body: { readonly messages?: unknown }): void {
    if (!Array.isArray(body.messages)) return;
    for (const message of body.messages) {
      if (isRecord(message) && message.role === "assistant") this.noteMessage(message);
    }
  }

  /** Notes the signatures of a whole Message's thinking and redacted thinking blocks. */
  noteMessage(message: Record<string, unknown>): void {
    if (!Array.isArray(message.content)) return;
    for (const block of message.content) if (isRecord(block)) this.note(thinkingIdentity(block));
  }

  /** Whether `block` is a thinking or redacted thinking block noted here. */
  hasBlock(block: { type?: unknown; signature?: unknown; data?: unknown }): boolean {
    const identity = thinkingIdentity(block);
    return typeof identity === "string" && identity !== "" && this.has(identity);
  }
}

/**
 * What makes a thinking block verifiable by its maker: a `thinking` block's signature, a
 * `redacted_thinking` block's encrypted `data`; undefined for any other block.
 */
function thinkingIdentity(
  block: { type?: unknown; signature?: unknown; data?: unknown },
): unknown {
  if (block.type === "thinking") return block.signature;
  if (block.type === "redacted_thinking") return block.data;
  return undefined;
}

/** The signatures this process relayed from servers other than Anthropic. */
export const FOREIGN_SIGNATURES = new ForeignSignatures();

/**
 * Whether a server's signatures are Anthropic's own: a Claude model signs as Anthropic wherever
 * it is served, and the real API takes those signatures.
 */
export function signsAsAnthropic(model: string): boolean {
  return /claude/i.test(model);
}

/**
 * The thinking each server refused, by server (`type` and `base_url`, server_key.ts): a server
 * other than the real Anthropic API that verifies signatures (a gateway in front of Anthropic,
 * Bedrock or Vertex, or a vendor's own endpoint) answered 400 about one, or a Responses server
 * could not decrypt the reasoning a block's signature carries
 * (openai_responses/refused_reasoning.ts), so that history's thinking is left out of its later
 * requests instead of costing a refused round trip on every turn. Kept by server, not by provider
 * name: a reload that renames the provider keeps it, and one that points the name at another
 * server (which may take that thinking) leaves it behind. Bounded as {@link ForeignSignatures},
 * and by the number of servers: past {@link MAX_SERVERS}, the oldest is forgotten.
 */
export class RefusedSignatures {
  readonly #byServer = new Map<string, ForeignSignatures>();
  readonly #max: number;

  constructor(max = 5000) {
    this.#max = max;
  }

  /** Notes every thinking block of the history `provider`'s server refused. */
  noteHistory(provider: UpstreamServer, body: { readonly messages?: unknown }): void {
    const key = serverKey(provider);
    let seen = this.#byServer.get(key);
    if (!seen) {
      if (this.#byServer.size >= MAX_SERVERS) {
        this.#byServer.delete(this.#byServer.keys().next().value!);
      }
      this.#byServer.set(key, seen = new ForeignSignatures(this.#max));
    }
    seen.noteHistory(body);
  }

  /** What `provider`'s server refused, if it refused any. */
  of(provider: UpstreamServer): ForeignSignatures | undefined {
    return this.#byServer.get(serverKey(provider));
  }
}

// Servers are those of the configs loaded while ccp runs: a few, and a reload adds one at most.
const MAX_SERVERS = 64;

/** The thinking providers other than the real Anthropic API refused in this process. */
export const REFUSED_SIGNATURES = new RefusedSignatures();

/** A 53-bit hash of `text` (two 32-bit multiplicative hashes combined; not for security). */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
