/**
 * The ccp signature of a thinking block made from a Gemini answer. Gemini returns an
 * opaque `thoughtSignature` on some parts and requires it back on the exact part it came
 * on; Anthropic only has signatures on thinking blocks. So each thinking block carries, besides
 * provider and model, the signature of its own thought part (`sig`) and the signature
 * of the part right after it (`next`: the first function call or answer text). Gemini
 * signatures on a function call with no thought before it travel on an empty thinking
 * block placed before the tool_use block.
 *
 * Same `ccp:v1:` prefix as reasoning_provenance.ts, so `stripCcpThinking` removes these
 * blocks before a real Anthropic upstream; `decodeCcpSignature` there rejects them
 * (protocol "gemini"), so Chat Completions providers treat them as foreign reasoning.
 */

import { CCP_SIGNATURE_PREFIX, modelFamily } from "../reasoning/provenance.ts";
import { fromBase64Url, toBase64Url } from "../../core/base64url.ts";

/** What a Gemini thinking block's signature records. */
export interface GeminiProvenance {
  provider: string;
  protocol: "gemini";
  model: string;
  /** `thoughtSignature` of the thought part itself. */
  sig?: string;
  /** `thoughtSignature` of the part that followed the thought (call or text). */
  next?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encodes a Gemini provenance record as a thinking-block signature. */
export function encodeGeminiSignature(provenance: GeminiProvenance): string {
  return CCP_SIGNATURE_PREFIX + toBase64Url(encoder.encode(JSON.stringify(provenance)));
}

/** Decodes a Gemini ccp signature; `null` for anything else (foreign, OpenAI, malformed). */
export function decodeGeminiSignature(signature: unknown): GeminiProvenance | null {
  if (typeof signature !== "string" || !signature.startsWith(CCP_SIGNATURE_PREFIX)) return null;
  try {
    const v: unknown = JSON.parse(
      decoder.decode(fromBase64Url(signature.slice(CCP_SIGNATURE_PREFIX.length))),
    );
    if (typeof v !== "object" || v === null) return null;
    const r = v as Record<string, unknown>;
    if (r.protocol !== "gemini" || typeof r.provider !== "string" || typeof r.model !== "string") {
      return null;
    }
    return {
      provider: r.provider,
      protocol: "gemini",
      model: r.model,
      ...(typeof r.sig === "string" && r.sig ? { sig: r.sig } : {}),
      ...(typeof r.next === "string" && r.next ? { next: r.next } : {}),
    };
  } catch {
    return null;
  }
}

/** True when a block signed with `provenance` may be replayed to this provider and model. */
export function sameGeminiOrigin(
  provenance: GeminiProvenance,
  provider: string,
  model: string,
): boolean {
  return provenance.provider === provider && modelFamily(provenance.model) === modelFamily(model);
}
