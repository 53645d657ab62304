/** What a request needs before it goes to the real Anthropic API after other providers served it. */

import type { MessagesRequest } from "../../protocols/anthropic.ts";
import {
  isCcpSignature,
  stripThinkingWhere,
  type ThinkingBlock,
} from "../../translate/reasoning/provenance.ts";
import { FOREIGN_SIGNATURES, REFUSED_SIGNATURES, signsAsAnthropic } from "./foreign_signatures.ts";
import type { UpstreamServer } from "../../resilience/server_key.ts";

type Body = Record<string, unknown>;
type Block = { type?: string };

/** True for the preset that talks to api.anthropic.com (it verifies thinking signatures). */
export function verifiesSignatures(provider: { preset?: string; baseUrl: string }): boolean {
  return provider.preset === "anthropic" ||
    /^https:\/\/api\.anthropic\.com\b/.test(provider.baseUrl);
}

/**
 * Whether Anthropic's server tools (web search and fetch, code execution, ...) reach `provider`
 * untouched, for it to run: as its `server_tools` says (a gateway that relays to Anthropic), else
 * only the real Anthropic API does.
 */
export function runsServerTools(
  provider: { type: string; preset?: string; baseUrl: string; serverTools?: boolean },
): boolean {
  return provider.serverTools ?? (provider.type === "anthropic" && verifiesSignatures(provider));
}

/**
 * Removes thinking blocks that carry a ccp-made signature: a server that relays to Anthropic would
 * get 400 "Invalid signature". For a Claude `model` (the server relays to Anthropic, Bedrock or
 * Vertex, which verify signatures) all the real API cannot verify goes too, as there: the thinking
 * and redacted thinking ccp relayed from other makers (foreign_signatures.ts), and thinking with
 * no signature, which no later refusal could single out; Anthropic's own stays. If that leaves the
 * turn in progress -- the last assistant message, in a tool loop -- without its leading thinking
 * block while thinking is enabled with a budget, Anthropic would reject the request too, so
 * thinking is switched off for this one request (with the edits that need it). Adaptive thinking
 * stays: there a tool turn without thinking is what the model itself answers when it chooses not
 * to think, which Anthropic takes back as it is.
 */
export function stripCcpThinkingForAnthropic(body: Body, model = ""): Body {
  if (signsAsAnthropic(model)) return stripUnverifiableThinkingForAnthropic(body);
  return stripThinkingForAnthropic(
    body,
    (b) => b.type === "thinking" && isCcpSignature(b.signature),
  );
}

/**
 * For the real Anthropic API only: {@link stripCcpThinkingForAnthropic}, and also thinking blocks
 * with no signature, an empty one, or one another Anthropic-compatible server made, and redacted
 * thinking another server made (ccp remembers those it relayed: foreign_signatures.ts). Claude
 * Code sends them all back verbatim, and Anthropic answers 400 on a block it cannot verify. Other
 * compatible servers keep them: a server may need its own reasoning back, and does not check
 * signatures it did not make.
 */
export function stripUnverifiableThinkingForAnthropic(body: Body): Body {
  return stripThinkingForAnthropic(body, (block) => {
    if (block.type === "redacted_thinking") return FOREIGN_SIGNATURES.hasBlock(block);
    const { signature } = block;
    return typeof signature !== "string" || signature === "" || isCcpSignature(signature) ||
      FOREIGN_SIGNATURES.has(signature);
  });
}

/**
 * `body` without the thinking `provider`'s server refused before (foreign_signatures.ts): what a
 * server other than the real Anthropic API is sent once it answered 400 about a signature in this
 * session. The same body when it refused none.
 */
export function withoutRefusedThinking(body: Body, provider: UpstreamServer): Body {
  const refused = REFUSED_SIGNATURES.of(provider);
  return refused ? stripThinkingForAnthropic(body, (block) => refused.hasBlock(block)) : body;
}

function stripThinkingForAnthropic(body: Body, drop: (block: ThinkingBlock) => boolean): Body {
  // Cleaning sees loose JSON; the messages were validated when the request arrived.
  const stripped: Body = stripThinkingWhere(
    body as Body & Pick<MessagesRequest, "messages">,
    drop,
  );
  const thinking = body.thinking as { type?: string } | undefined;
  if (
    !thinking || thinking.type === "disabled" || thinking.type === "adaptive" ||
    !(lastTurnLostThinking(body, stripped) ||
      (thinking.type === "enabled" && toolTurnWithoutThinking(stripped)))
  ) {
    return stripped;
  }
  return withoutThinking(stripped);
}

/**
 * `body` without thinking, and without the context edits that need it: what is sent when
 * Anthropic would refuse the turn in progress with thinking (its last answer has none).
 */
export function withoutThinking(body: Body): Body {
  const { thinking: _off, ...rest } = body;
  const management = rest.context_management as { edits?: Block[] } | undefined;
  if (management?.edits) {
    const edits = management.edits.filter((e) => !String(e.type).startsWith("clear_thinking"));
    if (edits.length > 0) rest.context_management = { ...management, edits };
    else delete rest.context_management;
  }
  return rest;
}

function lastAssistant(body: Body): { content?: unknown } | undefined {
  const messages = body.messages as Array<{ role?: string; content?: unknown }>;
  return messages.findLast((m) => m.role === "assistant");
}

const firstType = (m: { content?: unknown } | undefined) =>
  Array.isArray(m?.content) ? (m.content[0] as Block | undefined)?.type : undefined;
// Anthropic wants the turn to start with either kind of thinking block.
const thinks = (type: string | undefined) => type === "thinking" || type === "redacted_thinking";

/**
 * The turn in progress lost its leading thinking block. Only a tool loop has a turn in progress:
 * after a new prompt the last answer is a finished turn, which Anthropic takes without thinking
 * (as after a failover that served it), and switching thinking off there would cost the new
 * turn its thinking and the cached prompt (a change of thinking settings invalidates it).
 */
function lastTurnLostThinking(before: Body, after: Body): boolean {
  return inToolLoop(before) && thinks(firstType(lastAssistant(before))) &&
    !thinks(firstType(lastAssistant(after)));
}

/** Whether the request continues a tool loop: its last message carries tool results. */
function inToolLoop(body: Body): boolean {
  const last = (body.messages as Array<{ role?: string; content?: unknown }>).at(-1);
  return last?.role === "user" && Array.isArray(last.content) &&
    (last.content as Block[]).some((block) => block.type === "tool_result");
}

/**
 * A tool loop in progress whose last answer has no thinking: with thinking enabled (a budget, so
 * every answer thinks), Anthropic refuses such a turn (its last assistant message must start
 * with thinking). It is what the turn after one sent without thinking looks like (its thinking
 * stripped, or answered by another provider), so the rest of the loop goes without thinking too.
 * Adaptive thinking is left alone: there the model itself may answer without thinking.
 */
function toolTurnWithoutThinking(body: Body): boolean {
  const last = lastAssistant(body);
  return !thinks(firstType(last)) && Array.isArray(last?.content) &&
    (last.content as Block[]).some((block) => block.type === "tool_use");
}
