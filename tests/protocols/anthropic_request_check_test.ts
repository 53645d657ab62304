/**
 * The copy-free request check must accept exactly what the zod schemas accept: every field of a
 * body covering each block and source type is replaced in turn by values of every kind (or
 * removed), and the check's verdict is compared with the schema's.
 */

import assert from "node:assert/strict";
import {
  parseCountTokensRequest,
  parseMessagesRequest,
  requestSchemas,
} from "../../src/protocols/anthropic_request.ts";
import {
  isWellFormedCountTokensRequest,
  isWellFormedMessagesRequest,
} from "../../src/protocols/anthropic_request_check.ts";

type Json = Record<string, unknown>;

function fullBody(): Json {
  const nested = [
    { type: "text", text: "inner" },
    { type: "image", source: { type: "url", url: "https://example.test/a.png" } },
  ];
  return {
    model: "claude-opus-4-5",
    max_tokens: 1024,
    stream: true,
    system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }],
    tools: [
      { name: "Read", input_schema: { type: "object" } },
      // The MCP connector's toolset has no name of its own.
      { type: "mcp_toolset", mcp_server_name: "srv" },
    ],
    tool_choice: { type: "tool", name: "Read" },
    thinking: { type: "enabled", budget_tokens: 2048 },
    stop_sequences: ["END"],
    metadata: { user_id: "u" },
    messages: [
      { role: "user", content: "plain text" },
      {
        role: "user",
        content: [
          { type: "text", text: "look" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "AA==" } },
          { type: "document", source: { type: "text", media_type: "text/plain", data: "doc" } },
          { type: "document", source: { type: "file", file_id: "file_1" } },
          { type: "document", source: { type: "content", content: nested } },
          { type: "future_block", anything: [1, 2] },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "hmm", signature: "sig" },
          { type: "redacted_thinking", data: "opaque" },
          { type: "tool_use", id: "toolu_1", name: "Read", input: { path: "a" } },
          { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_1", content: nested, is_error: false },
          { type: "tool_result", tool_use_id: "toolu_2", content: "text result" },
        ],
      },
    ],
  };
}

const REPLACEMENTS: unknown[] = [
  undefined, // the field removed
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 60,
  7,
  "",
  "x",
  "user",
  "assistant",
  "system",
  "enabled",
  "disabled",
  "auto",
  "tool",
  "content",
  "base64",
  "url",
  "text",
  "file",
  "image",
  "document",
  "tool_use",
  "server_tool_use",
  "tool_result",
  "thinking",
  "redacted_thinking",
  [],
  ["s"],
  [{}],
  [{ type: "text", text: "t" }],
  [{ type: "text" }],
  {},
  Object.create(null),
  { type: "text" },
  { type: "text", text: "t" },
  { type: "content", content: "c" },
  { type: "content", content: [1] },
  { type: "base64", media_type: "m", data: "d" },
  { type: "url" },
];

/** Every path to a value in `node` (objects' keys and arrays' indexes). */
function paths(node: unknown, prefix: PropertyKey[] = []): PropertyKey[][] {
  if (typeof node !== "object" || node === null) return [];
  const out: PropertyKey[][] = [];
  const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node);
  for (const key of keys) {
    const path = [...prefix, key];
    out.push(path, ...paths((node as Json)[key as string], path));
  }
  return out;
}

function withValue(path: PropertyKey[], value: unknown): Json {
  const body = structuredClone(fullBody());
  let node = body as Json;
  for (const key of path.slice(0, -1)) node = node[key as string] as Json;
  const last = path.at(-1) as string;
  if (value === undefined && !Array.isArray(node)) delete node[last];
  else node[last] = value;
  return body;
}

function compare(
  check: (body: unknown) => boolean,
  schema: { safeParse(body: unknown): { success: boolean } },
  extraPaths: PropertyKey[][] = [],
): { accepted: number; rejected: number } {
  let accepted = 0;
  let rejected = 0;
  for (const path of [...paths(fullBody()), ...extraPaths]) {
    for (const value of REPLACEMENTS) {
      const body = withValue(path, value);
      const expected = schema.safeParse(body).success;
      assert.equal(
        check(body),
        expected,
        `${path.join(".")} = ${JSON.stringify(value)}: the schema says ${expected}`,
      );
      if (expected) accepted++;
      else rejected++;
    }
  }
  return { accepted, rejected };
}

// Optional fields the body leaves out, set one at a time.
const ABSENT: PropertyKey[][] = [
  ["messages", 2, "content", 0, "signature"],
  ["messages", 3, "content", 1, "is_error"],
  ["messages", 1, "content", 1, "source", "url"],
  ["tool_choice", "name"],
  ["thinking", "budget_tokens"],
  ["unknown_top_level"],
];

Deno.test("the request check agrees with the Messages schema on every field, either way", () => {
  assert.equal(isWellFormedMessagesRequest(fullBody()), true);
  const { accepted, rejected } = compare(
    isWellFormedMessagesRequest,
    requestSchemas().messages,
    ABSENT,
  );
  // Both verdicts must be exercised, or the comparison proves nothing.
  assert.ok(accepted > 500 && rejected > 1000, `accepted ${accepted}, rejected ${rejected}`);
});

Deno.test("the request check agrees with the count_tokens schema (no max_tokens)", () => {
  const body = fullBody();
  delete body.max_tokens;
  assert.equal(isWellFormedCountTokensRequest(body), true);
  assert.equal(isWellFormedMessagesRequest(body), false);
  compare(isWellFormedCountTokensRequest, requestSchemas().countTokens, ABSENT);
});

Deno.test("the request check rejects what is not a JSON object, and an empty history", () => {
  for (const body of [null, "x", 3, [], [fullBody()]]) {
    assert.equal(isWellFormedMessagesRequest(body), false);
    assert.equal(isWellFormedCountTokensRequest(body), false);
  }
  assert.equal(isWellFormedMessagesRequest({ ...fullBody(), messages: [] }), false);
});

Deno.test("a valid request comes back as the very object sent, not a copy", () => {
  const body = fullBody();
  assert.equal(parseMessagesRequest(body), body);
});

Deno.test("a content document is read as one, never as a media source", () => {
  const body = fullBody();
  for (const content of [5, null, {}, [5]]) {
    const bad = {
      ...body,
      messages: [{
        role: "user",
        content: [{ type: "document", source: { type: "content", content } }],
      }],
    };
    assert.equal(isWellFormedMessagesRequest(bad), false, JSON.stringify(content));
    assert.throws(
      () => parseMessagesRequest(bad),
      /^ClientRequestError: messages\.0\.content\.0\.source\.content(\.0)?: /,
    );
  }
});

// Anthropic's own words for a malformed field; anything else is the validation library's.
const HOUSE_STYLE =
  /^[a-z_]+(\.[\w]+)*: (Input should be [^:]+|Field required|at least one message is required)$/;

Deno.test("every refusal of a malformed field says in Anthropic's words what the field takes", () => {
  const words = new Set<string>();
  for (
    const [schema, parse] of [
      [requestSchemas().messages, parseMessagesRequest],
      [requestSchemas().countTokens, parseCountTokensRequest],
    ] as const
  ) {
    for (const path of [...paths(fullBody()), ...ABSENT]) {
      for (const value of REPLACEMENTS) {
        const body = withValue(path, value);
        if (schema === requestSchemas().countTokens) delete body.max_tokens;
        if (schema.safeParse(body).success) continue;
        assert.throws(() => parse(body), (error: Error) => {
          assert.match(error.message, HOUSE_STYLE, `${path.join(".")} = ${JSON.stringify(value)}`);
          words.add(error.message.slice(error.message.indexOf(": ") + 2));
          return true;
        });
      }
    }
  }
  // The sweep met most of the wordings, or it proves little.
  assert.ok(words.size >= 10, [...words].join("\n"));
});
