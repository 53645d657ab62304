/**
 * An answer that broke mid-way teaches the guards what the same failure before its first byte
 * would: a rate limit reported inside the stream cools the key (for the wait its words give, for
 * the model a routed provider limited) and is no ill health; an overload or a broken connection
 * counts against the target; a refusal of the request itself counts for nothing.
 */

import assert from "node:assert/strict";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { createLogger } from "../../src/core/log.ts";
import { FakeClock } from "./fake_clock.ts";
import { type Ok, provider, scripted } from "./helpers.ts";
import type { ProviderConfig } from "../../src/config/types.ts";

const K1 = "sk-aaaa-0000000000000001";

function setup() {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted({});
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => void lines.push(l), colour: false });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, log });
  const run = (chain: DispatchTarget[]) =>
    clock.run(dispatcher.dispatch(chain, new AbortController().signal));
  return { clock, registry, calls, run, lines };
}

const to = (config: ProviderConfig, model = "m"): DispatchTarget => ({ provider: config, model });

const anthropicError = (type: string, message: string) =>
  JSON.stringify({ type: "error", error: { type, message } });

Deno.test("a rate limit reported mid-stream cools the key and is no ill health", async () => {
  const a = provider("a", { apiKeys: [K1] });
  const { run, calls, clock, registry, lines } = setup();
  const chain = [to(a), to(provider("b"))];
  const first = await run(chain);
  assert.equal(first.target.provider.id, "a");
  first.done("provider a reported an error mid-stream: rate limited", {
    type: "rate_limit_error",
    said: anthropicError("rate_limit_error", "Rate limited, please try again after 20 seconds."),
  });
  calls.length = 0;
  const second = await run(chain);
  assert.deepEqual(calls, ["b/m"], "the cooling key is not asked again");
  second.done();
  const cooling = registry.provider(a).keys.pick("m");
  assert.equal(!cooling.ok && cooling.retryAt - clock.now(), 20_000);
  assert.match(
    lines.join("\n"),
    /provider "a" model "m" key 1 \(…0001\): provider a reported an error mid-stream: rate limited → the key cools down for 20s on this model/,
  );
  assert.equal(registry.breaker("a", "m").snapshot().failures, 0, "a 429 is no ill health");
});

Deno.test("an overload reported mid-stream counts against the target, and cools no key", async () => {
  const a = provider("a", { apiKeys: [K1] });
  const { run, registry } = setup();
  for (let i = 0; i < 3; i++) {
    (await run([to(a), to(provider("b"))])).done("overloaded", {
      type: "overloaded_error",
      said: anthropicError("overloaded_error", "Overloaded"),
    });
  }
  assert.equal(registry.breaker("a", "m").state, "open");
  assert.equal(registry.provider(a).keys.pick("m").ok, true);
});

Deno.test("a cut connection counts against the target as before", async () => {
  const a = provider("a", { apiKeys: [K1] });
  const { run, registry } = setup();
  for (let i = 0; i < 3; i++) (await run([to(a)])).done("connection reset");
  assert.equal(registry.breaker("a", "m").state, "open");
  assert.equal(registry.provider(a).keys.pick("m").ok, true);
});

Deno.test("a refusal of the request reported mid-stream is no verdict on the target", async () => {
  const a = provider("a", { apiKeys: [K1] });
  const { run, registry } = setup();
  for (let i = 0; i < 3; i++) {
    (await run([to(a)])).done("prompt is too long", {
      type: "invalid_request_error",
      said: anthropicError("invalid_request_error", "prompt is too long: 210000 tokens"),
    });
  }
  assert.equal(registry.breaker("a", "m").state, "closed");
  assert.equal(registry.provider(a).keys.pick("m").ok, true);
});

// OpenRouter's chunk relaying a routed provider's 429 (Google's quota, with its wait).
const ROUTED_CHUNK = JSON.stringify({
  id: "gen-1",
  object: "chat.completion.chunk",
  provider: "Google AI Studio",
  error: {
    code: 429,
    message: "Provider returned error",
    metadata: {
      raw: JSON.stringify({
        error: {
          code: 429,
          message: "You exceeded your current quota, please check your plan and billing details.",
          status: "RESOURCE_EXHAUSTED",
          details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "38s" }],
        },
      }),
      provider_name: "Google AI Studio",
    },
  },
  choices: [{ index: 0, delta: { content: "" }, finish_reason: "error" }],
});

Deno.test("OpenRouter's routed 429 inside the stream rests the key for that model, for its wait", async () => {
  const or = provider("or", { apiKeys: [K1] });
  const { run, clock, registry } = setup();
  const got = await run([to(or, "google/gemini-2.0-flash-exp:free"), to(provider("b"))]);
  got.done("or reported an error mid-stream: Provider returned error", {
    type: "rate_limit_error",
    said: ROUTED_CHUNK,
  });
  const keys = registry.provider(or).keys;
  const limited = keys.pick("google/gemini-2.0-flash-exp:free");
  assert.equal(limited.ok, false);
  assert.equal(!limited.ok && limited.retryAt - clock.now(), 38_000);
  assert.equal(keys.pick("qwen/qwen3-coder:free").ok, true, "another model of the key serves");
});

Deno.test("a plan's rate limit reported mid-stream holds the client's credential for its wait", async () => {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted({});
  const credential = { id: "c0ffee", label: "client credential (…abcd)" };
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, credential });
  const plan = provider("plan", { auth: "passthrough" });
  const chain = [to(plan), to(provider("b"))];
  const run = () => clock.run(dispatcher.dispatch(chain, new AbortController().signal));
  (await run()).done("plan reported an error mid-stream: rate limited", {
    type: "rate_limit_error",
    said: anthropicError("rate_limit_error", "Rate limited, please try again after 30 seconds"),
  });
  calls.length = 0;
  (await run()).done();
  assert.deepEqual(calls, ["b/m"], "the held credential is not sent again");
  assert.equal(registry.breaker("plan", "m").snapshot().failures, 0);
});
