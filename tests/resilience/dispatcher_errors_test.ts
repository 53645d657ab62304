import assert from "node:assert/strict";
import { ProxyError, UpstreamError } from "../../src/core/errors.ts";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { UpstreamTimeoutError } from "../../src/resilience/timeout_error.ts";
import { FakeClock } from "./fake_clock.ts";
import { h, type Ok, provider, scripted, type Step } from "./helpers.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import type { SharedGuards } from "../../src/resilience/shared_sync.ts";

const K1 = "sk-live-aaaaaaaaaaaa1111";
const K2 = "sk-live-bbbbbbbbbbbb2222";
const K3 = "gsk_cccccccccccccccc3333";

function setup(script: Record<string, Step[]>) {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted(script);
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, backoff: { random: () => 0 } });
  const run = (chain: DispatchTarget[]) =>
    clock.run(dispatcher.dispatch(chain, new AbortController().signal));
  return { clock, calls, run };
}

const to = (config: ProviderConfig, model: string): DispatchTarget => ({ provider: config, model });

/** Runs the chain, expecting it to fail, and returns the UpstreamError. */
async function failure(run: () => Promise<unknown>): Promise<UpstreamError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof UpstreamError, String(error));
    for (const key of [K1, K2, K3]) {
      assert.ok(!JSON.stringify(error.toAnthropicError()).includes(key), "a key leaked");
      assert.ok(!error.message.includes(key.slice(0, 12)), "a key prefix leaked");
    }
    return error;
  }
  throw new Error("expected the dispatch to fail");
}

Deno.test("model_cooldown: every key of every target cooling after 429", async (t) => {
  const groq = provider("groq", { apiKeys: [K1, K2] });
  const nim = provider("nim", { apiKeys: [K3] });
  const { run, calls } = setup({
    groq: [
      { status: 429, headers: h({ "retry-after": "30" }) },
      { status: 429, headers: h({ "retry-after": "12" }) },
    ],
    nim: [{ status: 429, headers: h({ "retry-after": "20" }) }],
  });
  const error = await failure(() => run([to(groq, "llama-3.3-70b"), to(nim, "z-ai/glm4.7")]));
  await t.step("every key was tried once", () => {
    assert.deepEqual(calls, [
      `groq/llama-3.3-70b ${K1}`,
      `groq/llama-3.3-70b ${K2}`,
      `nim/z-ai/glm4.7 ${K3}`,
    ]);
  });
  await t.step("status 429 with Retry-After of the earliest key", () => {
    assert.equal(error.status, 429);
    assert.deepEqual(error.headers, { "Retry-After": "12" });
  });
  await t.step("the exact Anthropic error body", () => {
    assert.deepEqual(error.toAnthropicError(), {
      type: "error",
      error: {
        type: "rate_limit_error",
        message: "All credentials are cooling down after rate limits (429): " +
          'provider "groq" model "llama-3.3-70b": 2 keys cooling down after 429 (usable again in 12s; ' +
          'last: upstream answered 429); provider "nim" model "z-ai/glm4.7": 1 key cooling down ' +
          "after 429 (usable again in 20s; last: upstream answered 429). " +
          "Retry in 12s.",
        code: "model_cooldown",
        retry_after: 12,
      },
    });
  });
});

Deno.test("auth_unavailable: every credential blocked by 401/403", async (t) => {
  const nim = provider("nim", { apiKeys: [K1, K2] });
  const { run, calls, clock } = setup({
    nim: [{ status: 401 }, { status: 403 }, "ok"],
  });
  const error = await failure(() => run([to(nim, "z-ai/glm4.7")]));
  await t.step("each key was tried once (keys refused in this request are not asked again)", () => {
    assert.deepEqual(calls, [`nim/z-ai/glm4.7 ${K1}`, `nim/z-ai/glm4.7 ${K2}`]);
  });
  await t.step("status 503, never 401 or 403", () => {
    assert.equal(error.status, 503);
    assert.deepEqual(error.headers, { "Retry-After": "1800" });
  });
  await t.step("the exact body: code auth_unavailable, blocked count, recent statuses", () => {
    assert.deepEqual(error.toAnthropicError(), {
      type: "error",
      error: {
        type: "api_error",
        message: 'No usable credentials: provider "nim" model "z-ai/glm4.7": ' +
          "2 keys refused with 403, 401 (tried again in 1800s; last: upstream answered " +
          "403). Fix the key (`ccp check` " +
          "shows the last 4 characters of each), then save the config or its .env (ccp reloads it), " +
          "or send ccp SIGHUP or restart it.",
        code: "auth_unavailable",
        blocked: 2,
        recent_statuses: [403, 401],
      },
    });
  });
  await t.step("a set-aside key that comes back serves the next request", async () => {
    await clock.advance(60_000);
    const got = await run([to(nim, "z-ai/glm4.7")]);
    got.done();
    assert.equal(got.keyLabel, "key 1 (…1111)");
    assert.deepEqual(calls.slice(2), [`nim/z-ai/glm4.7 ${K1}`], "the re-try found it working");
  });
});

Deno.test("auth_unavailable: keys refused only for payment (402) say to add credits", async () => {
  const { run } = setup({
    or: [{
      status: 402,
      bodyText: JSON.stringify({
        error: { code: 402, message: "This request requires more credits, or fewer max_tokens." },
      }),
    }],
  });
  const error = await failure(() => run([to(provider("or", { apiKeys: [K1] }), "m")]));
  assert.equal(error.status, 503);
  assert.match(error.message, /1 key refused with 402 .*\. Add credits to the account behind/);
  assert.doesNotMatch(error.message, /Fix the key/);
});

const QUOTA_SPENT = JSON.stringify({
  error: {
    message: "You exceeded your current quota, please check your plan and billing details.",
    type: "insufficient_quota",
    code: "insufficient_quota",
  },
});

Deno.test("a 429 saying the credits are spent sets the key aside and fails over", async (t) => {
  const openai = provider("openai", { apiKeys: [K1] });
  const groq = provider("groq", { apiKeys: [K3] });
  const { run, calls, clock } = setup({ openai: [{ status: 429, bodyText: QUOTA_SPENT }] });
  await t.step("the next target serves the same request, with no wait in between", async () => {
    const got = await run([to(openai, "gpt-4.1"), to(groq, "llama")]);
    got.done();
    assert.deepEqual(calls, [`openai/gpt-4.1 ${K1}`, `groq/llama ${K3}`]);
  });
  await t.step("minutes later the spent key is still not asked first", async () => {
    await clock.advance(5 * 60_000);
    const got = await run([to(openai, "gpt-4.1"), to(groq, "llama")]);
    got.done();
    assert.deepEqual(calls.slice(2), [`groq/llama ${K3}`]);
  });
  await t.step(
    "alone, it is a 503 that says to add credits, not to retry in a second",
    async () => {
      const only = provider("solo", { apiKeys: [K2] });
      const alone = setup({ solo: [{ status: 429, bodyText: QUOTA_SPENT }] });
      const error = await failure(() => alone.run([to(only, "gpt-4.1")]));
      assert.equal(error.status, 503);
      assert.equal(error.headers["Retry-After"], "1800");
      assert.match(
        error.message,
        /1 key refused with 429 .*You exceeded your current quota.*\. Add credits to the account behind the key or raise its spending limit \(429: quota spent\)/,
      );
    },
  );
});

Deno.test("an upstream 401 never reaches the client as 401", async (t) => {
  await t.step("keyless provider", async () => {
    const { run } = setup({ local: [{ status: 401, bodyText: '{"error":"unauthorized"}' }] });
    const error = await failure(() => run([to(provider("local"), "qwen")]));
    assert.equal(error.status, 503);
    assert.equal(error.extra.code, "auth_unavailable");
  });
  await t.step("403 on one target, 500 on the next: the 500 is reported", async () => {
    const { run } = setup({ a: [{ status: 403 }], b: [{ status: 500 }] });
    const error = await failure(() =>
      run([to(provider("a", { apiKeys: [K1] }), "m"), to(provider("b"), "m")])
    );
    assert.equal(error.status, 502);
  });
  await t.step(
    "with auth: passthrough the client's refused credentials are a gateway error, not its login",
    async () => {
      const { run } = setup({
        a: [{ status: 401, bodyText: '{"error":{"message":"invalid x-api-key"}}' }],
      });
      const error = await failure(() =>
        run([to(provider("a", { type: "anthropic", auth: "passthrough" }), "m")])
      );
      assert.equal(error.status, 502);
      assert.equal(error.errorType, "api_error");
      assert.match(error.message, /invalid x-api-key/);
    },
  );
});

Deno.test("a hosted preset without its key is sent nothing and told what to set, not to wait", async (t) => {
  const hosted = "https://integrate.api.nvidia.com/v1";
  const nim = provider("nvidia_nim", { preset: "nvidia_nim", baseUrl: hosted });
  const { run, calls } = setup({ nvidia_nim: [{ status: 401 }, { status: 401 }] });
  const error = await failure(() => run([to(nim, "moonshotai/kimi-k2.5")]));
  await t.step("no request went upstream: only a 401 would have come back", () => {
    assert.deepEqual(calls, []);
  });
  await t.step("SPEC's 503 auth_unavailable, which no retry soon changes", () => {
    assert.equal(error.status, 503);
    assert.equal(error.errorType, "api_error");
    assert.equal(error.extra.code, "auth_unavailable");
    assert.deepEqual(error.extra.recent_statuses, []);
    assert.equal(error.headers["x-should-retry"], "false");
    assert.ok(error.headers["Retry-After"] !== undefined);
  });
  await t.step("names the variable ccp check names, and says nothing of waiting", () => {
    assert.equal(
      error.message,
      'No usable credentials: provider "nvidia_nim" model "moonshotai/kimi-k2.5": no API key ' +
        "is set for it, so nothing was sent (set NVIDIA_NIM_API_KEY). Set the key each one " +
        "names, then save the config or its .env (ccp reloads it), or send ccp SIGHUP or " +
        "restart it.",
    );
    assert.doesNotMatch(error.message, /usable again|again in|\d+s\b/);
  });
  await t.step("a fallback serves; the passed target is named without a wait", async () => {
    const { run, calls } = setup({ b: ["ok"] });
    const got = await run([to(nim, "m"), to(provider("b", { apiKeys: [K1] }), "m")]);
    got.done();
    assert.deepEqual(calls, [`b/m ${K1}`]);
    assert.deepEqual(got.passed, [
      "nvidia_nim/m (not sent: no API key is set for it (set NVIDIA_NIM_API_KEY))",
    ]);
    assert.deepEqual(got.passedNote, { target: "nvidia_nim/m", why: "no API key" });
  });
  await t.step(
    "at a base URL of the user's own (a gateway adding the key) it is sent",
    async () => {
      const { run, calls } = setup({ nvidia_nim: ["ok"] });
      const gateway = provider("nvidia_nim", { preset: "nvidia_nim" });
      (await run([to(gateway, "m")])).done();
      assert.deepEqual(calls, ["nvidia_nim/m"]);
    },
  );
});

Deno.test("a provider without a key that answered 401 says so, and nothing of waiting", async () => {
  // No preset: it may need no key (a local server), so it is sent the request.
  const { run, calls } = setup({ local: [{ status: 401, bodyText: '{"error":"unauthorized"}' }] });
  const error = await failure(() => run([to(provider("local"), "qwen")]));
  assert.deepEqual(calls, ["local/qwen"]);
  assert.equal(error.status, 503);
  assert.match(error.message, /no API key is set for it and it answered 401 \(last: /);
  assert.doesNotMatch(error.message, /usable again|tried again/);
  assert.equal(error.headers["x-should-retry"], "false");
});

Deno.test("the last upstream failure as an Anthropic error", async (t) => {
  const refused = new TypeError("fetch failed", {
    cause: new Error(
      "client error (Connect): tcp connect error: Connection refused (os error 111)",
    ),
  });
  const rows: {
    name: string;
    step: Step;
    status: number;
    type: string;
    message: RegExp;
    retryAfter?: string;
    ownWords?: boolean;
  }[] = [
    {
      name: "529",
      step: { status: 529 },
      status: 529,
      type: "overloaded_error",
      message: /answered 529/,
      // Tried twice (one retry in place): the client is asked to wait for the next try.
      retryAfter: "2",
    },
    {
      name: "503 keeps its status",
      step: { status: 503 },
      status: 503,
      type: "api_error",
      message: /answered 503/,
      // Tried twice (one retry in place): the client is asked to wait for the next try.
      retryAfter: "2",
    },
    {
      name: "504 keeps its status",
      step: { status: 504 },
      status: 504,
      type: "api_error",
      message: /answered 504/,
      // Tried twice (one retry in place): the client is asked to wait for the next try.
      retryAfter: "2",
    },
    {
      name: "500 becomes 502",
      step: { status: 500 },
      status: 502,
      type: "api_error",
      message: /answered 500/,
      // Tried twice (one retry in place): the client is asked to wait for the next try.
      retryAfter: "2",
    },
    {
      name: "503 with Retry-After passes the hint on",
      step: { status: 503, headers: h({ "retry-after": "90" }) },
      status: 503,
      type: "api_error",
      message: /answered 503/,
      retryAfter: "90",
    },
    {
      // Out of capacity, as Anthropic's 529 says: Claude Code moves to its --fallback-model on
      // that, where a 429 would be retried as the user's own rate limit.
      name: "429 'overloaded' after retries becomes 529",
      step: { status: 429, bodyText: "model overloaded, try again later" },
      status: 529,
      type: "overloaded_error",
      message: /answered 429: model overloaded/,
      retryAfter: "2",
    },
    {
      name: "connection refused becomes 502",
      step: { error: refused },
      status: 502,
      type: "api_error",
      message: /failed: .*Connection refused/,
    },
    {
      name: "a first-byte timeout becomes 504",
      step: { error: new UpstreamTimeoutError("first_byte", 600_000, "p") },
      status: 504,
      type: "api_error",
      message: /no response from provider "p" within 600s \(first_byte timeout\)/,
    },
    {
      name: "404 passes through",
      step: { status: 404, bodyText: '{"error":{"message":"model not found"}}' },
      status: 404,
      type: "not_found_error",
      message: /rejected the request: upstream answered 404: model not found/,
    },
    {
      name: "422 becomes 400",
      step: { status: 422, bodyText: '{"detail":[{"msg":"field required"}]}' },
      status: 400,
      type: "invalid_request_error",
      message: /422: field required/,
    },
    {
      name: "a transport's own UpstreamError keeps its status and words",
      step: {
        error: new UpstreamError("api_error", 'Provider "p" uses gemini, not built in', {
          status: 501,
        }),
      },
      status: 501,
      type: "api_error",
      message: /^Provider "p" uses gemini, not built in$/,
      ownWords: true,
    },
  ];
  for (const row of rows) {
    await t.step(row.name, async () => {
      const { run } = setup({ p: [row.step] });
      const error = await failure(() => run([to(provider("p", { maxRetries: 1 }), "m1")]));
      assert.equal(error.status, row.status);
      assert.equal(error.errorType, row.type);
      assert.match(error.message, row.message);
      if (!row.ownWords) assert.match(error.message, /^provider "p" model "m1"/);
      assert.equal(error.headers["Retry-After"], row.retryAfter);
    });
  }
});

Deno.test("keys echoed by an upstream never reach the client", async () => {
  const a = provider("a", { apiKeys: [K1] });
  const { run } = setup({
    a: [{
      status: 400,
      bodyText: JSON.stringify({ error: { message: `Incorrect API key provided: ${K1}` } }),
    }],
  });
  const error = await failure(() => run([to(a, "m")]));
  assert.match(error.message, /Incorrect API key provided: \[redacted\]/);
});

Deno.test("every target paused by its breaker: the one that resumes first is probed", async (t) => {
  const refused = new TypeError("fetch failed", {
    cause: new Error("client error (Connect): refused"),
  });
  const { run, calls, clock } = setup({
    a: [{ error: refused }, { error: refused }, { error: refused }, { error: refused }, "ok"],
    b: [{ error: refused }],
  });
  const chain = [to(provider("a"), "m"), to(provider("b"), "m")];
  for (let i = 0; i < 3; i++) await failure(() => run(chain));
  assert.equal(calls.length, 6);
  await t.step("still down: the probe's own failure is the answer, b is not called", async () => {
    const error = await failure(() => run(chain));
    assert.equal(error.status, 502);
    assert.match(error.message, /provider "a" model "m".*refused/);
    assert.deepEqual(calls.slice(6), ["a/m"]);
  });
  await t.step("back up: the probe answers and closes the circuit", async () => {
    await clock.advance(1000);
    const got = await run(chain);
    assert.equal(got.target.provider.id, "a");
    got.done();
    assert.deepEqual(calls.slice(7), ["a/m"]);
  });
});

Deno.test("an empty route is a 503, not a crash", async () => {
  const { run } = setup({});
  const error = await failure(() => run([]));
  assert.equal(error.status, 503);
});

Deno.test("a shared rate window still full after waiting: 429 with Retry-After until it frees", async () => {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted({});
  // Another instance holds the window's one place: the first answer says 50 s, the next 60 s.
  const waits = [50_000, 60_000];
  const shared: SharedGuards = {
    sync: () => Promise.resolve({ waitMs: waits.shift() ?? 60_000 }),
    release: () => {},
    cooling: () => {},
    setAside: () => {},
    circuit: () => {},
    cleared: () => {},
  };
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, shared });
  const limited = provider("free", { rateLimit: { requests: 1, windowMs: 60_000 } });
  const error = await failure(() =>
    clock.run(dispatcher.dispatch([to(limited, "m")], new AbortController().signal))
  );
  assert.deepEqual(calls, []);
  assert.equal(error.status, 429);
  assert.equal(error.errorType, "rate_limit_error");
  assert.equal(error.headers["Retry-After"], "60");
});

Deno.test("a fallback that rejects the request says what the targets before it did, as any last failure does", async () => {
  const groq = provider("groq", { apiKeys: [K1] });
  const nim = provider("nim", { apiKeys: [K3] });
  const { run } = setup({
    groq: [{ status: 429, headers: h({ "retry-after": "30" }) }],
    nim: [{ status: 400 }],
  });
  const error = await failure(() => run([to(groq, "llama-3.3-70b"), to(nim, "z-ai/glm4.7")]));
  assert.equal(error.status, 400);
  assert.match(error.message, /^provider "nim" model "z-ai\/glm4\.7" rejected the request: /);
  assert.match(
    error.message,
    / Tried before it: provider "groq" model "llama-3\.3-70b" \(429, usable again in 30s\)\.$/,
  );
});

Deno.test("a fallback's output overflow keeps Anthropic's words whole after the targets before it", async () => {
  const words = "input length and `max_tokens` exceed context limit: 60000 + 32000 > 64000, " +
    "decrease input length or `max_tokens` and try again";
  const groq = provider("groq", { apiKeys: [K1] });
  const nim = provider("nim", { apiKeys: [K3] });
  const { run } = setup({
    groq: [{ status: 429, headers: h({ "retry-after": "30" }) }],
    nim: [{ status: 400, error: new ProxyError("invalid_request_error", words) }],
  });
  const error = await failure(() => run([to(groq, "llama-3.3-70b"), to(nim, "z-ai/glm4.7")]));
  assert.equal(error.status, 400);
  assert.equal(error.message, words);
});
