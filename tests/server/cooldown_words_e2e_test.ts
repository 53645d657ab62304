/** A `model_cooldown` refusal says what the upstream answered with its 429, not only the status. */

import assert from "node:assert/strict";
import { testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { at, expectError, setup, status } from "./_resilience_env.ts";

const KEY_A = "alpha-credential-0001-Qa1x";
const KEY_B = "bravo-credential-0002-Rb2y";

Deno.test("model_cooldown carries the upstream's last 429 words, keys scrubbed and bounded", async () => {
  const quota = `Quota exceeded for metric: generate_requests_per_model_per_day, key ${KEY_B}. ` +
    "x".repeat(2000);
  const up = startFaultMock({ script: () => status(429, 60, quota) });
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "p", { apiKeys: [KEY_A, KEY_B] })],
      routes: { default: "p/m" },
    }),
  );
  const error = await expectError(await env.send(), 429, "rate_limit_error");
  assert.equal(error.code, "model_cooldown");
  assert.match(error.message, /2 keys cooling down after 429 \(usable again in 60s; last: /);
  assert.match(error.message, /generate_requests_per_model_per_day/);
  assert.ok(!error.message.includes(KEY_A) && !error.message.includes(KEY_B), "a key leaked");
  assert.ok(error.message.length < 800, `${error.message.length} characters`);
});
