/**
 * `errors` in the usage report counts every record that ended in an error: an HTTP status of 400
 * or more, and also a stream that began with 200 and ended with an `error` event; and only Messages
 * requests that passed auth are records (local answers too; count_tokens, /health and probes not).
 */

import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

const TOKEN = "ccp-errors-test";

/** A stream that starts, writes some text, then fails with an overloaded error event. */
function failingStream() {
  const events = textTurn("m", 3).slice(0, 5);
  events.push({
    event: "error",
    data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
  });
  return { kind: "stream" as const, events };
}

/** Runs `run` against `ccp serve` with a ledger in a fresh dir, its one provider at `baseUrl`. */
async function withLedgerServer(
  baseUrl: string,
  run: (url: string, dir: string) => Promise<void>,
  serverYaml = "",
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_errors_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: ${dir}/data${serverYaml} }
providers:
  up: { type: anthropic, base_url: "${baseUrl}", api_key: sk-up-0123456789 }
routes:
  default: up/m
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      await run(server.url, dir);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("usage: errors count statuses ≥ 400 and streams that ended with an error event", async () => {
  const mock = startAnthropicMock([
    { kind: "stream", events: textTurn("m", 2) },
    failingStream(),
  ]);
  try {
    await withLedgerServer(mock.url, async (url, dir) => {
      const post = async (body: string) => {
        const res = await fetch(`${url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": TOKEN },
          body,
        });
        return { status: res.status, text: await res.text() };
      };
      const request = JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 50,
        stream: true,
        messages: [{ role: "user", content: "hello" }],
      });
      const ok = await post(request);
      assert.equal(ok.status, 200);
      assert.match(ok.text, /event: message_stop/);
      const failed = await post(request);
      assert.equal(failed.status, 200, "the stream had started");
      assert.match(failed.text, /event: error\ndata: .*"overloaded_error"/);
      assert.doesNotMatch(failed.text, /message_stop/);
      const refused = await post("{");
      assert.equal(refused.status, 400);
      await new Promise((r) => setTimeout(r, 300)); // written within the flush delay

      const res = await fetch(`${url}/v1/ccp/usage?since=24h&by=provider`, {
        headers: { "x-api-key": TOKEN },
      });
      const report = await res.json();
      assert.equal(report.total.requests, 3);
      assert.equal(report.total.errors, 2);
      const up = report.rows.find((r: { key: string }) => r.key === "up");
      assert.deepEqual([up.requests, up.errors], [2, 1], "the failed stream is an error");

      const ctx = testContext(dir);
      const code = await runCli(["usage", "--config", "c.yaml", "--json", "--by", "provider"], ctx);
      assert.equal(code, 0, ctx.io.stderr.join("\n"));
      assert.deepEqual(JSON.parse(ctx.io.stdout.join("")).total, report.total);
    });
  } finally {
    await mock.close();
  }
});

Deno.test("usage: only Messages requests that passed auth are records, local answers included", async () => {
  await withLedgerServer("http://127.0.0.1:9", async (url) => {
    const call = async (path: string, init: RequestInit) => {
      const res = await fetch(`${url}${path}`, init);
      await res.body?.cancel();
      return res.status;
    };
    const json = { "content-type": "application/json", "x-api-key": TOKEN };
    const warmup = JSON.stringify({
      model: "claude-haiku-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "Warmup" }],
    });
    assert.equal(
      await call("/v1/messages/count_tokens", { method: "POST", headers: json, body: warmup }),
      200,
    );
    assert.equal(await call("/health", {}), 200);
    assert.equal(await call("/api/hello", { method: "HEAD" }), 200);
    assert.equal(await call("/", { method: "HEAD" }), 200);
    const wrong = { "content-type": "application/json", "x-api-key": "wrong" };
    assert.equal(
      await call("/v1/messages", { method: "POST", headers: wrong, body: warmup }),
      401,
    );
    assert.equal(
      await call("/v1/messages", { method: "POST", headers: json, body: warmup }),
      200,
    );
    await new Promise((r) => setTimeout(r, 300)); // written within the flush delay

    const res = await fetch(`${url}/v1/ccp/usage?since=24h&by=route`, {
      headers: { "x-api-key": TOKEN },
    });
    const report = await res.json();
    assert.deepEqual(
      report.rows.map((r: { key: string; requests: number }) => [r.key, r.requests]),
      [["local", 1]],
    );
  });
});

Deno.test(
  "usage and /metrics: a body over max_body_size is one refused record, declared or chunked",
  async () => {
    await withLedgerServer("http://127.0.0.1:9", async (url) => {
      const big = JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "x".repeat(4000) }],
      });
      const post = async (token: string, chunked: boolean) => {
        const bytes = new TextEncoder().encode(big);
        const res = await fetch(`${url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": token },
          // A stream goes chunked; a string declares its length, which the guard reads first.
          body: chunked ? ReadableStream.from([bytes.slice(0, 1000), bytes.slice(1000)]) : big,
        });
        return {
          status: res.status,
          route: res.headers.get("x-ccp-route"),
          text: await res.text(),
        };
      };
      for (const chunked of [false, true]) {
        const refused = await post(TOKEN, chunked);
        assert.equal(refused.status, 413, refused.text);
        assert.match(refused.text, /"request_too_large".*exceeds the 1 KiB limit/);
        assert.equal(refused.route, "none");
        // Without the token it is refused for that first, as any request: not a record.
        assert.equal((await post("wrong", chunked)).status, 401);
      }
      await new Promise((r) => setTimeout(r, 300)); // written within the flush delay

      const res = await fetch(`${url}/v1/ccp/usage?since=24h&by=route`, {
        headers: { "x-api-key": TOKEN },
      });
      const report = await res.json();
      assert.deepEqual([report.total.requests, report.total.errors], [2, 2]);
      const metrics = await (await fetch(`${url}/metrics`, { headers: { "x-api-key": TOKEN } }))
        .text();
      assert.match(
        metrics,
        /^ccp_requests_total\{route="none",provider="none",model="none",status="413"\} 2$/m,
      );
    }, ", max_body_size: 1KiB");
  },
);
