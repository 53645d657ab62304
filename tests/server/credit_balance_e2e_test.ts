/**
 * Anthropic refuses a key whose account has no credit left with a 400 ("Your credit balance is
 * too low to access the Anthropic API"). It is the key's account, not the request: another key
 * or target serves, and the last refusal says which provider ran out in words Claude Code shows
 * (it replaces any message containing "credit balance is too low" with its own, about the user's
 * Anthropic account).
 */

import assert from "node:assert/strict";
import { testConfig } from "../helpers/config.ts";
import { upstreamHttpError } from "../../src/upstream/errors.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { at, expectError, readStream, setup, status } from "./_resilience_env.ts";

const NO_CREDIT = "Your credit balance is too low to access the Anthropic API. Please go to " +
  "Plans & Billing to upgrade or purchase credits.";

Deno.test("a key out of credit moves the request on to the route's next target", async () => {
  const spent = startFaultMock({ script: () => status(400, undefined, NO_CREDIT) });
  const other = startFaultMock();
  await using env = setup(
    [spent, other],
    testConfig({
      providers: [at(spent, "ant", { apiKeys: ["sk-ant-spent-0001"] }), at(other, "b")],
      routes: { default: ["ant/claude-sonnet-4-5", "b/m"] },
    }),
  );
  const events = await readStream(await env.send());
  assert.equal(events.at(-1)?.event, "message_stop");
  assert.equal(other.stats.requests, 1);
});

Deno.test("the last key out of credit: a 503 naming the provider, in words Claude Code shows", async () => {
  const spent = startFaultMock({ script: () => status(400, undefined, NO_CREDIT) });
  await using env = setup(
    [spent],
    testConfig({
      providers: [at(spent, "ant", { apiKeys: ["sk-ant-spent-0001"] })],
      routes: { default: "ant/claude-sonnet-4-5" },
    }),
  );
  const error = await expectError(await env.send(), 503, "api_error");
  assert.equal(error.code, "auth_unavailable");
  assert.match(
    error.message,
    /provider "ant" model "claude-sonnet-4-5": 1 key refused with 402/,
  );
  assert.match(error.message, /Add credits to the account behind the key/);
  assert.doesNotMatch(error.message, /credit balance is too low/i);
});

Deno.test("the client's own credential (passthrough) keeps Anthropic's words", () => {
  const error = upstreamHttpError({
    provider: "claude",
    model: "claude-sonnet-4-5",
    status: 402,
    headers: new Headers(),
    bodyText: JSON.stringify({
      type: "error",
      error: { type: "invalid_request_error", message: NO_CREDIT },
    }),
    keys: [],
    answered: "answered HTTP 400",
    passthrough: true,
  });
  assert.match(error.message, /credit balance is too low/);
});
