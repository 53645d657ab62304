/**
 * OpenTelemetry traces from a running ccp to a mock OTLP collector that checks every export
 * strictly: the spans of a served request, a failover, a stream, an error answer, a caller's
 * trace continued, the flush at a graceful stop, a reload that turns tracing on and off, the
 * OTEL_* variables, and no key or prompt in any byte sent.
 */

import assert from "node:assert/strict";
import { anthropicErrorBody, textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { type AnthropicMock, startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { attr, type Collector, type Span, startCollector } from "../mocks/otlp_collector.ts";
import { startServer } from "../../src/cli/serve.ts";
import { runCli } from "../../src/cli/run.ts";
import { testContext } from "../cli/helpers.ts";
import { postMessages } from "../helpers/ccp.ts";

const BAD_KEY = "sk-bad-upstream-0123456789abcdef";
const GOOD_KEY = "sk-good-upstream-0123456789abcdef";
const COLLECTOR_KEY = "collector-secret-0123456789abcdef";
const PROMPT = "prompt-text-that-must-stay-home";
const ANSWER = "answer-text-that-must-stay-home";

function config(good: AnthropicMock, bad: AnthropicMock, tracing: string): string {
  return `server: { data_dir: data }
usage: { enabled: false }
providers:
  bad: { type: anthropic, base_url: "${bad.url}", api_key: ${BAD_KEY}, max_retries: 0 }
  good: { type: anthropic, base_url: "${good.url}", api_key: ${GOOD_KEY} }
routes:
  default: good/main
  opus: [bad/big, good/main]
  haiku: bad/small
${tracing}`;
}

function tracingBlock(collector: Collector): string {
  return `tracing:
  endpoint: ${collector.url}
  headers: { x-collector-key: ${COLLECTOR_KEY} }
  service_name: ccp-test
  resource_attributes: { deployment.environment: test }
`;
}

const ask = (model: string, stream = false) => ({
  model,
  max_tokens: 10,
  stream,
  messages: [{ role: "user", content: PROMPT }],
});

/** Runs `body` against a started ccp, stops it (flushing the spans), then checks. */
async function withCcp(
  tracing: (collector: Collector) => string,
  body: (
    url: string,
    mocks: { good: AnthropicMock; bad: AnthropicMock; collector: Collector },
    run: { dir: string; reload: () => Promise<boolean> },
  ) => Promise<void>,
  env: Record<string, string> = {},
): Promise<{ collector: Collector; stderr: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_otlp_" });
  const good = startAnthropicMock([{
    kind: "json",
    body: textMessage("main", { input_tokens: 40, output_tokens: 6 }, ANSWER),
  }]);
  const bad = startAnthropicMock([{
    kind: "json",
    status: 503,
    body: anthropicErrorBody("overloaded_error", "busy"),
  }]);
  const collector = startCollector();
  const ctx = testContext(dir);
  Object.assign(ctx.env, env);
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, config(good, bad, tracing(collector)));
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      await body(server.url, { good, bad, collector }, { dir, reload: server.reload });
    } finally {
      await server.stop();
      await server.finished;
    }
    return { collector, stderr: ctx.io.stderr.join("\n") };
  } finally {
    await Promise.all([good.close(), bad.close(), collector.close()]);
    await Deno.remove(dir, { recursive: true });
  }
}

function byTrace(spans: Span[]): Map<string, Span[]> {
  const out = new Map<string, Span[]>();
  for (const span of spans) out.set(span.traceId, [...out.get(span.traceId) ?? [], span]);
  return out;
}

Deno.test("tracing: served, failover, stream, error and continued traces reach the collector", async () => {
  const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const callerSpan = "00f067aa0ba902b7";
  let failedType = "";
  const { collector, stderr } = await withCcp(tracingBlock, async (url, { good, collector }) => {
    // 1. served (JSON), 2. failover (opus: bad 503, then good), 3. stream, 4. error (haiku: bad).
    const served = await postMessages(url, ask("claude-sonnet-4-5"));
    assert.equal(served.status, 200);
    await served.body?.cancel();
    const failover = await postMessages(url, ask("claude-opus-4-5"));
    assert.equal(failover.status, 200);
    await failover.body?.cancel();
    good.replies.push({ kind: "stream", events: textTurn("main", 3) });
    const streamed = await postMessages(url, ask("claude-sonnet-4-5", true));
    assert.equal(streamed.status, 200);
    assert.match(await streamed.text(), /message_stop/);
    const failed = await postMessages(url, ask("claude-haiku-4-5"));
    assert.equal(failed.status, 503);
    failedType = (await failed.json()).error.type;
    // 5. a caller's trace, continued.
    const continued = await postMessages(url, ask("claude-sonnet-4-5"), {
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
    });
    assert.equal(continued.status, 200);
    await continued.body?.cancel();
    // Queued for 5 s by default: only the stop's flush sends them before the test checks.
    assert.equal(collector.requests, 0, "spans wait for their batch, off the request's path");
  });
  assert.deepEqual(collector.problems, [], "every export has OTLP's JSON shape");
  // Said at start, with the header's name and never its value.
  assert.match(
    stderr,
    /Tracing: OTLP\/HTTP JSON to http:\/\/127\.0\.0\.1:\d+\/v1\/traces as service ccp-test; .*headers x-collector-key \(from tracing:\)/,
  );
  assert.ok(!stderr.includes(COLLECTOR_KEY));
  assert.ok(collector.exports.length >= 1, "the stop flushed the queued spans");

  const exported = collector.exports[0]!;
  assert.equal(attr({ attributes: exported.resource }, "service.name"), "ccp-test");
  assert.equal(attr({ attributes: exported.resource }, "deployment.environment"), "test");
  assert.equal(exported.headers.get("x-collector-key"), COLLECTOR_KEY);

  const traces = [...byTrace(collector.spans()).values()];
  assert.equal(traces.length, 5, "one trace per request");
  const serverOf = (spans: Span[]) => spans.find((s) => s.kind === 2)!;
  const clientsOf = (spans: Span[]) => spans.filter((s) => s.kind === 3);
  for (const spans of traces) {
    const server = serverOf(spans);
    assert.equal(server.name, "POST /v1/messages");
    for (const client of clientsOf(spans)) {
      assert.equal(client.parentSpanId, server.spanId, "each attempt is the server span's child");
    }
  }
  const [served, failover, streamed, failed, continued] = traces;

  // Served: one attempt, the GenAI attributes, the tokens (cache included in input).
  const s = serverOf(served!);
  assert.equal(s.parentSpanId, undefined);
  assert.equal(s.status, undefined);
  assert.equal(attr(s, "gen_ai.operation.name"), "chat");
  assert.equal(attr(s, "gen_ai.request.model"), "claude-sonnet-4-5");
  assert.equal(attr(s, "gen_ai.response.model"), "main");
  assert.equal(attr(s, "gen_ai.usage.input_tokens"), 40);
  assert.equal(attr(s, "gen_ai.usage.output_tokens"), 6);
  assert.equal(attr(s, "http.response.status_code"), 200);
  assert.equal(attr(s, "ccp.route"), "default");
  assert.equal(attr(s, "ccp.rule"), "default");
  assert.equal(attr(s, "ccp.client"), "default");
  assert.equal(attr(s, "ccp.stream"), false);
  assert.match(String(attr(s, "ccp.request.id")), /^req_/);
  const [attempt] = clientsOf(served!);
  assert.equal(attempt!.name, "chat main");
  assert.equal(attr(attempt!, "gen_ai.provider.name"), "good");
  assert.equal(attr(attempt!, "server.address"), "127.0.0.1");
  assert.equal(attr(attempt!, "ccp.attempt.kind"), "first");
  assert.equal(attr(attempt!, "ccp.key"), "key 1");

  // Failover: two attempts in one trace; the first failed with the upstream's status.
  const attempts = clientsOf(failover!);
  assert.equal(attempts.length, 2);
  const [first, second] = attempts;
  assert.equal(attr(first!, "ccp.provider"), "bad");
  assert.equal(attr(first!, "http.response.status_code"), 503);
  assert.equal(attr(first!, "error.type"), "503");
  assert.equal(first!.status?.code, 2);
  assert.equal(attr(second!, "ccp.provider"), "good");
  assert.equal(attr(second!, "ccp.attempt.kind"), "failover");
  assert.equal(attr(serverOf(failover!), "ccp.rule"), "tier");
  assert.equal(attr(serverOf(failover!), "ccp.route"), "opus");
  assert.match(String(attr(second!, "ccp.attempt.after")), /503/);
  assert.equal(second!.status, undefined);
  assert.equal(serverOf(failover!).status, undefined, "the request itself was served");

  // Stream: flagged, with a time to first token.
  const st = serverOf(streamed!);
  assert.equal(attr(st, "ccp.stream"), true);
  assert.equal(typeof attr(st, "ccp.time_to_first_token_ms"), "number");
  assert.equal(attr(st, "gen_ai.usage.output_tokens"), 3);

  // Error: the server span failed, with Anthropic's error type.
  const f = serverOf(failed!);
  assert.equal(attr(f, "http.response.status_code"), 503);
  assert.equal(f.status?.code, 2);
  assert.equal(attr(f, "error.type"), failedType, "the error type the client got");

  // Continued: the caller's trace id, its span as the parent, marked remote.
  const c = serverOf(continued!);
  assert.equal(c.traceId, callerTrace);
  assert.equal(c.parentSpanId, callerSpan);
  assert.equal((c.flags ?? 0) & 0x300, 0x300);

  // No key, no prompt, no answer in any byte sent.
  for (const e of collector.exports) {
    for (const secret of [BAD_KEY, GOOD_KEY, COLLECTOR_KEY, PROMPT, ANSWER]) {
      assert.ok(!e.text.includes(secret), `exported bytes hold ${secret}`);
    }
    assert.ok(!/\.\.\.[0-9a-f]{4}\)/.test(e.text), "no key label's last characters either");
  }
});

Deno.test("tracing: a caller that did not sample its trace is not traced (parent-based)", async () => {
  const { collector } = await withCcp(tracingBlock, async (url) => {
    const res = await postMessages(url, ask("claude-sonnet-4-5"), {
      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
    });
    await res.body?.cancel();
  });
  assert.equal(collector.spans().length, 0);
});

Deno.test("tracing: the OTEL_* variables alone, and ccp check shows header names only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_otlp_check_" });
  try {
    const ctx = testContext(dir);
    Object.assign(ctx.env, {
      MODEL: "anthropic/claude-sonnet-4-5",
      ANTHROPIC_API_KEY: "sk-ant-test-0123456789abcdef",
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector.example:4318/",
      OTEL_EXPORTER_OTLP_HEADERS: `x-honeycomb-team=${COLLECTOR_KEY},x-honeycomb-dataset=ccp`,
      OTEL_SERVICE_NAME: "team-proxy",
      OTEL_TRACES_SAMPLER: "parentbased_traceidratio",
      OTEL_TRACES_SAMPLER_ARG: "0.25",
    });
    assert.equal(await runCli(["check"], ctx), 0);
    const out = ctx.io.stdout.join("\n");
    assert.match(
      out,
      /Tracing: OTLP\/HTTP JSON to https:\/\/collector\.example:4318\/v1\/traces as service team-proxy; 25% of traces, or as a caller's traceparent decides; timeout 10000 ms; headers x-honeycomb-team, x-honeycomb-dataset \(from OTEL_\* variables\)/,
    );
    assert.ok(!out.includes(COLLECTOR_KEY), "the collector's key is never shown");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tracing: a reload turns it on, then off; a stop flushes what is queued", async () => {
  const { collector, stderr } = await withCcp(() => "", async (url, { collector }, run) => {
    const send = async () => {
      const res = await postMessages(url, ask("claude-sonnet-4-5"));
      assert.equal(res.status, 200);
      await res.body?.cancel();
    };
    await send();
    const file = `${run.dir}/c.yaml`;
    const off = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, off + tracingBlock(collector));
    assert.ok(await run.reload());
    await send();
    await send();
    await Deno.writeTextFile(file, off);
    assert.ok(await run.reload());
    await send();
    // Turned off: the spans queued while it was on go to the collector they were made for.
    await waitFor(() => collector.spans().length === 4);
  });
  assert.deepEqual(collector.problems, []);
  assert.equal(byTrace(collector.spans()).size, 2, "only the requests served while it was on");
  assert.match(stderr, /Changed: tracing on \(traces to http:\/\/127\.0\.0\.1:\d+\/v1\/traces\)/);
  assert.match(stderr, /Changed: tracing off/);
});

async function waitFor(done: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!done()) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
