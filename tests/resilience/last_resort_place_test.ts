/**
 * A request's place in a provider's `max_concurrency` queue: a last-resort try (a probe after a
 * key's announced cool-down) queues by the request's first arrival, as retries and key rotations
 * do, not behind requests that arrived while it waited.
 */

import assert from "node:assert/strict";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock, flush } from "./fake_clock.ts";
import { h, type Ok, provider, scripted } from "./helpers.ts";

const KEY = "sk-live-cccccccccccc3333";

Deno.test("a last-resort probe keeps the request's place in the provider's queue", async () => {
  const a = provider("a", { apiKeys: [KEY], maxConcurrency: 1 });
  const at = (model: string): DispatchTarget => ({ provider: a, model });
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  // The first call (a/m) is told to come back in 1 s; every later call answers.
  const { calls, attempt } = scripted({
    a: [{ status: 429, headers: h({ "retry-after": "1" }) }, "ok"],
  });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, backoff: { random: () => 0 } });
  const signal = new AbortController().signal;

  // The first request arrives first: its 429 cools the key for m, and its probe waits 1 s.
  const first = dispatcher.dispatch([at("m")], signal);
  await flush();
  // Meanwhile another model's request takes the one slot and holds it (a stream in flight) ...
  const holder = await dispatcher.dispatch([at("m2")], signal);
  // ... and a third arrives later and queues for it.
  const later = dispatcher.dispatch([at("m3")], signal);
  await flush();
  assert.deepEqual(calls, [`a/m ${KEY}`, `a/m2 ${KEY}`]);

  // The probe is due: it queues too, by the first request's arrival.
  await clock.advance(1000);
  assert.equal(registry.provider(a).limiter.snapshot().queued, 2);
  holder.done();
  await flush();
  const order = [...calls];
  // Each answer frees the slot when it ends, for whichever request is still waiting.
  const ended = [first, later].map((p) => p.then((got) => got.done()));
  await clock.run(Promise.all(ended));
  assert.deepEqual(order, [`a/m ${KEY}`, `a/m2 ${KEY}`, `a/m ${KEY}`], "the probe went first");
  assert.deepEqual(calls.at(-1), `a/m3 ${KEY}`);
});
