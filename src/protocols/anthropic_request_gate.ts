/**
 * The server's way in to request validation. The in-place check passes a well-formed request at
 * no cost; only a request it rejects loads the schemas, and the validation library under them,
 * to word the error, so that library stays out of ccp's start-up.
 */

import type { CountTokensRequest, MessagesRequest } from "./anthropic.ts";
import {
  isWellFormedCountTokensRequest,
  isWellFormedMessagesRequest,
} from "./anthropic_request_check.ts";
import { lazyImport } from "../core/lazy_modules.ts";

const schemas = () => lazyImport("protocols/anthropic_request.ts");

/** A `POST /v1/messages` body, or a ClientRequestError that says what is wrong with it. */
export async function admitMessagesRequest(body: unknown): Promise<MessagesRequest> {
  if (isWellFormedMessagesRequest(body)) return body as MessagesRequest;
  return (await schemas()).parseMessagesRequest(body);
}

/** A `POST /v1/messages/count_tokens` body, or a ClientRequestError. */
export async function admitCountTokensRequest(body: unknown): Promise<CountTokensRequest> {
  if (isWellFormedCountTokensRequest(body)) return body as CountTokensRequest;
  return (await schemas()).parseCountTokensRequest(body);
}
