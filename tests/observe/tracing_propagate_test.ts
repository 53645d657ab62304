/**
 * The trace carried on to the upstream: each attempt sends a `traceparent` naming its own span
 * (the one exported), the caller's `tracestate` with it, on the passthrough and the translated
 * paths and across a failover; nothing while tracing is off.
 */

import assert from "node:assert/strict";
import { anthropicErrorBody, textMessage } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { type Collector, type Span, startCollector } from "../mocks/otlp_collector.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER = `00-${CALLER_TRACE}-00f067aa0ba902b7-01`;
const STATE = "vendor=abc,other=1";

const ask = (model: string) => ({
  model,
  max_tokens: 10,
  messages: [{ role: "user", content: "hello" }],
});

const chat = {
  id: "c",
  object: "chat.completion",
  created: 1,
  model: "gpt",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

/** Runs `body` against ccp with `tracing` (or none), then stops it, flushing the spans. */
async function withCcp(
  tracing: (collector: Collector) => string,
  body: (url: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "ccp_otlp_prop_" });
  const good = startAnthropicMock([{
    kind: "json",
    body: textMessage("main", { input_tokens: 4, output_tokens: 1 }),
  }]);
  const bad = startAnthropicMock([{
    kind: "json",
    status: 503,
    body: anthropicErrorBody("overloaded_error", "busy"),
  }]);
  const openai = startOpenAIMock({ json: chat });
  const collector = startCollector();
  const ctx = testContext(dir);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
providers:
  good: { type: anthropic, base_url: "${good.url}", api_key: sk-good-0123456789abcdef }
  bad: { type: anthropic, base_url: "${bad.url}", api_key: sk-bad-0123456789abcdef, max_retries: 0 }
  o: { type: openai, base_url: "${openai.url}", api_key: sk-o-0123456789abcdef }
routes:
  default: good/main
  opus: [bad/big, good/main]
  haiku: o/gpt
${tracing(collector)}`,
    );
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      await body(server.url);
    } finally {
      await server.stop();
      await server.finished;
    }
    return { good, bad, openai, collector };
  } finally {
    await Promise.all([good.close(), bad.close(), openai.close(), collector.close()]);
    await Deno.remove(dir, { recursive: true });
  }
}

const parts = (header: string | null) => {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(header ?? "");
  assert.ok(match, `a W3C traceparent: ${header}`);
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
};

Deno.test("tracing: each attempt's upstream is sent its span as traceparent, with the caller's tracestate", async () => {
  const { good, bad, openai, collector } = await withCcp(
    (c) => `tracing: { endpoint: ${c.url} }\n`,
    async (url) => {
      const headers = { traceparent: CALLER, tracestate: STATE };
      for (const model of ["claude-sonnet-4-5", "claude-opus-4-5", "claude-haiku-4-5"]) {
        const res = await postMessages(url, ask(model), headers);
        assert.equal(res.status, 200);
        await res.body?.cancel();
      }
      // No parent: a new trace, and a tracestate alone belongs to none.
      const res = await postMessages(url, ask("claude-sonnet-4-5"), { tracestate: STATE });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    },
  );
  assert.deepEqual(collector.problems, []);
  const spans = collector.spans();
  const attemptWith = (spanId: string): Span => {
    const found = spans.find((s) => s.spanId === spanId);
    assert.ok(found, `an exported span ${spanId}`);
    assert.equal(found.kind, 3, "the attempt's client span");
    return found;
  };
  // Passthrough, failover (both targets) and translated: the caller's trace, each its own span.
  const sent = [
    good.requests[0]!.headers,
    bad.requests[0]!.headers,
    good.requests[1]!.headers,
    openai.requests[0]!.headers,
  ];
  const ids = new Set<string>();
  for (const headers of sent) {
    const p = parts(headers.get("traceparent"));
    assert.equal(p.traceId, CALLER_TRACE);
    assert.equal(p.flags, "01");
    assert.equal(headers.get("tracestate"), STATE);
    assert.equal(attemptWith(p.spanId).traceId, CALLER_TRACE);
    ids.add(p.spanId);
  }
  assert.equal(ids.size, 4, "each attempt names its own span");
  // The failover's two attempts are children of one server span.
  const failover = [parts(sent[1]!.get("traceparent")), parts(sent[2]!.get("traceparent"))]
    .map((p) => attemptWith(p.spanId));
  assert.equal(failover[0]!.parentSpanId, failover[1]!.parentSpanId);

  const fresh = good.requests[2]!.headers;
  const p = parts(fresh.get("traceparent"));
  assert.notEqual(p.traceId, CALLER_TRACE);
  assert.equal(attemptWith(p.spanId).traceId, p.traceId, "the exported trace is the one sent");
  assert.equal(fresh.get("tracestate"), null);
});

Deno.test("tracing: off, no upstream is sent a trace context (the caller's stays behind)", async () => {
  const { good, openai } = await withCcp(() => "", async (url) => {
    for (const model of ["claude-sonnet-4-5", "claude-haiku-4-5"]) {
      const res = await postMessages(url, ask(model), { traceparent: CALLER, tracestate: STATE });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    }
  });
  for (const headers of [good.requests[0]!.headers, openai.requests[0]!.headers]) {
    assert.equal(headers.get("traceparent"), null);
    assert.equal(headers.get("tracestate"), null);
  }
});

Deno.test("tracing: a retry of the same target is sent a new span; a provider's own traceparent wins; none reaches the client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_otlp_prop_" });
  const flaky = startAnthropicMock([
    { kind: "json", status: 503, body: anthropicErrorBody("overloaded_error", "busy") },
    { kind: "json", body: textMessage("main", { input_tokens: 4, output_tokens: 1 }) },
  ]);
  const pinned = startAnthropicMock([{
    kind: "json",
    body: textMessage("main", { input_tokens: 4, output_tokens: 1 }),
  }]);
  const collector = startCollector();
  const own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const ctx = testContext(dir);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
providers:
  flaky:
    type: anthropic
    base_url: "${flaky.url}"
    api_key: sk-flaky-0123456789abcdef
    max_retries: 1
    fallback_on: []
    retry_delay: { base: 1ms, max: 1ms }
  pinned:
    type: anthropic
    base_url: "${pinned.url}"
    api_key: sk-pinned-0123456789abcdef
    headers: { TraceParent: "${own}", tracestate: "mine=1" }
routes:
  default: flaky/main
  haiku: pinned/main
tracing: { endpoint: ${collector.url} }
`,
    );
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      for (const model of ["claude-sonnet-4-5", "claude-haiku-4-5"]) {
        const res = await postMessages(server.url, ask(model), {
          traceparent: CALLER,
          tracestate: STATE,
        });
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(res.headers.get("traceparent"), null);
        assert.equal(res.headers.get("tracestate"), null);
        await res.body?.cancel();
      }
    } finally {
      await server.stop();
      await server.finished;
    }
    assert.equal(flaky.requests.length, 2);
    const [first, again] = flaky.requests.map((r) => parts(r.headers.get("traceparent")));
    assert.equal(first!.traceId, CALLER_TRACE);
    assert.equal(again!.traceId, CALLER_TRACE);
    assert.notEqual(first!.spanId, again!.spanId, "each try names its own span");
    assert.equal(pinned.requests[0]!.headers.get("traceparent"), own);
    assert.equal(pinned.requests[0]!.headers.get("tracestate"), "mine=1");
  } finally {
    await Promise.all([flaky.close(), pinned.close(), collector.close()]);
    await Deno.remove(dir, { recursive: true });
  }
});
