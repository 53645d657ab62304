/**
 * A request that is rotated to another key or re-tried keeps its place in its provider's
 * `max_concurrency` queue: requests that arrived after it do not go first.
 */

import assert from "node:assert/strict";
import { testConfig } from "../helpers/config.ts";
import { postMessages } from "../helpers/ccp.ts";
import { type FaultRequest, startFaultMock } from "../mocks/fault_mock.ts";
import { assertComplete, at, readStream, setup, status, until } from "./_resilience_env.ts";

const KEY_A = "alpha-credential-0001-Qa1x";
const KEY_B = "bravo-credential-0002-Rb2y";

function textOf(request: FaultRequest): string {
  const messages = request.body?.messages as Array<{ content: string }> | undefined;
  return messages?.[0]?.content ?? "";
}

function ask(url: string, text: string): Promise<Response> {
  const body = {
    model: "claude-opus-5-5",
    max_tokens: 64,
    stream: true,
    messages: [{ role: "user", content: text }],
  };
  return postMessages(url, body, { "anthropic-version": "2023-06-01" });
}

const RETRY_503 = { maxRetries: 1, fallbackOn: [] };

for (
  const [name, refusal, over, order] of [
    [
      "rotated to another key after a 429 is sent before the requests queued behind it",
      status(429, 60, "slow down"),
      {},
      ["first", "early", "early", "late1", "late2"],
    ],
    [
      "re-tried at once after a 503 is sent before the requests queued behind it",
      status(503, 0, "busy"),
      RETRY_503,
      ["first", "early", "early", "late1", "late2"],
    ],
    [
      "that waits out Retry-After: 1 before its re-try leaves the slot to those queued behind it",
      status(503, 1, "busy"),
      RETRY_503,
      ["first", "early", "late1", "late2", "early"],
    ],
  ] as const
) {
  Deno.test(`a request ${name}`, async () => {
    const seen: string[] = [];
    let refused = false;
    const up = startFaultMock({
      script: (request) => {
        const text = textOf(request);
        seen.push(text);
        if (text === "early" && !refused) {
          refused = true;
          return refusal;
        }
        return { kind: "drip", everyMs: 40, deltas: 3 };
      },
    });
    await using env = setup(
      [up],
      testConfig({
        providers: [at(up, "p", { apiKeys: [KEY_A, KEY_B], maxConcurrency: 1, ...over })],
        routes: { default: "p/m" },
      }),
    );
    // "first" holds the only slot; "early" queues, then "late1" and "late2" behind it.
    const first = ask(env.ccp.url, "first");
    await until("first sent", () => seen.length === 1);
    const early = ask(env.ccp.url, "early");
    await until(
      "early queued",
      async () => (await env.health()).resilience.providers.p!.limiter.queued === 1,
    );
    const late = [ask(env.ccp.url, "late1")];
    await until(
      "late1 queued",
      async () => (await env.health()).resilience.providers.p!.limiter.queued === 2,
    );
    late.push(ask(env.ccp.url, "late2"));
    await until(
      "late2 queued",
      async () => (await env.health()).resilience.providers.p!.limiter.queued === 3,
    );
    for (const res of [first, early, ...late]) {
      assertComplete(await readStream(await res), "claude-opus-5-5");
    }
    assert.deepEqual(seen, order);
  });
}
