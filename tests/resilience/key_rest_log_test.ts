/**
 * An Anthropic API key's rate limit on the first target of a route, as Anthropic words it (a
 * `rate_limit_error` that ends "or try again later", a `retry-after`): the next target serves at
 * once, the log line says how long the key rests, later requests skip the key without asking it,
 * and once the wait is over the key serves again. A refused key's line says its set-aside too.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock } from "./fake_clock.ts";
import { h, type Ok, provider, scripted, type Step } from "./helpers.ts";

const KEY = "sk-ant-api03-0123456789abcdef-AAAA";
const LIMITED = JSON.stringify({
  type: "error",
  error: {
    type: "rate_limit_error",
    message: "This request would exceed the rate limit for your organization (0f3c) of 50 " +
      "requests per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. " +
      "You can see the response headers for current usage. Please reduce the prompt length or " +
      "the maximum tokens requested, or try again later. You may also contact sales at " +
      "https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.",
  },
});

function setup(script: Record<string, Step[]>) {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted(script);
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => void lines.push(l), colour: false });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, log });
  const run = async (chain: DispatchTarget[]) => {
    const got = await clock.run(dispatcher.dispatch(chain, new AbortController().signal));
    got.done();
    return got.target.provider.id;
  };
  return { clock, calls, lines, registry, run };
}

Deno.test("an Anthropic key's 429: the fallback serves, the key rests as long as it said, then serves", async () => {
  const anthropic = provider("anthropic", {
    type: "anthropic",
    apiKeys: [KEY],
    fallbackOn: [429, 500, 502, 503, 504, 529],
  });
  const fallback = provider("open_router", { apiKeys: ["sk-or-v1-0123456789abcdef"] });
  const chain = [
    { provider: anthropic, model: "claude-sonnet-4-5" },
    { provider: fallback, model: "anthropic/claude-sonnet-4.5" },
  ];
  const limited: Step = {
    status: 429,
    headers: h({ "retry-after": "25", "anthropic-ratelimit-requests-remaining": "0" }),
    bodyText: LIMITED,
  };
  const { clock, calls, lines, registry, run } = setup({ anthropic: [limited, "ok"] });

  assert.equal(await run(chain), "open_router");
  assert.match(
    lines.join(""),
    /provider "anthropic" model "claude-sonnet-4-5" key 1 \(…AAAA\): .*answered 429.* → next_target \(the key cools down for 25s on this model\)/,
  );
  // The next turns skip the key at once, without a 429 each; no breaker is fed by its limit.
  await clock.advance(20_000);
  assert.equal(await run(chain), "open_router");
  assert.deepEqual(calls.filter((c) => c.startsWith("anthropic")).length, 1);
  assert.equal(registry.breaker("anthropic", "claude-sonnet-4-5").state, "closed");
  // The wait is over: Anthropic serves again.
  await clock.advance(5_001);
  assert.equal(await run(chain), "anthropic");
});

Deno.test("a refused key's line says how long it rests, and whether another key takes over", async () => {
  const p = provider("p", { apiKeys: [KEY, `${KEY}-2`], fallbackOn: [] });
  const { lines, run } = setup({
    p: [{ status: 429, headers: h({ "retry-after": "7" }) }, { status: 401 }],
  });
  await assert.rejects(() => run([{ provider: p, model: "m" }]));
  const text = lines.join("");
  assert.match(
    text,
    /key 1 \(…AAAA\): .* → rotate_key \(the key cools down for 7s on this model\)/,
  );
  // The route has no other target: a last-resort try is all that may follow.
  assert.match(
    text,
    /key 2 \(…AA-2\): .* → no_other_target \(the route has no other target; the key is set aside for \d+s\)/,
  );
});
