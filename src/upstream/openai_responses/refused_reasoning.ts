/**
 * Encrypted reasoning a Responses server cannot decrypt. ccp sends a model's encrypted reasoning
 * back only to the server and model that made it (the signature's server tag), but the encryption
 * is the account's: a reload may give the provider a key of another account at the same server
 * (or a signature made before the tag was recorded follows the provider id elsewhere). OpenAI then answers 400 `invalid_encrypted_content` ("The encrypted content ... could
 * not be verified."), and Claude Code sends the same history on every later turn. So the
 * reasoning of the history the server refused counts as refused by that server (the memory
 * foreign_signatures.ts keeps for Anthropic-compatible servers, kept by server, so a reload that
 * moves the id leaves it behind), and is left out from then on; the model's own later reasoning
 * still goes back.
 */

import type { MessagesRequest } from "../../protocols/anthropic.ts";
import { stripThinkingWhere } from "../../translate/reasoning/provenance.ts";
import { REFUSED_SIGNATURES } from "../anthropic/foreign_signatures.ts";
import type { UpstreamServer } from "../../resilience/server_key.ts";

const REFUSED =
  /invalid_encrypted_content|encrypted content\b.{0,300}?could not be (?:verified|decrypted)/is;

/** True when a 400 answer says encrypted reasoning in the request could not be decrypted. */
export function refusesEncryptedReasoning(
  status: number | undefined,
  bodyText: string | undefined,
): boolean {
  return status === 400 && bodyText !== undefined && REFUSED.test(bodyText);
}

/** Notes the reasoning (thinking blocks) of `request`'s history as refused by `provider`'s server. */
export function noteRefusedReasoning(provider: UpstreamServer, request: MessagesRequest): void {
  REFUSED_SIGNATURES.noteHistory(provider, request);
}

/**
 * `request` without the thinking blocks whose reasoning `provider`'s server refused before; the
 * same object when there are none.
 */
export function withoutRefusedReasoning<T extends MessagesRequest>(
  request: T,
  provider: UpstreamServer,
): T {
  const refused = REFUSED_SIGNATURES.of(provider);
  return refused ? stripThinkingWhere(request, (block) => refused.hasBlock(block)) : request;
}
