/**
 * Spans of the answers ccp builds itself: a web search loop's answer carries its final round's
 * stop reason as `gen_ai.response.finish_reasons`, streamed and not. And a count_tokens call that
 * goes upstream is no Messages attempt: it makes no span, and its upstream is sent no
 * `traceparent` (none that would name a span no collector ever gets).
 */

import assert from "node:assert/strict";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { attr, startCollector } from "../mocks/otlp_collector.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { postMessages } from "../helpers/ccp.ts";
import { startScriptedOpenAI, startWebMock, trailingToolResults } from "../webtools/mocks.ts";
import { QUESTION, SEARCH_TOOL } from "../webtools/_loop_env.ts";

const CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

Deno.test("tracing: a web search loop's answer has its final round's finish reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_otlp_web_" });
  const web = startWebMock();
  // Searches once, then answers: the final round stops with `stop` (end_turn).
  const model = startScriptedOpenAI((messages) =>
    trailingToolResults(messages).length === 0
      ? { calls: [{ name: "web_search", args: { query: "moon distance" } }] }
      : { text: "384,400 km" }
  );
  const collector = startCollector();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
providers:
  o: { type: openai, base_url: "${model.url}", api_key: sk-o-0123456789abcdef }
routes: { default: o/m }
web_tools: { search: { provider: searxng, base_url: "${web.url}" } }
tracing: { endpoint: "${collector.url}" }
`,
    );
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      for (const stream of [false, true]) {
        const res = await postMessages(server.url, {
          model: "claude-sonnet-4-6",
          max_tokens: 1000,
          stream,
          messages: QUESTION,
          tools: [SEARCH_TOOL],
        });
        assert.equal(res.status, 200, await res.clone().text());
        const text = await res.text();
        assert.match(text, /"stop_reason":"end_turn"/);
      }
    } finally {
      await server.stop();
      await server.finished;
    }
    assert.deepEqual(collector.problems, []);
    const servers = collector.spans().filter((s) => s.kind === 2);
    assert.equal(servers.length, 2);
    for (const span of servers) {
      assert.deepEqual(attr(span, "gen_ai.response.finish_reasons"), ["end_turn"]);
    }
    assert.equal(model.bodies.length, 4, "two rounds per request");
    // Each model round is a client span; the last one carries the finish reason and the tokens
    // (summed over the rounds, so a backend that adds up its spans counts them once).
    for (const span of servers) {
      const rounds = collector.spans().filter((s) => s.parentSpanId === span.spanId);
      rounds.sort((x, y) => Number(BigInt(x.startTimeUnixNano) - BigInt(y.startTimeUnixNano)));
      assert.deepEqual(rounds.map((s) => attr(s, "ccp.attempt.kind")), ["first", "round"]);
      assert.deepEqual(rounds.map((s) => attr(s, "gen_ai.response.finish_reasons")), [
        undefined,
        ["end_turn"],
      ]);
      assert.deepEqual(rounds.map((s) => attr(s, "gen_ai.usage.output_tokens")), [
        undefined,
        attr(span, "gen_ai.usage.output_tokens"),
      ]);
    }
  } finally {
    await Promise.all([web.close(), model.close(), collector.close()]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tracing: a count_tokens call upstream is sent no traceparent and makes no span", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_otlp_count_" });
  const upstream = startAnthropicMock([{ kind: "json", body: { input_tokens: 42 } }]);
  const collector = startCollector();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
usage: { enabled: false }
providers:
  a:
    type: anthropic
    base_url: "${upstream.url}"
    api_key: sk-a-0123456789abcdef
    count_tokens: true
routes: { default: a/main }
tracing: { endpoint: "${collector.url}" }
`,
    );
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      const res = await fetch(`${server.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: { "content-type": "application/json", traceparent: CALLER, tracestate: "v=1" },
        body: JSON.stringify({
          model: "claude-sonnet-4-6",
          messages: [{ role: "user", content: "hello" }],
        }),
      });
      assert.deepEqual(await res.json(), { input_tokens: 42 });
    } finally {
      await server.stop();
      await server.finished;
    }
    assert.equal(upstream.requests.length, 1);
    const [counted] = upstream.requests;
    assert.match(counted!.path, /count_tokens/);
    assert.equal(counted!.headers.get("traceparent"), null);
    assert.equal(counted!.headers.get("tracestate"), null);
    assert.equal(collector.spans().length, 0, "count_tokens makes no span");
  } finally {
    await Promise.all([upstream.close(), collector.close()]);
    await Deno.remove(dir, { recursive: true });
  }
});
