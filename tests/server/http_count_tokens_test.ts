/** POST /v1/messages/count_tokens: forwarded to an Anthropic upstream, counted locally when it cannot be. */

import assert from "node:assert/strict";
import { auth, withCcp } from "./_http_surface_env.ts";
import { configFromSources } from "../helpers/config.ts";
import { rawPost, startCcp } from "../helpers/ccp.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { assertComplete, at, FAST, readStream, setup, status } from "./_resilience_env.ts";
import { provider } from "../helpers/config.ts";

/** POSTs a one-message count_tokens request and checks ccp answered it with its local count. */
async function assertCountedLocally(url: string): Promise<void> {
  const count = await fetch(`${url}/v1/messages/count_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] }),
  });
  assert.deepEqual(await count.json(), { input_tokens: 7 }, "counted locally");
}

Deno.test("count_tokens: forwarded to an Anthropic upstream, local when it cannot", async (t) => {
  await t.step("upstream answers", async () => {
    await withCcp([{ kind: "json", body: { input_tokens: 4242 } }], async (ccp, mock) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens?beta=true`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      assert.deepEqual(await res.json(), { input_tokens: 4242 });
      assert.equal(mock.requests[0]!.path, "/v1/messages/count_tokens");
      assert.equal(mock.requests[0]!.body!.model, "son");
    });
  });
  await t.step("upstream fails → local count", async () => {
    await withCcp(
      [{ kind: "json", status: 404, body: { error: { message: "no" } } }],
      async (ccp) => {
        const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        });
        assert.deepEqual(await res.json(), { input_tokens: 7 });
      },
    );
  });
  await t.step("a failing count endpoint leaves the Messages breaker closed", async () => {
    // Many Anthropic-compatible servers have no working count_tokens: each failure is answered
    // with the local count, and must not open the breaker that steers Messages away.
    const broken = { kind: "json" as const, status: 500, body: { error: { message: "none" } } };
    await withCcp([broken, broken, broken, broken, broken, broken, broken, broken], async (ccp) => {
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "haiku", messages: [{ role: "user", content: "hi" }] }),
        });
        assert.deepEqual(await res.json(), { input_tokens: 7 });
      }
      const health = await (await fetch(`${ccp.url}/health`, { headers: auth })).json();
      const breaker = health.resilience.targets["alt/h1"] ?? { state: "closed", failures: 0 };
      assert.deepEqual([breaker.state, breaker.failures], ["closed", 0]);
    });
  });
  await t.step("provider without count_tokens → local, no upstream call", async () => {
    await withCcp([{ kind: "hang" }], async (ccp, mock) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.deepEqual(await res.json(), { input_tokens: 7 });
      assert.equal(mock.requests.length, 0);
    }, { countTokens: false });
  });
  await t.step("validation: messages required, max_tokens not", async () => {
    await withCcp([{ kind: "hang" }], async (ccp) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "m" }),
      });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error.message, /^messages: Field required$/);
    });
  });
});

Deno.test("count_tokens: a target that takes the client's model name counts with that name", async () => {
  // PREFERRED_PROVIDER=anthropic (LiteLLM style) routes every tier to `anthropic/<client model>`.
  const mock = startAnthropicMock([{ kind: "json", body: { input_tokens: 11 } }, {
    kind: "json",
    body: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "x",
      content: [],
      stop_reason: "end_turn",
      usage: { input_tokens: 11, output_tokens: 1 },
    },
  }]);
  const env = configFromSources({
    flags: {},
    env: { PREFERRED_PROVIDER: "anthropic", ANTHROPIC_API_KEY: "sk-ant-1234567890" },
  });
  const ccp = startCcp({
    ...env,
    providers: { anthropic: { ...env.providers.anthropic!, baseUrl: mock.url } },
  });
  const request = JSON.stringify({
    model: "claude-haiku-4-5-20251001",
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }],
  });
  try {
    for (const path of ["/v1/messages/count_tokens", "/v1/messages"]) {
      const res = await fetch(`${ccp.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: request,
      });
      assert.equal(res.status, 200, await res.text());
    }
    assert.deepEqual(mock.requests.map((r) => [r.path, r.body!.model]), [
      ["/v1/messages/count_tokens", "claude-haiku-4-5-20251001"],
      ["/v1/messages", "claude-haiku-4-5-20251001"],
    ]);
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("count_tokens: a 429 from the count endpoint does not cool the key for Messages", async () => {
  // Anthropic limits token counting apart from Messages: its 429 says nothing of the key's
  // Messages limit, so the next request still goes to the first target of its route.
  const up = startFaultMock({
    script: (request) => request.path.endsWith("/count_tokens") ? status(429, 30) : undefined,
  });
  const next = startFaultMock();
  await using env = setup(
    [up, next],
    testConfig({
      providers: [
        at(up, "a", { apiKeys: ["sk-a-000000000001"], countTokens: true }),
        at(next, "b"),
      ],
      routes: { default: ["a/m", "b/m"] },
    }),
  );
  await assertCountedLocally(env.ccp.url);
  const res = await env.send();
  assert.equal(res.headers.get("x-ccp-provider"), "a");
  assertComplete(await readStream(res), "claude-opus-5-5");
  assert.equal(next.requests.length, 0);
});

Deno.test("count_tokens: an upstream whose count endpoint fails is not paused for Messages", async () => {
  // A server whose count endpoint breaks (or is missing behind a 5xx) while its Messages work:
  // the counts fall back to local ones, and the Messages requests still reach it.
  const up = startFaultMock({
    script: (request) => request.path.endsWith("/count_tokens") ? status(500) : undefined,
  });
  const next = startFaultMock();
  await using env = setup(
    [up, next],
    testConfig({
      providers: [at(up, "a", { countTokens: true, maxRetries: 0 }), at(next, "b")],
      routes: { default: ["a/m", "b/m"] },
    }),
  );
  for (let i = 0; i < 3; i++) {
    await assertCountedLocally(env.ccp.url);
  }
  const res = await env.send();
  assert.equal(res.headers.get("x-ccp-provider"), "a");
  assertComplete(await readStream(res), "claude-opus-5-5");
  assert.equal(next.requests.length, 0);
});

Deno.test("count_tokens: a 5xx or a lost connection is answered with the local count at once", async (t) => {
  // The local count is a good answer: re-trying a failing count endpoint (up to max_retries, with
  // backoff) or counting at the next target would only make the client wait for it.
  await t.step("a 5xx: one request, no re-try, no failover", async () => {
    const up = startFaultMock({
      script: (request) => request.path.endsWith("/count_tokens") ? status(500) : undefined,
    });
    const next = startFaultMock();
    await using env = setup(
      [up, next],
      testConfig({
        providers: [
          // A 5xx left out of fallback_on (as 520–524 are by default) is re-tried for Messages.
          at(up, "a", { countTokens: true, maxRetries: 3, fallbackOn: [429] }),
          at(next, "b", { countTokens: true }),
        ],
        routes: { default: ["a/m", "b/m"] },
      }),
    );
    await assertCountedLocally(env.ccp.url);
    assert.deepEqual(up.requests.map((r) => r.path), ["/v1/messages/count_tokens"]);
    assert.equal(next.requests.length, 0);
  });
  await t.step("connection dropped before an answer: one try, then local", async () => {
    // A server that closes each connection once it has read the request (a crash, a proxy cut).
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    let connections = 0;
    const serving = (async () => {
      for await (const conn of listener) {
        connections++;
        await conn.read(new Uint8Array(65536)).catch(() => null);
        conn.close();
      }
    })();
    const next = startFaultMock();
    await using env = setup(
      [next],
      testConfig({
        providers: [
          provider("a", {
            baseUrl: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
            timeouts: FAST,
            countTokens: true,
            maxRetries: 3,
          }),
          at(next, "b", { countTokens: true }),
        ],
        routes: { default: ["a/m", "b/m"] },
      }),
    );
    await using _stop = {
      [Symbol.asyncDispose]: async () => {
        listener.close();
        await serving.catch(() => {});
      },
    };
    await assertCountedLocally(env.ccp.url);
    // One attempt: Deno's fetch itself may open a second connection for a request whose
    // connection closed unanswered; each re-try of ccp's would add one or two more.
    assert.ok(connections <= 2, `${connections} connections`);
    assert.equal(next.requests.length, 0);
  });
});

Deno.test("count_tokens: a Messages cool-down the upstream announced is not waited out", async () => {
  // Messages wait out an announced wait of a few seconds; a count has its local answer at once.
  const up = startFaultMock({
    script: (request) => request.path.endsWith("/count_tokens") ? undefined : status(429, 3),
  });
  const next = startFaultMock();
  await using env = setup(
    [up, next],
    testConfig({
      providers: [
        at(up, "a", { apiKeys: ["sk-a-000000000001"], countTokens: true }),
        at(next, "b"),
      ],
      routes: { default: ["a/m", "b/m"] },
    }),
  );
  // The 429 cools a's only key for 3 s; the next target answers.
  const res = await env.send();
  assert.equal(res.headers.get("x-ccp-provider"), "b");
  assertComplete(await readStream(res), "claude-opus-5-5");
  const started = performance.now();
  await assertCountedLocally(env.ccp.url);
  const took = performance.now() - started;
  assert.ok(took < 1000, `the count took ${Math.round(took)} ms`);
  assert.deepEqual(up.requests.map((r) => r.path), ["/v1/messages"]);
});

Deno.test("count_tokens: a count that answers does not end a Messages cool-down", async () => {
  // The count endpoint's limits are not Messages': its answer, sent with a key cooling down for
  // the model, shows the key is accepted, not that Messages are let through again. Ending the
  // cool-down (and its growth) would send the next Messages request into the same 429 sooner.
  const limited = {
    kind: "json" as const,
    status: 429,
    body: { type: "error", error: { type: "rate_limit_error", message: "slow down" } },
  };
  const mock = startAnthropicMock([limited, limited, {
    kind: "json",
    body: { input_tokens: 4242 },
  }]);
  await using env = setup(
    [],
    testConfig({
      providers: [
        provider("a", {
          baseUrl: mock.url,
          timeouts: FAST,
          apiKeys: ["sk-a-000000000001"],
          countTokens: true,
        }),
      ],
      routes: { default: ["a/m"] },
    }),
  );
  await using _mock = { [Symbol.asyncDispose]: () => mock.close() };
  // Two 429s without a wait: the key cools down for m, 1 s and then 2 s (ccp's own guess).
  for (let i = 0; i < 2; i++) {
    const res = await env.send();
    assert.equal(res.status, 429);
    await res.body?.cancel();
  }
  const cooling = async () =>
    (await env.health()).resilience.providers.a!.keys[0]!.models?.m as { until: number };
  const before = await cooling();
  assert.ok(before, "the key cools down for m");
  const count = await fetch(`${env.ccp.url}/v1/messages/count_tokens`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-opus-5-5", messages: [{ role: "user", content: "hi" }] }),
  });
  assert.deepEqual(await count.json(), { input_tokens: 4242 }, "counted upstream");
  assert.deepEqual(await cooling(), before, "the cool-down for m is still there");
});

Deno.test({
  name: "count_tokens: a client that hangs up while the upstream counts cancels the count at once",
  // Deno's server does not signal such a departure itself; on Linux ccp reads it from `ss`.
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const up = startFaultMock({ replies: [{ kind: "hang" }] });
    const ccp = startCcp(testConfig({
      providers: [provider("up", { baseUrl: up.url, countTokens: true, maxRetries: 0 })],
      routes: { default: "up/m" },
    }));
    try {
      const conn = await rawPost(
        ccp.url,
        "/v1/messages/count_tokens",
        { "content-type": "application/json" },
        // Past a few hundred bytes Deno's server says nothing of a client that hangs up.
        JSON.stringify({
          model: "claude-opus-5-5",
          messages: [{ role: "user", content: "count these words ".repeat(100) }],
        }),
      );
      while (up.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      const hungUpAt = performance.now();
      conn.close();
      while (!up.requests[0]!.aborted && performance.now() - hungUpAt < 3000) {
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.ok(up.requests[0]!.aborted, "the upstream count was cancelled");
      assert.ok(up.requests[0]!.endedAt! - hungUpAt < 1000, "within 1 s");
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(ccp.logs.some((l) => l.includes(" 499 client disconnected")), ccp.logs.join(""));
      assert.ok(!ccp.logs.some((l) => l.includes("Unhandled")), ccp.logs.join(""));
    } finally {
      await ccp.close();
      await up.close();
    }
  },
});
