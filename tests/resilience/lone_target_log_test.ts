/**
 * On a route with one target, a failed attempt's log line does not promise a next target: it
 * says the client gets the failure, or (a refused key that may still get a last-resort try) that
 * the route has no other target.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock } from "./fake_clock.ts";
import { h, type Ok, provider, scripted, type Step } from "./helpers.ts";

function setup(script: Record<string, Step[]>) {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { attempt } = scripted(script);
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (l) => void lines.push(l), colour: false });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, log });
  const run = (chain: DispatchTarget[]) =>
    clock.run(dispatcher.dispatch(chain, new AbortController().signal));
  return { lines, run };
}

Deno.test("a lone target's 503: the log says the client gets it, not a next target", async () => {
  const p = provider("p", { apiKeys: ["sk-0123456789abcdef"], maxRetries: 0 });
  const { lines, run } = setup({ p: [{ status: 503 }] });
  await assert.rejects(() => run([{ provider: p, model: "m" }]));
  const text = lines.join("");
  assert.match(text, /provider "p" model "m".*503.* → to_client \(the route has no other target\)/);
  assert.doesNotMatch(text, /next_target/);
});

Deno.test("a lone key's day-long 429 on a lone target: the client gets it", async () => {
  const p = provider("p", { apiKeys: ["sk-0123456789abcdef"], fallbackOn: [] });
  const { lines, run } = setup({ p: [{ status: 429, headers: h({ "retry-after": "3600" }) }] });
  await assert.rejects(() => run([{ provider: p, model: "m" }]));
  assert.match(
    lines.join(""),
    / → to_client \(the route has no other target; the key cools down for \d+s on this model\)/,
  );
});

Deno.test("a route with a fallback still says next_target", async () => {
  const p = provider("p", { apiKeys: ["sk-0123456789abcdef"], maxRetries: 0 });
  const q = provider("q", { apiKeys: ["sk-q-0123456789abcdef"] });
  const { lines, run } = setup({ p: [{ status: 503 }], q: ["ok"] });
  const got = await run([{ provider: p, model: "m" }, { provider: q, model: "m" }]);
  got.done();
  assert.match(lines.join(""), /provider "p" model "m".*503.* → next_target$/m);
});
