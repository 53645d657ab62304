import assert from "node:assert/strict";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import {
  anthropicErrorBody,
  encodeEvents,
  thinkingTextToolMessage,
  thinkingTextToolTurn,
} from "../mocks/anthropic_fixtures.ts";
import { parseSse, rawPost, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { closedPort } from "../helpers/ports.ts";

const CLAUDE_HEADERS = {
  "content-type": "application/json",
  authorization: "Bearer secret-token",
  "anthropic-version": "2023-06-01",
  "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
  "user-agent": "claude-cli/2.1.330 (external, sdk-cli)",
  "x-app": "cli",
  "x-claude-code-session-id": "5f0e3c52-1111-4a4a-9999-000000000000",
  "x-stainless-retry-count": "0",
  connection: "keep-alive",
  "accept-encoding": "gzip, deflate, br, zstd",
};

/** A body shaped like Claude Code 2.1.x's first request (SPEC §5a fields included). */
function claudeCodeBody(stream = true): Record<string, unknown> {
  return {
    model: "claude-opus-5-5",
    messages: [
      {
        role: "user",
        content: [{ type: "text", text: "<system-reminder>x</system-reminder>" }, {
          type: "text",
          text: "write a.txt",
          cache_control: { type: "ephemeral" },
        }],
      },
      {
        role: "system",
        content: [{ type: "text", text: "# Environment\nYou have been invoked…" }],
      },
    ],
    system: [
      {
        type: "text",
        text: "x-anthropic-billing-header: cc_version=2.1.330.f73; cc_entrypoint=sdk-cli;",
      },
      { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
    ],
    tools: [
      {
        name: "Write",
        description: "Write a file",
        input_schema: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: { file_path: { type: "string" } },
          additionalProperties: false,
        },
      },
      {
        name: "DeferredToolPlaceholder",
        description: "",
        input_schema: { type: "object" },
        defer_loading: true,
      },
    ],
    metadata: {
      user_id: JSON.stringify({ device_id: "ab".repeat(32), account_uuid: "", session_id: "s" }),
    },
    max_tokens: 128000,
    thinking: { type: "adaptive", display: "updates" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "medium" },
    future_field: { anything: [1, 2, 3] },
    stream,
  };
}

function setup(
  replies: Parameters<typeof startAnthropicMock>[0],
  over: { authToken?: string; baseSuffix?: string; keys?: string[] } = {},
) {
  const mock = startAnthropicMock(replies);
  const config = testConfig({
    providers: [
      // The real Anthropic preset: every field and beta passes untouched (no cleaning applies).
      provider("up", {
        preset: "anthropic",
        baseUrl: mock.url + (over.baseSuffix ?? ""),
        apiKeys: over.keys ?? ["sk-ant-api03-UPSTREAMKEY0000000000"],
      }),
    ],
    routes: { default: "up/glm-4.7", opus: "up/kimi-k2.5" },
    authToken: over.authToken ?? "secret-token",
  });
  const ccp = startCcp(config);
  return {
    mock,
    ccp,
    async [Symbol.asyncDispose]() {
      await ccp.close();
      await mock.close();
    },
  };
}

Deno.test("stream relay: event for event, model name restored, request forwarded intact", async () => {
  const events = thinkingTextToolTurn("glm-4.7-upstream-name");
  await using env = setup([{ kind: "stream", events, splitEvery: 7 }]);
  const res = await fetch(`${env.ccp.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody()),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
  assert.equal(res.headers.get("x-ccp-route"), "opus");
  assert.equal(res.headers.get("x-ccp-provider"), "up");
  assert.equal(res.headers.get("x-ccp-model"), "kimi-k2.5");
  assert.match(res.headers.get("request-id") ?? "", /^req_[0-9A-Za-z]{24}$/);
  const got = parseSse(await res.text());
  const want = events.map((e) => ({ event: e.event, data: structuredClone(e.data) }));
  (want[0]!.data.message as Record<string, unknown>).model = "claude-opus-5-5";
  assert.deepEqual(got, want);

  const sent = env.mock.requests[0]!;
  assert.equal(sent.path, "/v1/messages");
  assert.equal(sent.body!.model, "kimi-k2.5");
  const { model: _a, ...restSent } = sent.body!;
  const { model: _b, ...restClient } = claudeCodeBody();
  assert.deepEqual(
    restSent,
    restClient,
    "every other field, known or not, reaches the upstream untouched",
  );
  assert.equal(sent.headers.get("x-api-key"), "sk-ant-api03-UPSTREAMKEY0000000000");
  assert.equal(sent.headers.get("authorization"), null, "client credentials never forwarded");
  assert.equal(sent.headers.get("anthropic-version"), "2023-06-01");
  assert.equal(sent.headers.get("anthropic-beta"), CLAUDE_HEADERS["anthropic-beta"]);
  assert.equal(
    sent.headers.get("x-claude-code-session-id"),
    CLAUDE_HEADERS["x-claude-code-session-id"],
  );
  assert.equal(sent.headers.get("user-agent"), CLAUDE_HEADERS["user-agent"]);
  assert.equal(sent.headers.get("accept-encoding") !== "gzip, deflate, br, zstd", true);
  const line = env.ccp.logs.find((l) => l.includes("POST /v1/messages"))!;
  assert.match(
    line,
    /INFO {2}POST \/v1\/messages claude-opus-5-5 → up\/kimi-k2\.5 200 \d+ms ttft=\d+ms in=2095 out=89 stream \[opus\]/,
  );
  assert.ok(!env.ccp.logs.join("").includes("UPSTREAMKEY"), "no key in the log");
  assert.ok(!env.ccp.logs.join("").includes("write a.txt"), "no prompt text in the log");
});

Deno.test("non-stream: JSON relayed with the client's model name", async () => {
  await using env = setup([{ kind: "json", body: thinkingTextToolMessage("glm-4.7") }]);
  const res = await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify({ ...claudeCodeBody(false), model: "gpt-5" }),
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body, { ...thinkingTextToolMessage("glm-4.7"), model: "gpt-5" });
  assert.equal(env.mock.requests[0]!.body!.model, "glm-4.7");
  assert.equal(env.mock.requests[0]!.headers.get("accept"), "application/json");
});

Deno.test("stream requested but upstream answered JSON: the client still gets a valid stream", async () => {
  await using env = setup([{ kind: "json", body: thinkingTextToolMessage("glm-4.7") }]);
  const res = await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody()),
  });
  const events = parseSse(await res.text());
  assert.deepEqual(events.map((e) => e.event), [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_delta",
    "content_block_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
  ]);
  const json = events.filter((e) =>
    (e.data.delta as Record<string, unknown> | undefined)?.type === "input_json_delta"
  );
  assert.deepEqual(
    JSON.parse(String((json[0]!.data.delta as Record<string, unknown>).partial_json)),
    { file_path: "/tmp/a.txt", content: "line\n2" },
  );
});

Deno.test("base_url given with /v1 appends only /messages", async () => {
  await using env = setup([{ kind: "json", body: thinkingTextToolMessage("m") }], {
    baseSuffix: "/v1",
  });
  await (await fetch(`${env.ccp.url}/v1/messages`, {
    method: "POST",
    headers: CLAUDE_HEADERS,
    body: JSON.stringify(claudeCodeBody(false)),
  })).body?.cancel();
  assert.equal(env.mock.requests[0]!.path, "/v1/messages");
});

Deno.test("upstream errors map to SPEC §6 errors naming provider and model, keys scrubbed", async (t) => {
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
        // SPEC §6: every credential blocked → 503 auth_unavailable, never a 401 to Claude Code.
        assert.equal(body.error.code, "auth_unavailable");
        assert.equal(body.error.blocked, 1);
        assert.deepEqual(body.error.recent_statuses, [upstream]);
        assert.match(body.error.message, /provider "up" model "kimi-k2\.5"/);
        assert.ok(Number(res.headers.get("retry-after")) > 0);
      } else if (upstream === 429) {
        // SPEC §6: every key of every target cooling down → 429 model_cooldown.
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
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(claudeCodeBody()),
    });
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
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(claudeCodeBody()),
    });
    assert.equal(res.status, 502);
    const body = await res.json();
    assert.equal(body.error.type, "api_error");
    assert.match(
      body.error.message,
      /^Cannot reach provider "ollama" \(model qwen3-coder\) at http:\/\/127\.0\.0\.1:\d+\/v1\/messages: connection refused/,
    );
    assert.match(body.error.message, /ollama serve/);
    // Run from source (as the tests are), the advice names the command that exists there.
    assert.match(body.error.message, /run `deno task start init`/);
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
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(claudeCodeBody()),
    });
    assert.equal(res.status, 502);
    assert.equal(res.headers.get("x-should-retry"), "false");
    const body = await res.json();
    assert.match(body.error.message, /connection refused/);
    assert.match(body.error.message, /connection refused\. Nothing listens there: start the model/);
  } finally {
    await ccp.close();
  }
});

Deno.test("encodeEvents fixture sanity", () => {
  assert.match(encodeEvents(thinkingTextToolTurn("m")), /^event: message_start\ndata: /);
});

Deno.test("auth: passthrough sends the client's own credentials upstream, and a 429 moves on", async () => {
  const plan = startAnthropicMock([
    {
      kind: "json",
      status: 429,
      body: anthropicErrorBody("rate_limit_error", "weekly limit reached"),
      headers: { "retry-after": "3600" },
    },
  ]);
  const fallback = startAnthropicMock([{ kind: "json", body: thinkingTextToolMessage("glm") }]);
  const ccp = startCcp(testConfig({
    providers: [
      provider("claude", { preset: "anthropic", auth: "passthrough", baseUrl: plan.url }),
      provider("zai", {
        preset: "zai",
        baseUrl: fallback.url,
        apiKeys: ["zai-key-0000000000"],
        authHeader: "bearer",
      }),
    ],
    routes: { default: ["claude/claude-sonnet-4-5", "zai/glm-4.7"] },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk-ant-oat01-CLIENTOAUTH",
        "anthropic-beta": "oauth-2025-04-20",
      },
      body: JSON.stringify(claudeCodeBody(false)),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).model, "claude-opus-5-5");
    const sent = plan.requests[0]!;
    assert.equal(sent.headers.get("authorization"), "Bearer sk-ant-oat01-CLIENTOAUTH");
    assert.equal(sent.headers.get("anthropic-beta"), "oauth-2025-04-20");
    assert.equal(fallback.requests[0]!.headers.get("authorization"), "Bearer zai-key-0000000000");
    assert.ok(
      !fallback.requests[0]!.headers.get("authorization")!.includes("CLIENTOAUTH"),
      "client credential never reaches another provider",
    );
  } finally {
    await ccp.close();
    await plan.close();
    await fallback.close();
  }
});

Deno.test("a provider sent ccp's own key is not sent the client's OAuth login beta; a passthrough one is", async () => {
  const plan = startAnthropicMock([
    {
      kind: "json",
      status: 429,
      body: anthropicErrorBody("rate_limit_error", "5-hour limit reached"),
      headers: { "retry-after": "3600" },
    },
  ]);
  const api = startAnthropicMock([{ kind: "json", body: thinkingTextToolMessage("m") }]);
  const ccp = startCcp(testConfig({
    providers: [
      provider("claude", { preset: "anthropic", auth: "passthrough", baseUrl: plan.url }),
      provider("api", {
        preset: "anthropic",
        baseUrl: api.url,
        apiKeys: ["sk-ant-api03-0000000000"],
      }),
    ],
    routes: { default: ["claude/claude-sonnet-4-5", "api/claude-sonnet-4-5"] },
  }));
  try {
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk-ant-oat01-CLIENTOAUTH",
        "anthropic-beta": "claude-code-20250219,oauth-2025-04-20,effort-2025-11-24",
      },
      body: JSON.stringify(claudeCodeBody(false)),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(
      plan.requests[0]!.headers.get("anthropic-beta"),
      "claude-code-20250219,oauth-2025-04-20,effort-2025-11-24",
    );
    assert.equal(
      api.requests[0]!.headers.get("anthropic-beta"),
      "claude-code-20250219,effort-2025-11-24",
    );
  } finally {
    await ccp.close();
    await plan.close();
    await api.close();
  }
});
