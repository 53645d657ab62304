/**
 * An error written into a 200 answer is read by one rule, wherever ccp finds it: at the start of
 * the answer (`earlyError`, before anything is relayed) or in a JSON answer's body when the
 * translation meets it (`answerBodyError`). Each row is checked on both paths.
 */

import assert from "node:assert/strict";
import { UpstreamError } from "../../src/core/errors.ts";
import { earlyError } from "../../src/upstream/http/early_error.ts";
import { openAIResponseToAnthropic } from "../../src/translate/openai_chat/response.ts";

const OVERFLOW_WORDS =
  "Trying to keep the first 9000 tokens when context the overflows. However, the model is " +
  "loaded with context length of only 8192 tokens, which is not enough.";

const ROWS: Array<[string, unknown, number]> = [
  ["a status in `code`", { message: "slow down", code: 429 }, 429],
  ["a status in `code` as a string", { message: "down", code: "503" }, 503],
  [
    "a refused key named in words, whatever the type says",
    { message: "Incorrect API key", type: "invalid_request_error", code: "invalid_api_key" },
    401,
  ],
  [
    "OpenAI's invalid_request_error",
    { message: "bad max_tokens", type: "invalid_request_error" },
    400,
  ],
  ["Anthropic's rate_limit_error", { message: "slow down", type: "rate_limit_error" }, 429],
  ["Anthropic's overloaded_error", { message: "Overloaded", type: "overloaded_error" }, 529],
  ["a code in words", { message: "slow down", code: "rate_limit_exceeded" }, 429],
  ["nothing named", { message: "upstream connect error" }, 502],
  ["an unknown type", { message: "odd", type: "teapot_error" }, 502],
  ["a bare string", "upstream connect error", 502],
  ["the words of an over-long prompt, bare", OVERFLOW_WORDS, 400],
  ["the words of an over-long prompt, beside an unknown type", {
    message: OVERFLOW_WORDS,
    type: "server_error_unknown",
  }, 400],
];

const OPTIONS = {
  clientModel: "claude-sonnet-4-5",
  inputTokens: 1,
  provider: "gw",
  upstreamModel: "m",
  messageId: "msg_x",
};

/** The status the translation's reading gives the error: the upstream's, a bad gateway if none. */
function bodyStatus(error: unknown): number {
  try {
    openAIResponseToAnthropic({ error }, OPTIONS);
  } catch (thrown) {
    assert.ok(thrown instanceof UpstreamError);
    return thrown.upstreamStatus ?? 502;
  }
  assert.fail("no error thrown");
}

/** The status the start of the answer gives the same error. */
async function earlyStatus(error: unknown): Promise<number | undefined> {
  const first = new TextEncoder().encode(JSON.stringify({ error }));
  const start = { first, readAhead: () => Promise.resolve(undefined), readsAhead: 0 };
  const json = new Response(null, { status: 200, headers: { "content-type": "application/json" } });
  return (await earlyError(json, start))?.status;
}

Deno.test("an error inside a 200 answer: the same status at its start and in its body", async (t) => {
  for (const [name, error, status] of ROWS) {
    await t.step(name, async () => {
      assert.equal(await earlyStatus(error), status, "read at the start");
      assert.equal(bodyStatus(error), status, "read in the body");
    });
  }
});
