/**
 * Realistic sequences of ordinary faults replayed against one ccp: guards may reorder and skip
 * while an alternative is left, but never refuse a request they could serve. Each scenario checks
 * what reached the upstream as well as what the client got.
 */

import assert from "node:assert/strict";
import { testConfig } from "../helpers/config.ts";
import { parseSse, postMessages, startCcp } from "../helpers/ccp.ts";
import { provider } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import { startGeminiMock } from "../mocks/gemini_mock.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import {
  assertComplete,
  assertErrorFrame,
  at,
  expectError,
  readStream,
  setup,
  status,
} from "./_resilience_env.ts";

const KEY_A = "alpha-credential-01-Qa1x";
const KEY_B = "bravo-credential-02-Rb2y";

Deno.test("session: a chain of two models on one provider with one key", async (t) => {
  const up = startFaultMock({
    script: (r) =>
      r.model === "m1" ? status(429, 30, "Rate limit exceeded for model m1") : undefined,
  });
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "nim", { apiKeys: [KEY_A] })],
      routes: { default: ["nim/m1", "nim/m2"] },
    }),
  );
  await t.step("m1 answers 429: the request fails over to m2 with the same key", async () => {
    const res = await env.send();
    assert.equal(res.headers.get("x-ccp-model"), "m2");
    assertComplete(await readStream(res), "claude-opus-5-5");
    assert.deepEqual(up.requests.map((r) => [r.model, r.key, r.status]), [
      ["m1", KEY_A, 429],
      ["m2", KEY_A, 200],
    ]);
  });
  await t.step("while m1 cools down, requests go straight to m2", async () => {
    for (let i = 0; i < 3; i++) {
      assertComplete(await readStream(await env.send()), "claude-opus-5-5");
    }
    assert.deepEqual(up.requests.slice(2).map((r) => r.model), ["m2", "m2", "m2"]);
  });
});

Deno.test("session: a single-target route through six failures, then its recovery", async (t) => {
  const up = startFaultMock({
    replies: [
      { kind: "reset", afterEvents: 2 },
      { kind: "reset", afterEvents: 2 },
      { kind: "reset", afterEvents: 2 },
      status(500, undefined, "internal error"),
      status(503, undefined, "unavailable"),
      status(502, undefined, "bad gateway"),
      { kind: "ok" },
    ],
  });
  await using env = setup(
    [up],
    testConfig({ providers: [at(up, "solo", { maxRetries: 0 })], routes: { default: "solo/m" } }),
  );
  await t.step(
    "three streams cut mid-way: each reached the upstream, each ended with one error",
    async () => {
      for (let i = 0; i < 3; i++) {
        const events = await readStream(await env.send());
        assertErrorFrame(events);
        assert.equal(events.filter((e) => e.event === "error").length, 1);
      }
      assert.equal(up.requests.length, 3);
      const { targets } = (await env.health()).resilience;
      assert.equal(targets["solo/m"]?.state, "open", "the breaker opened");
    },
  );
  await t.step(
    "three failing answers while the breaker is open: each still reached the upstream",
    async () => {
      for (const code of [500, 503, 502]) {
        const res = await env.send();
        assert.equal(res.headers.get("x-ccp-provider"), "solo");
        const error = await expectError(res, code === 503 ? 503 : 502, "api_error");
        assert.doesNotMatch(error.message, /paused after repeated failures/);
      }
      assert.equal(up.requests.length, 6, "no request was refused without an upstream attempt");
    },
  );
  await t.step("the upstream recovers: served at once, the circuit closes", async () => {
    assertComplete(await readStream(await env.send()), "claude-opus-5-5");
    assert.equal(up.requests.length, 7);
    assert.equal((await env.health()).resilience.targets["solo/m"]?.state, "closed");
  });
});

Deno.test("session: a set-aside key that comes back", async (t) => {
  let revoked = KEY_A;
  const up = startFaultMock({
    script: (r) => r.key === revoked ? status(401, undefined, "invalid x-api-key") : undefined,
  });
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "p", { apiKeys: [KEY_A, KEY_B] })],
      routes: { default: "p/m" },
    }),
  );
  await t.step("key A refused: set aside, key B serves", async () => {
    assertComplete(await readStream(await env.send()), "claude-opus-5-5");
    assert.deepEqual(up.requests.map((r) => [r.key, r.status]), [[KEY_A, 401], [KEY_B, 200]]);
  });
  await t.step("A is fixed and B revoked: B fails, A gets its re-try and serves", async () => {
    revoked = KEY_B;
    assertComplete(await readStream(await env.send()), "claude-opus-5-5");
    assert.deepEqual(up.requests.slice(2).map((r) => [r.key, r.status]), [[KEY_B, 401], [
      KEY_A,
      200,
    ]]);
    const keys = (await env.health()).resilience.providers.p!.keys;
    assert.deepEqual(keys.map((k) => k.state), ["ready", "blocked"]);
  });
});

Deno.test("session: a set-aside key is re-tried when the other key answers 429", async (t) => {
  // Key A was revoked and is fixed upstream since; key B then meets a 429 that says no wait.
  let refuse: Record<string, number> = { [KEY_A]: 401 };
  const up = startFaultMock({
    script: (r) => {
      const code = refuse[r.key ?? ""];
      return code
        ? status(code, undefined, code === 401 ? "invalid x-api-key" : "slow down")
        : undefined;
    },
  });
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "p", { apiKeys: [KEY_A, KEY_B] })],
      routes: { default: "p/m" },
    }),
  );
  await t.step("key A refused: set aside, key B serves", async () => {
    assertComplete(await readStream(await env.send()), "claude-opus-5-5");
    assert.deepEqual(up.requests.map((r) => [r.key, r.status]), [[KEY_A, 401], [KEY_B, 200]]);
  });
  await t.step("B answers 429: A gets its re-try and serves, not a 429 to the client", async () => {
    refuse = { [KEY_B]: 429 };
    assertComplete(await readStream(await env.send()), "claude-opus-5-5");
    assert.deepEqual(up.requests.slice(2).map((r) => [r.key, r.status]), [
      [KEY_B, 429],
      [KEY_A, 200],
    ]);
    const keys = (await env.health()).resilience.providers.p!.keys;
    assert.deepEqual(keys.map((k) => k.state), ["ready", "ready"], "B cools for m only");
  });
});

/** The error events of one request streamed through ccp on `upstream` alone (frame checked). */
async function midStreamErrors(
  upstream: ProviderConfig,
  route: string,
): Promise<Array<{ type: string; message: string }>> {
  const ccp = startCcp(testConfig({ providers: [upstream], routes: { default: route } }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 50,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const events = parseSse(await res.text());
    assertErrorFrame(events);
    return events.filter((e) => e.event === "error").map((e) =>
      e.data.error as { type: string; message: string }
    );
  } finally {
    await ccp.close();
  }
}

Deno.test("session: an upstream 401 in the middle of a stream is not the client's login failing", async (t) => {
  const opening =
    'data: {"id":"c1","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}\n\n';
  await t.step("OpenAI-compatible upstream", async () => {
    const mock = startOpenAIMock({
      sse: opening + 'data: {"error":{"message":"Invalid API key","code":401}}\n\n',
    });
    try {
      const errors = await midStreamErrors(
        provider("oai", {
          type: "openai",
          baseUrl: mock.url,
          apiKeys: [KEY_A],
          authHeader: "bearer",
        }),
        "oai/m",
      );
      assert.deepEqual(errors.map((e) => e.type).filter((t) => t !== "api_error"), []);
      assert.match(errors[0]!.message, /Invalid API key/);
      assert.equal(mock.requests[0]!.headers.get("authorization"), `Bearer ${KEY_A}`);
    } finally {
      await mock.close();
    }
  });
  await t.step("Gemini upstream", async () => {
    const mock = startGeminiMock({
      sse:
        'data: {"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}]}\n\n' +
        'data: {"error":{"code":403,"message":"Permission denied on resource project","status":"PERMISSION_DENIED"}}\n\n',
    });
    try {
      const types = (await midStreamErrors(
        provider("gem", {
          type: "gemini",
          baseUrl: mock.url,
          apiKeys: [KEY_A],
          authHeader: "x-goog-api-key",
        }),
        "gem/gemini-2.5-flash",
      )).map((e) => e.type);
      assert.ok(types.length > 0 && types.every((t) => t === "api_error"), types.join());
      assert.equal(mock.requests.length, 1);
    } finally {
      await mock.close();
    }
  });
});
