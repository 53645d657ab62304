/**
 * A web tools answer's trace: each model round is a client span of its own, in the order the
 * rounds ran, and the tokens the request used are counted once across them (a backend that sums
 * the GenAI usage of model calls, as Langfuse does, bills what the upstream billed).
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { attr, startCollector } from "../mocks/otlp_collector.ts";
import { startScriptedOpenAI, startWebMock, trailingToolResults } from "./mocks.ts";
import { post, QUESTION, SEARCH_TOOL } from "./_loop_env.ts";

Deno.test("tracing: a web tools answer's rounds are spans in turn, its tokens counted once", async () => {
  const web = startWebMock();
  // Searches once, then answers: two rounds.
  const model = startScriptedOpenAI((messages) =>
    trailingToolResults(messages).length === 0
      ? { calls: [{ name: "web_search", args: { query: "moon distance" } }] }
      : { text: "Found it" }
  );
  const collector = startCollector();
  const dir = await Deno.makeTempDir({ prefix: "ccp_traced_rounds_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `
providers:
  up: { type: openai, base_url: ${model.url}, api_key: sk-up-0000 }
routes:
  default: up/mock-model
web_tools:
  search: { provider: searxng, base_url: ${web.url} }
tracing:
  endpoint: ${collector.url}
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      for (const stream of [false, true]) {
        const answer = await post(server.url, { messages: QUESTION, tools: [SEARCH_TOOL], stream });
        assert.equal(answer.status, 200);
        assert.match(await answer.text(), /Found it/);
      }
    } finally {
      // A stop sends the spans.
      await server.stop();
      await server.finished;
    }
  } finally {
    await Promise.all([model.close(), web.close()]);
    await Deno.remove(dir, { recursive: true });
  }
  try {
    assert.deepEqual(collector.problems, []);
    const traces = Map.groupBy(collector.spans(), (s) => s.traceId);
    assert.equal(traces.size, 2, "a JSON and a streamed answer");
    for (const spans of traces.values()) {
      const server = spans.find((s) => s.kind === 2)!;
      const rounds = spans.filter((s) => s.kind === 3).sort((a, b) =>
        Number(attr(a, "ccp.attempt.number")) - Number(attr(b, "ccp.attempt.number"))
      );
      assert.equal(rounds.length, 2, JSON.stringify(spans));
      const tokens = (key: string) => rounds.reduce((sum, s) => sum + Number(attr(s, key) ?? 0), 0);
      assert.ok(Number(attr(server, "gen_ai.usage.input_tokens")) > 0);
      for (const key of ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"]) {
        assert.equal(tokens(key), Number(attr(server, key)), `${key} counted once`);
      }
      // The answer's stop reason is the last round's (the first stopped for its tool call).
      assert.deepEqual(attr(server, "gen_ai.response.finish_reasons"), ["end_turn"]);
      assert.equal(attr(rounds[0]!, "gen_ai.response.finish_reasons"), undefined);
      assert.deepEqual(attr(rounds[1]!, "gen_ai.response.finish_reasons"), ["end_turn"]);
      // One round, then the next: the first ends as the second starts, which is no retry.
      assert.ok(BigInt(rounds[0]!.endTimeUnixNano) <= BigInt(rounds[1]!.startTimeUnixNano));
      assert.equal(attr(rounds[1]!, "ccp.attempt.kind"), "round");
      // Two sends, both rounds: none was a retry or failover, as the log line's `rounds=2` says.
      assert.equal(Number(attr(server, "ccp.attempts")), 2);
      assert.equal(Number(attr(server, "ccp.rounds")), 2);
    }
  } finally {
    await collector.close();
  }
});
