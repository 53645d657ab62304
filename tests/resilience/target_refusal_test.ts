import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import { UpstreamError } from "../../src/core/errors.ts";
import { Dispatcher, type DispatchTarget } from "../../src/resilience/dispatcher.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { FakeClock } from "./fake_clock.ts";
import { type Ok, provider, scripted, type Step } from "./helpers.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import { upstreamHttpError } from "../../src/upstream/errors.ts";

function setup(script: Record<string, Step[]>) {
  const clock = new FakeClock();
  const registry = new ResilienceRegistry({ clock });
  const { calls, attempt } = scripted(script);
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => void lines.push(line) });
  const dispatcher = new Dispatcher<Ok>({ registry, attempt, clock, log });
  const run = (chain: DispatchTarget[]) =>
    clock.run(dispatcher.dispatch(chain, new AbortController().signal));
  return { calls, lines, registry, run };
}

const to = (config: ProviderConfig, model = "m"): DispatchTarget => ({ provider: config, model });
const OLLAMA_404 = { status: 404, bodyText: `{"error":"model 'm' not found"}` };

Deno.test("a 404 (model not served here) moves on to the next target, and the log says why", async () => {
  const { calls, lines, run } = setup({ a: [OLLAMA_404], b: ["ok"] });
  const got = await run([to(provider("a")), to(provider("b"))]);
  assert.deepEqual(calls, ["a/m", "b/m"]);
  assert.equal(got.target.provider.id, "b");
  got.done();
  const line = lines.find((l) => l.includes('provider "a" model "m"')) ?? "";
  assert.match(
    line,
    /answered 404: .*not found → next_target \(404: this target does not serve the model or the address; the next may\)/,
  );
});

Deno.test("a 400 that names the model unknown moves on; one about the request does not", async () => {
  const unknown = { status: 400, bodyText: '{"error":{"message":"x/y is not a valid model ID"}}' };
  const moved = setup({ a: [unknown], b: ["ok"] });
  (await moved.run([to(provider("a")), to(provider("b"))])).done();
  assert.deepEqual(moved.calls, ["a/m", "b/m"]);
  assert.ok(moved.lines.some((l) => l.includes("(the model is unknown to this target")));

  const bad = { status: 400, bodyText: '{"error":{"message":"messages: Field required"}}' };
  const kept = setup({ a: [bad], b: ["ok"] });
  await assert.rejects(
    kept.run([to(provider("a")), to(provider("b"))]),
    (error: UpstreamError) => error.status === 400,
  );
  assert.deepEqual(kept.calls, ["a/m"], "a request-shaped 400 is not sent to every target");
});

Deno.test("a route with one target answers a 404 as before: the upstream's refusal", async () => {
  const { run } = setup({ a: [OLLAMA_404] });
  await assert.rejects(run([to(provider("a"))]), (error: UpstreamError) => {
    assert.equal(error.status, 404);
    assert.equal(error.errorType, "not_found_error");
    assert.match(
      error.message,
      /^provider "a" model "m" rejected the request: upstream answered 404/,
    );
    assert.equal(error.headers["Retry-After"], undefined);
    return true;
  });
});

Deno.test("404s open no circuit breaker: a model pulled meanwhile serves the next request", async () => {
  const { calls, registry, run } = setup({ a: [OLLAMA_404, OLLAMA_404, OLLAMA_404, "ok"] });
  for (let i = 0; i < 3; i++) await assert.rejects(run([to(provider("a"))]));
  assert.equal(registry.breaker("a", "m").state, "closed");
  (await run([to(provider("a"))])).done();
  assert.equal(calls.length, 4);
});

Deno.test("a model that cannot call tools moves on, whatever the server's wording and status", async () => {
  const refusals = [
    {
      status: 400,
      bodyText: '{"error":"registry.ollama.ai/library/gemma3:4b does not support tools"}',
    },
    {
      status: 400,
      bodyText:
        '{"object":"error","message":"\\"auto\\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set","type":"BadRequestError","code":400}',
    },
    {
      status: 500,
      bodyText:
        '{"error":{"code":500,"message":"tools param requires --jinja flag","type":"server_error"}}',
    },
    { status: 400, bodyText: '{"message":"Function calling is not enabled for this model"}' },
  ];
  for (const refusal of refusals) {
    const { calls, lines, run } = setup({ a: [refusal], b: ["ok"] });
    (await run([to(provider("a")), to(provider("b"))])).done();
    assert.deepEqual(calls, ["a/m", "b/m"], refusal.bodyText);
    assert.ok(
      lines.some((l) => l.includes("(this target's model cannot call tools; the next may)")),
    );
  }
  const other = setup({
    a: [{ status: 400, bodyText: '{"error":"tools.0.name: String should match pattern"}' }],
    b: ["ok"],
  });
  await assert.rejects(other.run([to(provider("a")), to(provider("b"))]));
  assert.deepEqual(other.calls, ["a/m"], "a tool the request got wrong is its own fault");
});

/** A refusal as the HTTP transport reports it: status, body and the error it words for the client. */
function refusal(status: number, message: string) {
  const bodyText = JSON.stringify({ error: { message } });
  return {
    status,
    bodyText,
    error: upstreamHttpError({
      provider: "a",
      model: "m",
      status,
      headers: new Headers(),
      bodyText,
      keys: [],
    }),
  };
}

const TOO_LONG = refusal(
  400,
  "This model's maximum context length is 32768 tokens. However, you requested 50000 tokens.",
);

Deno.test("a prompt too long for one target moves on, and opens no breaker and cools no key", async () => {
  const { calls, lines, registry, run } = setup({ a: [TOO_LONG], b: ["ok"] });
  for (let i = 0; i < 6; i++) {
    (await run([to(provider("a", { apiKeys: ["k1"] })), to(provider("b"))])).done();
  }
  assert.deepEqual(calls.filter((c) => c.startsWith("a/")).length, 6, "a is still sent each one");
  assert.equal(registry.breaker("a", "m").state, "closed");
  assert.ok(registry.provider(provider("a", { apiKeys: ["k1"] })).keys.pick("m").ok);
  assert.ok(
    lines.some((l) =>
      l.includes("prompt is too long: 50000 tokens > 32768 maximum") &&
      l.includes("→ next_target (the prompt is too long for this target's context window")
    ),
  );
});

Deno.test("the last target's refusal as too long is Claude Code's `prompt is too long`", async () => {
  const { calls, run } = setup({ a: [TOO_LONG] });
  await assert.rejects(run([to(provider("a"))]), (error: UpstreamError) => {
    assert.equal(error.status, 400);
    assert.equal(error.errorType, "invalid_request_error");
    assert.match(error.message, /^prompt is too long: 50000 tokens > 32768 maximum/);
    return true;
  });
  assert.deepEqual(calls, ["a/m"]);
});

Deno.test("a max_tokens too large for the window is no overflow: it is answered at once", async () => {
  const output = refusal(
    400,
    "This model's maximum context length is 32768 tokens. However, you requested 36000 tokens (30000 in the messages, 6000 in the completion).",
  );
  const { calls, run } = setup({ a: [output], b: ["ok"] });
  await assert.rejects(
    run([to(provider("a")), to(provider("b"))]),
    (error: UpstreamError) =>
      /^input length and `max_tokens` exceed context limit/.test(error.message),
  );
  assert.deepEqual(calls, ["a/m"], "Claude Code lowers max_tokens and sends it again");
});

Deno.test("the attempt's log line scrubs a key the upstream echoes from the base_url's query", async () => {
  const secret = "az-query-key-0123456789";
  const echoed = {
    status: 500,
    bodyText: JSON.stringify({
      error: { message: `backend failed for https://gw.example/v1?api-key=${secret}` },
    }),
  };
  const { calls, lines, run } = setup({ a: [echoed], b: ["ok"] });
  const a = provider("a", {
    baseUrl: `https://gw.example/v1?api-key=${secret}`,
    fallbackOn: [500],
  });
  (await run([to(a), to(provider("b"))])).done();
  assert.deepEqual(calls, ["a/m", "b/m"]);
  const line = lines.find((l) => l.includes('provider "a" model "m"')) ?? "";
  assert.match(line, /answered 500: backend failed for .*\[redacted\]/);
  assert.ok(!lines.some((l) => l.includes(secret)), "the base_url's key reached the log");
});
