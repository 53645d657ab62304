/**
 * What ccp logs of an upstream's error text leaves out every run of the request's own text it
 * holds (at least MIN_ECHO characters), as it is or escaped once or twice, whole or cut short,
 * and keeps the upstream's own words, also those it shares with the prompt by chance.
 */

import assert from "node:assert/strict";
import { ECHO_MARK, MIN_ECHO, UNCHECKED, withoutRuns } from "../../src/core/echo_runs.ts";
import { loggedText, MAX_LOGGED } from "../../src/core/logged_text.ts";
import { RequestText } from "../../src/core/request_text.ts";

// A prompt with what escaping changes: quotes of both kinds, a line break, a backslash, non-ASCII.
const PROMPT = 'Summarise the quarterly report for Acme Corp and list "three" risks.\n' +
  "It's due Friday \\ keep it short \u2014 merci, caf\u00e9 cr\u00e8me";
const body = (text = PROMPT) => ({
  model: "m",
  max_tokens: 10,
  messages: [{ role: "user", content: [{ type: "text", text }] }],
});
const requestText = (text = PROMPT) => new RequestText(body(text));

/** Python's repr of a string, as vLLM and pydantic quote one. */
function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const inner = s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  return quote + (quote === "'" ? inner.replace(/'/g, "\\'") : inner) + quote;
}

function assertNoPrompt(said: string): void {
  for (const piece of ["quarterly report", "Acme Corp", "three", "Friday", "keep it short"]) {
    assert.ok(!said.includes(piece), `"${piece}" is still in: ${said}`);
  }
}

Deno.test("withoutRuns: prose that quotes the prompt keeps its own words around the mark", () => {
  const error = `Request rejected: the prompt '${PROMPT}' could not be processed by this model.`;
  assert.equal(
    loggedText(error, requestText()),
    `Request rejected: the prompt '${ECHO_MARK}' could not be processed by this model.`,
  );
  // Without the request's text, nothing tells this echo apart from the upstream's words.
  assert.equal(loggedText(error), error);
});

Deno.test("withoutRuns: JSON the upstream encoded twice, inside its message string", () => {
  const inner = JSON.stringify({ input: { messages: [{ role: "user", content: PROMPT }] } });
  const error = `Invalid request body: ${JSON.stringify(inner)}`;
  assert.ok(error.includes('{\\"input\\": ') || error.includes('{\\"input\\":'), error);
  const said = loggedText(error, requestText());
  assertNoPrompt(said);
  assert.equal(
    said,
    'Invalid request body: "{\\"input\\":{\\"messages\\":[{\\"role\\":\\"user\\",' +
      `\\"content\\":\\"${ECHO_MARK}\\"}]}}"`,
  );
  // Escaped once more (the whole error body quoted as a string by a gateway), and with
  // non-ASCII as \u escapes, as Python's json.dumps writes it.
  const ascii = (s: string) =>
    s.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  const deeper = JSON.stringify(ascii(JSON.stringify({ error: { message: PROMPT } })));
  assertNoPrompt(loggedText(deeper, requestText()));
});

Deno.test("withoutRuns: vLLM's VLLMValidationError (parameter=..., value=...) suffix", () => {
  const value = `[{'role': 'user', 'content': [{'type': 'text', 'text': ${pyRepr(PROMPT)}}]}]`;
  const error = `Expected 'messages' to alternate roles (parameter=messages, value=${value})`;
  const said = loggedText(error, requestText());
  assertNoPrompt(said);
  assert.equal(
    said,
    "Expected 'messages' to alternate roles (parameter=messages, value=[{'role': 'user', " +
      `'content': [{'type': 'text', 'text': '${ECHO_MARK}'}]}])`,
  );
});

Deno.test("withoutRuns: a pydantic input_value that itself holds ', input_type='", () => {
  const prompt = "Rename the field, input_type=str stays as it is in the private schema";
  const error = "1 validation error for ChatCompletionRequest\nmessages.0.content\n" +
    `  Input should be a valid list [type=list_type, input_value='${prompt}', input_type=str]`;
  // The shape alone stops at the first `, input_type=` and keeps the rest of the value.
  assert.match(loggedText(error), /private schema/);
  const said = loggedText(error, requestText(prompt));
  assert.ok(!said.includes("private schema") && !said.includes("Rename"), said);
  assert.match(said, /Input should be a valid list \[type=list_type, input_type=str\]$/);
});

Deno.test("withoutRuns: an echo cut short, at either end or by pydantic's '...'", () => {
  const text = requestText();
  // The upstream kept the first 60 characters and marked the cut.
  const head = `prompt too large to log: '${PROMPT.slice(0, 60)}...' (truncated)`;
  assert.equal(loggedText(head, text), `prompt too large to log: '${ECHO_MARK}...' (truncated)`);
  // Cut where the upstream's own text ends, mid-word and mid-escape.
  const json = JSON.stringify({ content: PROMPT });
  const cut = `bad request: ${json.slice(0, json.indexOf("Friday") + 3)}`;
  assert.equal(loggedText(cut, text), `bad request: {"content":"${ECHO_MARK}`);
  // Starting mid-prompt, as a tail excerpt does.
  const tail = `...${PROMPT.slice(-40)}' exceeds the limit`;
  assert.equal(loggedText(tail, text), `...${ECHO_MARK}' exceeds the limit`);
  // pydantic keeps the first 25 and the last 24 characters of a long repr.
  const repr = pyRepr(PROMPT);
  const halves = `[type=string_type, input_value=${repr.slice(0, 25)}...${repr.slice(-24)}, ` +
    "input_type=str]";
  const said = withoutRuns(halves, [PROMPT]);
  assert.equal(
    said,
    `[type=string_type, input_value='${ECHO_MARK}...${ECHO_MARK}', input_type=str]`,
  );
});

Deno.test("withoutRuns: an error that shares only short common words with the prompt is kept", () => {
  const prompt = "Please write the function for the user and return the value that is not valid " +
    "when the request is too long; the model should say so in the log for the request.";
  for (
    const error of [
      "the request for the model is too long and the value is not valid for the user",
      "This model's maximum context length is 32768 tokens. However, you requested 40000 tokens.",
      "1 validation error: Input should be a valid string [type=string_type, input_type=dict]",
      `upstream answered 400: ${"the request ".repeat(30)}`,
    ]
  ) {
    assert.equal(withoutRuns(error, [prompt]), error);
    assert.equal(
      loggedText(error, requestText(prompt)),
      error.slice(0, MAX_LOGGED) +
        (error.length > MAX_LOGGED ? "\u2026" : ""),
    );
  }
  // A run one character short of MIN_ECHO is no echo; one of MIN_ECHO is.
  const run = PROMPT.slice(0, MIN_ECHO);
  assert.equal(withoutRuns(`<${run.slice(1)}>`, [PROMPT]), `<${run.slice(1)}>`);
  assert.equal(withoutRuns(`<${run}>`, [PROMPT]), `<${ECHO_MARK}>`);
});

Deno.test("withoutRuns: runs of several strings next to each other are one mark", () => {
  const first = "The first block of the conversation says this.";
  const second = "The second block follows it without a break.";
  assert.equal(
    withoutRuns(`quoted: ${first}${second} end`, ["unrelated", second, first]),
    `quoted: ${ECHO_MARK} end`,
  );
  assert.equal(
    withoutRuns(`quoted: ${first} and ${second}`, [first, second]),
    `quoted: ${ECHO_MARK} and ${ECHO_MARK}`,
  );
});

Deno.test("withoutRuns: a 1 MB prompt against a 100 KB error text stays fast", () => {
  let prompt = "";
  for (let i = 0; prompt.length < 1_000_000; i++) {
    prompt += `line ${i}: the session's file ${
      i % 97
    } holds function f${i}(x) { return x * ${i}; }\n`;
  }
  const echo = prompt.slice(400_000, 450_000);
  const error = `upstream said: "${echo}" and then ${JSON.stringify(echo)} again`;
  assert.ok(error.length > 100_000 && prompt.length >= 1_000_000);
  const started = performance.now();
  const said = withoutRuns(error, [prompt]);
  const ms = performance.now() - started;
  assert.equal(said, `upstream said: "${ECHO_MARK}" and then "${ECHO_MARK}" again`);
  // Tens of milliseconds on a laptop; the bound leaves room for a busy machine.
  assert.ok(ms < 3000, `${ms.toFixed(0)} ms`);
  const unrelated = "x".repeat(100_000);
  assert.equal(withoutRuns(unrelated, [prompt]), unrelated);
});

Deno.test("withoutRuns: a check past its bound says so instead of the text", () => {
  const error = `it said '${PROMPT}' here`;
  assert.equal(withoutRuns(error, [PROMPT], 0), UNCHECKED);
  // Short text is not checked at all.
  assert.equal(withoutRuns("short", [PROMPT], 0), "short");
});
