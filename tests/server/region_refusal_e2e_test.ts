/**
 * A provider that refuses the region ccp's requests come from (Gemini's 400 "User location is
 * not supported", OpenAI's 403 `unsupported_country_region_territory`) refuses every key alike:
 * no key is set aside or blamed, the route's next target serves, and the message says what to do.
 */

import assert from "node:assert/strict";
import { classify } from "../../src/resilience/classify.ts";
import { upstreamHttpError } from "../../src/upstream/errors.ts";
import { testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { at, expectError, readStream, setup, status } from "./_resilience_env.ts";

const GEMINI = JSON.stringify({
  error: {
    code: 400,
    message: "User location is not supported for the API use.",
    status: "FAILED_PRECONDITION",
  },
});
const OPENAI = JSON.stringify({
  error: {
    code: "unsupported_country_region_territory",
    message: "Country, region, or territory not supported",
    param: null,
    type: "request_forbidden",
  },
});

Deno.test("a region refusal moves on to the next target and blames no key", () => {
  for (const [code, bodyText] of [[400, GEMINI], [403, OPENAI]] as const) {
    const verdict = classify({ status: code, bodyText }, { fallbackOn: [], now: 0, model: "m" });
    assert.equal(verdict.action, "next_target", bodyText);
    assert.equal(verdict.cause, "target", bodyText);
  }
});

Deno.test("a region refusal says so, not that ccp's key was rejected", () => {
  for (const [code, bodyText] of [[400, GEMINI], [403, OPENAI]] as const) {
    const error = upstreamHttpError({
      provider: "g",
      model: "m",
      status: code,
      headers: new Headers(),
      bodyText,
      keys: [],
    });
    assert.match(error.message, /refuses requests from this machine's region, whatever the key/);
    assert.doesNotMatch(error.message, /rejected ccp's API key/);
  }
});

Deno.test("a route whose first target refuses the region is served by the next", async () => {
  const refusing = startFaultMock({
    script: () => status(403, undefined, "Country, region, or territory not supported"),
  });
  const other = startFaultMock();
  await using env = setup(
    [refusing, other],
    testConfig({
      providers: [at(refusing, "far", { apiKeys: ["key-far-0001-abcd"] }), at(other, "near")],
      routes: { default: ["far/m", "near/m"] },
    }),
  );
  const events = await readStream(await env.send());
  assert.equal(events.at(-1)?.event, "message_stop");
  // Its key is not set aside: the next request tries it again, and is refused in these words.
  await using alone = setup(
    [],
    testConfig({
      providers: [at(refusing, "far", { apiKeys: ["key-far-0001-abcd"] })],
      routes: { default: "far/m" },
    }),
  );
  for (let i = 0; i < 2; i++) {
    const error = await expectError(await alone.send(), 502, "api_error");
    assert.match(
      error.message,
      /^Provider "far" \(model m\) answered HTTP 403 \(the provider refuses/,
    );
  }
});
