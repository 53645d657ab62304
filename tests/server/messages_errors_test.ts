/**
 * `POST /v1/messages` when the upstream fails: errors mapped to Anthropic errors naming provider
 * and model, failover before the first byte, breaks mid-stream, a client that hangs up, and
 * local model servers that are not running.
 */

import assert from "node:assert/strict";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import {
  anthropicErrorBody,
  thinkingTextToolMessage,
  thinkingTextToolTurn,
} from "../mocks/anthropic_fixtures.ts";
import { parseSse, postMessages, rawPost, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { closedPort } from "../helpers/ports.ts";
import { CLAUDE_HEADERS, claudeCodeBody, setup } from "./_messages_env.ts";

Deno.test("upstream errors map to Anthropic errors naming provider and model, keys scrubbed", async (t) => {
  const cases: Array<[number, string, number, string]> = [
    [400, "invalid_request_error", 400, "invalid_request_error"],
    [401, "authentication_error", 503, "api_error"],
    [403, "permission_error", 503, "api_error"],
    [404, "not_found_error", 404, "not_found_error"],
    [413, "request_too_large", 413, "request_too_large"],
    [429, "rate_limit_error", 429, "rate_limit_error"],
    [500, "api_error", 502, "api_error"],
    [503, "api_error", 503, "api_error"],
    [529, "overloaded_error", 529, "overloaded_error"],
  ];
  for (const [upstream, upstreamType, status, type] of cases) {
    await t.step(`${upstream} → ${status} ${type}`, async () => {
      await using env = setup([{
        kind: "json",
        status: upstream,
        body: anthropicErrorBody(
          upstreamType,
          "boom with key sk-ant-api03-UPSTREAMKEY0000000000 inside",
        ),
        headers: { "retry-after": "7" },
      }]);
      const res = await fetch(`${env.ccp.url}/v1/messages`, {
        method: "POST",
        headers: CLAUDE_HEADERS,
        body: JSON.stringify(claudeCodeBody()),
      });
      assert.equal(res.status, status);
      const body = await res.json();
      assert.equal(body.type, "error");
      assert.equal(body.error.type, type);
      assert.ok(!JSON.stringify(body).includes("UPSTREAMKEY"));
      if (upstream === 401 || upstream === 403) {
        // Every credential blocked → 503 auth_unavailable: a 401 would read as Claude Code's own
        // token being wrong.
        assert.equal(body.error.code, "auth_unavailable");
        assert.equal(body.error.blocked, 1);
        assert.deepEqual(body.error.recent_statuses, [upstream]);
        assert.match(body.error.message, /provider "up" model "kimi-k2\.5"/);
        assert.ok(Number(res.headers.get("retry-after")) > 0);
      } else if (upstream === 429) {
        // Every key of every target cooling down → 429 model_cooldown.
        assert.equal(body.error.code, "model_cooldown");
        assert.equal(body.error.retry_after, 7);
        assert.match(body.error.message, /provider "up" model "kimi-k2\.5"/);
      } else {
        assert.match(body.error.message, /provider "up" \(model kimi-k2\.5\) answered HTTP \d+/i);
        assert.match(body.error.message, /boom with key \[redacted\] inside/);
      }
      if (status === 429) assert.equal(res.headers.get("retry-after"), "7");
    });
  }
});

Deno.test("a failover chain moves to the next target on 529 before the first byte", async () => {
  const bad = startAnthropicMock([{
    kind: "json",
    status: 529,
    body: anthropicErrorBody("overloaded_error", "Overloaded"),
  }]);
  const good = startAnthropicMock([{ kind: "stream", events: thinkingTextToolTurn("x") }]);
  const ccp = startCcp(testConfig({
    providers: [provider("a", { baseUrl: bad.url }), provider("b", { baseUrl: good.url })],
    routes: { default: ["a/m1", "b/m2"] },
  }));
  try {
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 200);
    assert.equal(parseSse(await res.text()).at(-1)!.event, "message_stop");
    assert.equal(bad.requests.length, 1);
    assert.equal(good.requests[0]!.body!.model, "m2");
  } finally {
    await ccp.close();
    await bad.close();
    await good.close();
  }
});

Deno.test("mid-stream upstream reset becomes event: error and a clean end", async () => {
  await using env = setup([{ kind: "stream", events: thinkingTextToolTurn("m"), cutAfter: 9 }]);
  const res = await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody()),
  });
  const events = parseSse(await res.text());
  const last = events.at(-1)!;
  assert.equal(last.event, "error");
  assert.equal((last.data.error as Record<string, unknown>).type, "api_error");
  assert.match(
    String((last.data.error as Record<string, unknown>).message),
    /provider "up" \(model kimi-k2\.5\)/i,
  );
  assert.equal(events.length, 10);
});

Deno.test("upstream closing early without message_stop ends with event: error", async () => {
  const events = thinkingTextToolTurn("m").slice(0, 5);
  await using env = setup([{ kind: "stream", events }]);
  const res = await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody()),
  });
  const got = parseSse(await res.text());
  assert.equal(got.at(-1)!.event, "error");
  assert.match(JSON.stringify(got.at(-1)!.data), /before message_stop/);
});

Deno.test("client disconnect aborts the upstream request within 1 s", async (t) => {
  const { connection: _, ...headers } = CLAUDE_HEADERS;
  const waitForAbort = async (mock: { requests: Array<{ abortedAt?: number }> }, since: number) => {
    while (!mock.requests[0]!.abortedAt && Date.now() < since + 1000) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(mock.requests[0]!.abortedAt, "upstream saw the abort");
    assert.ok(mock.requests[0]!.abortedAt! - since < 1000);
  };
  // Deno 2.9's server does not signal a hang-up before the response starts unless the whole
  // request was tiny; on Linux ccp reads it from the kernel's socket table instead.
  await t.step({
    name: "before the first byte, while the upstream thinks (Linux)",
    ignore: Deno.build.os !== "linux",
    fn: async () => {
      // The fault mock reads raw sockets, so it sees ccp hang up even before it answers.
      const up = startFaultMock({ replies: [{ kind: "hang" }] });
      const ccp = startCcp(testConfig({
        providers: [provider("up", { baseUrl: up.url, maxRetries: 0 })],
        routes: { default: "up/m" },
      }));
      try {
        const conn = await rawPost(
          ccp.url,
          "/v1/messages",
          headers,
          JSON.stringify(claudeCodeBody()),
        );
        while (up.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
        const hungUpAt = performance.now();
        conn.close();
        while (!up.requests[0]!.aborted && performance.now() - hungUpAt < 2000) {
          await new Promise((r) => setTimeout(r, 5));
        }
        assert.ok(up.requests[0]!.aborted, "the upstream request was cancelled");
        assert.ok(up.requests[0]!.endedAt! - hungUpAt < 1000, "within 1 s");
        await new Promise((r) => setTimeout(r, 50));
        assert.ok(ccp.logs.some((l) => l.includes(" 499 ")), ccp.logs.join(""));
      } finally {
        await ccp.close();
        await up.close();
      }
    },
  });
  await t.step("mid-stream", async () => {
    await using env = setup([{ kind: "stream", events: thinkingTextToolTurn("m"), delayMs: 200 }]);
    const conn = await rawPost(
      env.ccp.url,
      "/v1/messages?beta=true",
      headers,
      JSON.stringify(claudeCodeBody()),
    );
    const first = new Uint8Array(4096);
    assert.ok((await conn.read(first))! > 0, "received the start of the stream");
    const hungUpAt = Date.now();
    conn.close();
    await waitForAbort(env.mock, hungUpAt);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(env.ccp.logs.some((l) => l.includes("client disconnected")), env.ccp.logs.join(""));
  });
});

Deno.test("embedded default: unreachable Ollama gives a 502 saying exactly that", async () => {
  const port = closedPort();
  const config = testConfig({
    providers: [provider("ollama", { baseUrl: `http://127.0.0.1:${port}`, implicit: true })],
    routes: { default: "ollama/qwen3-coder" },
    source: { kind: "default" },
  });
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 502);
    const body = await res.json();
    assert.equal(body.error.type, "api_error");
    assert.match(
      body.error.message,
      /^Cannot reach provider "ollama" \(model qwen3-coder\) at http:\/\/127\.0\.0\.1:\d+\/v1\/messages: connection refused/,
    );
    // Started as the quick start says: a plain `ollama serve` runs on a context that cuts Claude
    // Code's prompt without an error.
    assert.ok(
      body.error.message.includes(
        "connection refused. No config, so ccp uses its built-in default, a local Ollama: start " +
          "it (`OLLAMA_CONTEXT_LENGTH=65536 ollama serve`)",
      ),
      body.error.message,
    );
    // Run from source (as the tests are), the advice names the command that exists there.
    assert.match(body.error.message, /run `deno task start init`/);
    // Whole: ccp cuts a failure's words at 300 characters, which would take the way out.
    assert.ok(body.error.message.endsWith("/ set MODEL=provider/model"), body.error.message);
    // Claude Code would retry this 502 for about three minutes and show nothing meanwhile.
    assert.equal(res.headers.get("x-should-retry"), "false");
  } finally {
    await ccp.close();
  }
});

Deno.test("a local model server that is not running: said at once, not retried by Claude Code", async () => {
  const port = closedPort();
  const config = testConfig({
    providers: [provider("local", { type: "openai", baseUrl: `http://127.0.0.1:${port}/v1` })],
    routes: { default: "local/qwen3-coder" },
  });
  const ccp = startCcp(config);
  try {
    const res = await postMessages(ccp.url, claudeCodeBody());
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("x-should-retry"), "false");
    const body = await res.json();
    assert.match(body.error.message, /connection refused/);
    assert.match(body.error.message, /connection refused\. Nothing listens there: start the model/);
  } finally {
    await ccp.close();
  }
});

Deno.test("a provider at a port fetch blocks: failed over at once, the error names the port", async () => {
  const mock = startAnthropicMock([{ kind: "json", body: thinkingTextToolMessage("m") }]);
  // Port 1 is on fetch's list of ports that are never requested: no try can ever succeed.
  const config = testConfig({
    providers: [
      provider("blocked", { type: "openai", baseUrl: "http://127.0.0.1:1/v1" }),
      provider("good", { baseUrl: mock.url }),
    ],
    routes: { default: ["blocked/m", "good/m"], alone: "blocked/m" },
  });
  const ccp = startCcp(config);
  try {
    const started = Date.now();
    const res = await postMessages(ccp.url, { ...claudeCodeBody(false), model: "default" });
    await res.body?.cancel();
    assert.equal(res.status, 200);
    // Retried in place, the blocked port cost four tries with backoff (about 4 s).
    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    const alone = await postMessages(ccp.url, { ...claudeCodeBody(false), model: "alone" });
    assert.equal(alone.status, 502);
    assert.equal(alone.headers.get("x-should-retry"), "false");
    const body = await alone.json();
    assert.match(
      body.error.message,
      /at http:\/\/127\.0\.0\.1:1\/v1\/chat\/completions: port 1 is blocked by fetch \(reserved for another protocol\)\. Use another port in its base_url/,
    );
  } finally {
    await ccp.close();
    await mock.close();
  }
});
