/**
 * What ccp logs of an upstream's error text leaves out the request content a validating server
 * quoted back (FastAPI/pydantic items' `input` and `ctx`, pydantic's `input_value`), and is bounded.
 */

import assert from "node:assert/strict";
import { loggedText, MAX_LOGGED, withoutEchoes } from "../../src/core/logged_text.ts";

const SECRET = "my secret prompt";

Deno.test("withoutEchoes: Python repr items (vLLM's message) lose input and ctx whole", () => {
  const item = "{'type': 'string_type', 'loc': ('body', 'messages', 0, 'content'), " +
    "'msg': 'Input should be a valid string', 'input': [{'type': 'text', " +
    `'text': "${SECRET}, it's {here} [really]"}, {'a': ('x', 'y')}], ` +
    "'ctx': {'error': 'Value error, bad \\' quote'}, 'url': 'https://errors.pydantic.dev/x'}";
  const said = withoutEchoes(`1 validation error:\n  ${item} [${item}]`);
  assert.ok(!said.includes("secret"), said);
  const kept = "{'type': 'string_type', 'loc': ('body', 'messages', 0, 'content'), " +
    "'msg': 'Input should be a valid string', 'url': 'https://errors.pydantic.dev/x'}";
  assert.equal(said, `1 validation error:\n  ${kept} [${kept}]`);
});

Deno.test("withoutEchoes: JSON items, the member first, last or alone", () => {
  const json = JSON.stringify({
    detail: [
      { input: { messages: [{ content: SECRET }] }, loc: ["body"], msg: "Field required" },
      { loc: ["body", "x"], msg: "too long", ctx: { max_length: 3, echo: SECRET } },
      { input: `${SECRET} "quoted" \\ done` },
    ],
  });
  assert.equal(
    withoutEchoes(json),
    '{"detail":[{"loc":["body"],"msg":"Field required"},{"loc":["body","x"],"msg":"too long"},{}]}',
  );
});

Deno.test("withoutEchoes: pydantic's ValidationError text keeps the type, not input_value", () => {
  const text = "1 validation error for ChatCompletionRequest\nmessages.0.content\n" +
    `  Input should be a valid string [type=string_type, input_value={'text': '${SECRET}, ok'}, ` +
    "input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.9/v/string_type";
  const said = withoutEchoes(text);
  assert.ok(!said.includes("secret"), said);
  assert.match(said, /Input should be a valid string \[type=string_type, input_type=dict\]/);
  assert.match(said, /For further information/);
});

Deno.test("withoutEchoes: an echo the upstream cut short goes to the end", () => {
  assert.equal(
    withoutEchoes(
      `bad request: {'msg': 'Field required', 'input': {'messages': [{'content': '${SECRET}`,
    ),
    "bad request: {'msg': 'Field required'",
  );
  assert.equal(
    withoutEchoes(`[type=missing, input_value={'content': '${SECRET}`),
    "[type=missing, ",
  );
});

Deno.test("withoutEchoes: text without echoes is the same string", () => {
  for (
    const text of [
      "upstream answered 429: Rate limit reached for model",
      "the input is too long; 'input' must be shorter",
      "{'loc': ('body', 'input'), 'msg': 'bad'}",
      "",
    ]
  ) assert.equal(withoutEchoes(text), text);
});

Deno.test("loggedText: cut to MAX_LOGGED characters after the echoes are gone", () => {
  const long = `{'msg': 'bad', 'input': '${"x".repeat(1000)}'} ${"y".repeat(1000)}`;
  const said = loggedText(long);
  assert.equal(said.length, MAX_LOGGED + 1);
  assert.ok(said.startsWith("{'msg': 'bad'} yyy"), said.slice(0, 40));
  assert.ok(said.endsWith("\u2026"));
  assert.equal(loggedText("short"), "short");
});
