/**
 * Validation of incoming Anthropic Messages requests: strict on what ccp needs, open to the rest.
 * The server loads this module only for a request the in-place check rejects (see the gate).
 */

import { z } from "zod";
import { ClientRequestError } from "../core/errors.ts";
import type { CountTokensRequest, MessagesRequest } from "./anthropic.ts";
import {
  isNamelessKind,
  isWellFormedCountTokensRequest,
  isWellFormedMessagesRequest,
  MAX_MODEL_CHARS,
  SOURCE_FIELDS,
} from "./anthropic_request_check.ts";

/** The schemas of `POST /v1/messages` and of `POST /v1/messages/count_tokens` (no `max_tokens`). */
export interface RequestSchemas {
  readonly messages: z.ZodType;
  readonly countTokens: z.ZodType;
}

let built: RequestSchemas | undefined;

// What a field takes, in the words Anthropic's own 400s use ("<path>: Input should be ...").
const POSITIVE_INTEGER = "Input should be a positive integer";
const STRING = "Input should be a valid string";
const NON_EMPTY_STRING = "Input should be a non-empty string";
const OBJECT = "Input should be an object";
const CONTENT = "Input should be a string or an array of content blocks";

/**
 * The request schemas, built on first need: a well-formed request never needs them (the in-place
 * check accepts it), and building them is start-up time (~20 ms).
 */
export function requestSchemas(): RequestSchemas {
  return built ??= buildSchemas();
}

function buildSchemas(): RequestSchemas {
  // Each block type a translator reads is checked for the fields it reads; a type ccp does not
  // know flows through untouched (new block types must reach Anthropic-compatible upstreams), and
  // so does every field beyond the ones checked.
  const mediaSource = z.looseObject({ type: z.string() }).superRefine((source, ctx) => {
    const need = SOURCE_FIELDS[source.type] ?? [];
    for (const field of need) {
      if (typeof (source as Record<string, unknown>)[field] !== "string") {
        ctx.addIssue({ code: "custom", path: [field], message: STRING });
      }
    }
  });

  const block: z.ZodType<{ type: string }> = z.looseObject({ type: z.string() }).superRefine(
    (value, ctx) => {
      const shape = Object.hasOwn(BLOCKS, value.type) ? BLOCKS[value.type] : undefined;
      const result = shape?.safeParse(value, { error: wording });
      if (!result || result.success) return;
      for (const found of result.error.issues) {
        const issue = deepest(found);
        ctx.addIssue({ code: "custom", path: issue.path, message: issueText(issue) });
      }
    },
  );

  const blocks = z.array(block, { error: "Input should be an array of content blocks" });
  const text = z.looseObject({ text: z.string() });

  const BLOCKS: Readonly<Record<string, z.ZodType>> = {
    text,
    image: z.looseObject({ source: mediaSource }),
    document: z.looseObject({
      source: z.union([
        z.looseObject({
          // Both branches fail on the type only when it is not a string: a media source takes
          // any string, so that is what the field is told it takes.
          type: z.literal("content", { error: STRING }),
          content: z.union([z.string(), blocks], { error: CONTENT }),
        }),
        // A `content` source that is not blocks is wrong in its content, not a media source.
        mediaSource.refine((source) => source.type !== "content", {
          path: ["content"],
          message: CONTENT,
        }),
      ], { error: OBJECT }),
    }),
    tool_use: z.looseObject({
      id: z.string(),
      name: z.string().min(1),
      input: z.record(z.string(), z.unknown()).optional(),
    }),
    server_tool_use: z.looseObject({ id: z.string(), name: z.string().min(1) }),
    tool_result: z.looseObject({
      tool_use_id: z.string(),
      content: z.union([z.string(), z.lazy(() => blocks)], { error: CONTENT }).optional(),
      is_error: z.boolean().optional(),
    }),
    thinking: z.looseObject({ thinking: z.string(), signature: z.string().optional() }),
    redacted_thinking: z.looseObject({ data: z.string() }),
  };

  const content = z.union([z.string(), blocks], { error: CONTENT });

  const message = z.looseObject({
    role: z.enum(["user", "assistant", "system"]),
    content,
  });

  const toolChoice = z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("auto") }),
    z.looseObject({ type: z.literal("any") }),
    z.looseObject({ type: z.literal("none") }),
    z.looseObject({ type: z.literal("tool"), name: z.string().min(1) }),
  ]);

  const thinking = z.looseObject({ type: z.string() }).superRefine((value, ctx) => {
    const budget = (value as Record<string, unknown>).budget_tokens;
    if (value.type === "enabled" && !(Number.isInteger(budget) && (budget as number) > 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["budget_tokens"],
        message: POSITIVE_INTEGER,
      });
    }
  });

  // zod's own words for these name its internals ("Invalid input", the safe-integer bound a huge
  // number misses): the client is told what the field takes instead.
  const common = {
    model: z.string().min(1).max(MAX_MODEL_CHARS),
    // Anthropic's own words for an empty history.
    messages: z.array(message, { error: "Input should be an array of messages" })
      .min(1, "at least one message is required"),
    system: z.union([z.string(), z.array(text.extend({ type: z.string() }))], {
      error: "Input should be a string or an array of text blocks",
    }).optional(),
    tools: z.array(
      z.looseObject({
        name: z.string().min(1).optional(),
        input_schema: z.record(z.string(), z.unknown()).optional(),
      }).superRefine((tool, ctx) => {
        if (tool.name === undefined && !isNamelessKind(tool)) {
          ctx.addIssue({ code: "custom", path: ["name"], message: "Field required" });
        }
      }),
      { error: "Input should be an array of tools" },
    ).optional(),
    tool_choice: toolChoice.optional(),
    thinking: thinking.optional(),
    stop_sequences: z.array(z.string(), { error: "Input should be an array of strings" })
      .optional(),
    metadata: z.looseObject({ user_id: z.string().nullable().optional() }).nullable().optional(),
  };

  return {
    messages: z.looseObject({
      ...common,
      max_tokens: z.number({ error: POSITIVE_INTEGER }).int({ error: POSITIVE_INTEGER })
        .positive({ error: POSITIVE_INTEGER }),
      stream: z.boolean().optional(),
    }),
    countTokens: z.looseObject(common),
  };
}

/** Validates a `POST /v1/messages` body; the one request type from here to every transport. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  if (isWellFormedMessagesRequest(body)) return body as MessagesRequest;
  validateRequest(requestSchemas().messages, body);
  return body as MessagesRequest;
}

/** Validates a `POST /v1/messages/count_tokens` body. */
export function parseCountTokensRequest(body: unknown): CountTokensRequest {
  if (isWellFormedCountTokensRequest(body)) return body as CountTokensRequest;
  validateRequest(requestSchemas().countTokens, body);
  return body as CountTokensRequest;
}

/**
 * Validates `body` and returns it unchanged (not zod's copy), so every field the client sent,
 * known or not, reaches the upstream byte for byte.
 */
function validateRequest<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ClientRequestError("Request body must be a JSON object");
  }
  const result = schema.safeParse(body, { error: wording });
  if (!result.success) throw new ClientRequestError(describeIssue(result.error.issues[0], body));
  return body as T;
}

function describeIssue(found: z.core.$ZodIssue | undefined, body: unknown): string {
  if (!found) return "Invalid request body";
  const issue = deepest(found);
  const path = issue.path.map(String).join(".");
  if (valueAt(body, issue.path) === undefined) return `${path}: Field required`;
  return `${path}: ${issueText(issue)}`;
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_union" && issue.path[issue.path.length - 1] === "content") {
    return CONTENT;
  }
  return issue.message;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: STRING,
  boolean: "Input should be a valid boolean",
  number: "Input should be a valid number",
  int: "Input should be a valid integer",
  object: OBJECT,
  record: OBJECT,
  array: "Input should be an array",
};

/**
 * What a field takes, for every issue a schema above does not word itself: zod's own words name
 * its internals ("Too small: expected string to have >=1 characters"). It runs only for a request
 * already refused (the parse that calls it is one), never for a well-formed one.
 */
function wording(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return TYPE_WORDS[issue.expected] ?? `Input should be a valid ${issue.expected}`;
    case "too_small":
      return issue.origin === "string" && Number(issue.minimum) === 1
        ? NON_EMPTY_STRING
        : `Input should have at least ${issue.minimum} ${
          issue.origin === "string" ? "characters" : "items"
        }`;
    case "too_big":
      return `Input should have at most ${issue.maximum} ${
        issue.origin === "string" ? "characters" : "items"
      }`;
    case "invalid_value":
      return `Input should be ${oneOf(issue.values)}`;
    case "invalid_union": {
      // A discriminated union whose `type` matched no option lists the options.
      const options = (issue as { options?: readonly unknown[] }).options;
      return options && options.length > 0
        ? `Input should be ${oneOf(options)}`
        : "Input should be a valid value";
    }
    default:
      return "Input should be a valid value";
  }
}

/** `'a'`, `'a' or 'b'`, `'a', 'b' or 'c'`. */
function oneOf(values: readonly unknown[]): string {
  const quoted = values.map((v) => typeof v === "string" ? `'${v}'` : String(v));
  return quoted.length < 2
    ? quoted.join("")
    : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

// A union names only itself ("Invalid input"); the branch that got furthest names the field,
// measured to the end of any union inside it (on a tie, the first branch).
function deepest(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union") return issue;
  let best: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      if (inner.path.length === 0) continue;
      const found = deepest(inner);
      if (!best || found.path.length > best.path.length) best = found;
    }
  }
  return best ? { ...best, path: [...issue.path, ...best.path] } : issue;
}
