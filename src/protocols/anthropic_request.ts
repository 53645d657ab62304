/** Validation of incoming Anthropic Messages requests: strict on what ccp needs, open to the rest. */

import { z } from "zod";
import { ClientRequestError } from "../core/errors.ts";
import type { CountTokensRequest, MessagesRequest } from "./anthropic.ts";

// Content stays loosely typed: new block types must flow through untouched.
const content = z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]);

const message = z.looseObject({
  role: z.enum(["user", "assistant", "system"]),
  content,
});

const common = {
  model: z.string().min(1),
  messages: z.array(message).min(1, "at least one message is required"),
  system: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
  tools: z.array(z.looseObject({ name: z.string() })).optional(),
};

/** Schema of `POST /v1/messages`. */
export const messagesRequestSchema = z.looseObject({
  ...common,
  max_tokens: z.number().int().positive(),
  stream: z.boolean().optional(),
});

/** Schema of `POST /v1/messages/count_tokens` (no `max_tokens`). */
export const countTokensRequestSchema = z.looseObject(common);

/** Validates a `POST /v1/messages` body; the one request type from here to every transport. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  validateRequest(messagesRequestSchema, body);
  return body as MessagesRequest;
}

/** Validates a `POST /v1/messages/count_tokens` body. */
export function parseCountTokensRequest(body: unknown): CountTokensRequest {
  validateRequest(countTokensRequestSchema, body);
  return body as CountTokensRequest;
}

/**
 * Validates `body` and returns it unchanged (not zod's copy), so every field the client sent,
 * known or not, reaches the upstream byte for byte.
 */
export function validateRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ClientRequestError("Request body must be a JSON object");
  }
  const result = schema.safeParse(body);
  if (!result.success) throw new ClientRequestError(describeIssue(result.error.issues[0], body));
  return body as T;
}

function describeIssue(issue: z.core.$ZodIssue | undefined, body: unknown): string {
  if (!issue) return "Invalid request body";
  const path = issue.path.map(String).join(".");
  if (valueAt(body, issue.path) === undefined) return `${path}: Field required`;
  if (issue.code === "invalid_union" && path.endsWith("content")) {
    return `${path}: Input should be a string or an array of content blocks`;
  }
  return `${path}: ${issue.message}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}
