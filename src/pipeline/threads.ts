/**
 * Message threads: a request with `thread` asks the server to hold the conversation between
 * turns, and one that continues a thread sends only the new messages (no earlier turns, no
 * `system`, no `tools`). Only Anthropic's API holds threads. Any other upstream would get the last
 * turn alone, stripped of its tools, and answer as if the conversation had just begun (a server
 * that ignores fields it does not know says nothing), so such a request is refused there instead,
 * in the words the Anthropic SDKs act on: with `thread_unsupported_request` they send the whole
 * conversation without `thread`. Refusing a server that could have held the thread costs one
 * request and the full history from then on; sending it to one that cannot costs wrong answers.
 */

import type { ProviderConfig } from "../config/types.ts";
import { ClientRequestError } from "../core/errors.ts";
import type { MessagesRequest } from "../protocols/anthropic.ts";
import { verifiesSignatures } from "../upstream/anthropic/real_anthropic.ts";

/**
 * The refusal of a request with `thread` bound for an upstream not known to reach Anthropic's API
 * (the real API, or a gateway in front of it declared with `server_tools: true`), or one whose
 * cleaning would leave `thread` out; else undefined.
 */
export function threadRefusal(
  body: MessagesRequest,
  provider: ProviderConfig,
  model: string,
): ClientRequestError | undefined {
  const thread = body.thread;
  if (thread === undefined || thread === null) return undefined;
  // Anthropic's own API, or a gateway in front of it the config declares (`server_tools: true`),
  // whatever it says of the server tools themselves.
  const reachesAnthropic = provider.type === "anthropic" &&
    (verifiesSignatures(provider) || provider.serverTools === true);
  if (reachesAnthropic && "thread" in provider.cleaning.body(body, model)) {
    return undefined;
  }
  return new ClientRequestError(
    `Provider "${provider.id}" (model ${model}) cannot hold a message thread (\`thread\`): only ` +
      "Anthropic's API keeps one. Send the whole conversation without `thread` (a thread of " +
      "the SDKs: `unsupportedRequestBehavior: 'continue_unthreaded'`; their tool runner does so " +
      "itself)",
    "invalid_request_error",
    { details: { error_code: "thread_unsupported_request", unsupported: ["thread"] } },
  );
}
