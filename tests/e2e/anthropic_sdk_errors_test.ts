/**
 * ccp's errors as the official Anthropic TypeScript SDK's client meets them: each status gives
 * the SDK's class for it with `type`, message and `request-id` intact, and the SDK's automatic
 * retries do what ccp's answers invite — a quick retry where ccp tried once, a wait after ccp
 * already retried, none where waiting is pointless or longer than a call should hang.
 */

import assert from "node:assert/strict";
import { Anthropic } from "../helpers/anthropic_sdk.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import type { AppDeps } from "../../src/server/deps.ts";
import { openingMessage } from "../mocks/anthropic_fixtures.ts";

const TOKEN = "ccp-token-0123456789abcdef";
const CI_TOKEN = "ci-token-0123456789abcdef0";

/** One upstream answer: a status with an Anthropic error body (or a message), some headers. */
type Reply = { status: number; headers?: Record<string, string> } | "ok" | "midstream-overloaded";

/**
 * An Anthropic-compatible upstream that answers by the upstream model name: `s<status>` always
 * fails so, `seq` plays `replies` in order (the last repeats).
 */
function startUpstream(replies: Reply[] = ["ok"]) {
  const seen: Array<{ model: string; retryCount: string | null }> = [];
  let played = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const model = String(body.model);
    seen.push({ model, retryCount: req.headers.get("x-stainless-retry-count") });
    const status = /^s(\d{3})$/.exec(model)?.[1];
    const reply: Reply = status
      ? { status: Number(status) }
      : replies[Math.min(played++, replies.length - 1)]!;
    if (reply === "ok") {
      return Response.json({
        id: "msg_up",
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text: "hello" }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      });
    }
    if (reply === "midstream-overloaded") {
      const start = {
        type: "message_start",
        message: openingMessage("msg_up", model, { input_tokens: 3, output_tokens: 1 }),
      };
      const error = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
      return new Response(
        `event: message_start\ndata: ${JSON.stringify(start)}\n\n` +
          `event: content_block_start\ndata: {"type":"content_block_start","index":0,` +
          `"content_block":{"type":"text","text":""}}\n\n` +
          `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,` +
          `"delta":{"type":"text_delta","text":"hel"}}\n\n` +
          `event: error\ndata: ${JSON.stringify(error)}\n\n`,
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    const type = {
      400: "invalid_request_error",
      401: "authentication_error",
      404: "not_found_error",
      413: "request_too_large",
      429: "rate_limit_error",
      529: "overloaded_error",
    }[reply.status] ?? "api_error";
    return Response.json(
      { type: "error", error: { type, message: `upstream says ${reply.status}` } },
      { status: reply.status, headers: reply.headers },
    );
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    close: () => server.shutdown(),
  };
}

async function withCcp(
  options: {
    replies?: Reply[];
    over?: Partial<ProviderConfig>;
    deps?: Partial<AppDeps>;
  },
  run: (
    client: (options?: { apiKey?: string; maxRetries?: number }) => Anthropic,
    upstream: ReturnType<typeof startUpstream>,
    url: string,
  ) => Promise<void>,
): Promise<void> {
  const upstream = startUpstream(options.replies);
  const config = testConfig({
    providers: [
      provider("up", {
        type: "anthropic",
        baseUrl: upstream.url,
        apiKeys: ["k1"],
        ...options.over,
      }),
      // Counted locally (it is not an Anthropic endpoint), and never called here.
      provider("oai", { type: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKeys: ["k2"] }),
    ],
    routes: { default: "up/seq" },
    authToken: TOKEN,
    maxBodyBytes: 4096,
  });
  const ccp = startCcp({
    ...config,
    server: { ...config.server, clients: [{ name: "ci", token: CI_TOKEN, routes: ["default"] }] },
  }, options.deps);
  const client = (o: { apiKey?: string; maxRetries?: number } = {}) =>
    new Anthropic({ baseURL: ccp.url, apiKey: o.apiKey ?? TOKEN, maxRetries: o.maxRetries ?? 0 });
  try {
    await run(client, upstream, ccp.url);
  } finally {
    await ccp.close();
    await upstream.close();
  }
}

const ASK = { max_tokens: 16, messages: [{ role: "user" as const, content: "hi" }] };

/** The error a call rejects with. */
async function failure(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const error = await call.then(() => undefined, (e) => e);
  assert.ok(error instanceof Anthropic.APIError, `expected an APIError, got ${error}`);
  return error;
}

Deno.test("SDK errors: each ccp status is the SDK's class for it, with type, message and request-id", async () => {
  await withCcp(
    { deps: { countTokens: () => Promise.reject(new Error("counter broke")) } },
    async (client) => {
      const sdk = client();
      const cases: Array<{
        label: string;
        call: () => Promise<unknown>;
        class: typeof Anthropic.APIError<number, Headers>;
        status: number;
        type: string;
        message: RegExp;
        requestId: boolean;
      }> = [
        {
          label: "upstream 400",
          call: () => sdk.messages.create({ model: "up/s400", ...ASK }),
          class: Anthropic.BadRequestError,
          status: 400,
          type: "invalid_request_error",
          message: /upstream says 400/,
          requestId: true,
        },
        {
          label: "ccp's own request check",
          call: () => sdk.messages.create({ model: "claude-sonnet-5", ...ASK, max_tokens: -1 }),
          class: Anthropic.BadRequestError,
          status: 400,
          type: "invalid_request_error",
          message: /max_tokens/,
          requestId: true,
        },
        {
          label: "a wrong ccp token",
          call: () => client({ apiKey: "wrong-token" }).messages.create({ model: "x", ...ASK }),
          class: Anthropic.AuthenticationError,
          status: 401,
          type: "authentication_error",
          message: /ANTHROPIC_AUTH_TOKEN/,
          requestId: true,
        },
        {
          label: "a client outside its routes",
          call: () => client({ apiKey: CI_TOKEN }).messages.create({ model: "up/s400", ...ASK }),
          class: Anthropic.PermissionDeniedError,
          status: 403,
          type: "permission_error",
          message: /explicit/,
          requestId: true,
        },
        {
          label: "upstream 404",
          call: () => sdk.messages.create({ model: "up/s404", ...ASK }),
          class: Anthropic.NotFoundError,
          status: 404,
          type: "not_found_error",
          message: /upstream says 404/,
          requestId: true,
        },
        {
          label: "a body over server.max_body_size",
          call: () =>
            sdk.messages.create({
              model: "claude-sonnet-5",
              max_tokens: 16,
              messages: [{ role: "user", content: "x".repeat(8192) }],
            }),
          class: Anthropic.ContentTooLargeError,
          status: 413,
          type: "request_too_large",
          message: /4096|4 ?KiB|max_body_size/i,
          requestId: true,
        },
        {
          label: "upstream 429",
          call: () => sdk.messages.create({ model: "up/s429", ...ASK }),
          class: Anthropic.RateLimitError,
          status: 429,
          type: "rate_limit_error",
          message: /429/,
          requestId: true,
        },
        {
          label: "ccp's own failure (the local token counter threw)",
          call: () => sdk.messages.countTokens({ model: "oai/m", messages: ASK.messages }),
          class: Anthropic.InternalServerError,
          status: 500,
          type: "api_error",
          message: /counter broke|[Ii]nternal/,
          requestId: false,
        },
        {
          label: "upstream 500 (a gateway error)",
          call: () => sdk.messages.create({ model: "up/s500", ...ASK }),
          class: Anthropic.InternalServerError,
          status: 502,
          type: "api_error",
          message: /upstream says 500/,
          requestId: true,
        },
        {
          label: "upstream 503",
          call: () => sdk.messages.create({ model: "up/s503", ...ASK }),
          class: Anthropic.ServiceUnavailableError,
          status: 503,
          type: "api_error",
          message: /upstream says 503/,
          requestId: true,
        },
        {
          label: "upstream 529",
          call: () => sdk.messages.create({ model: "up/s529", ...ASK, stream: true }),
          class: Anthropic.OverloadedError,
          status: 529,
          type: "overloaded_error",
          message: /upstream says 529/,
          requestId: true,
        },
      ];
      for (const c of cases) {
        const error = await failure(c.call());
        assert.ok(
          error instanceof c.class,
          `${c.label}: ${error.constructor.name} ${error.message}`,
        );
        assert.equal(error.status, c.status, c.label);
        assert.equal(error.type, c.type, c.label);
        assert.match(error.apiMessage ?? "", c.message, c.label);
        assert.match(error.message, new RegExp(`^${c.status} `), c.label);
        if (c.requestId) assert.match(error.requestID ?? "", /^req_/, `${c.label}: request-id`);
      }
    },
  );
});

Deno.test("SDK errors: an error after the stream started is the SDK's APIError with its type", async () => {
  await withCcp({ replies: ["midstream-overloaded"] }, async (client) => {
    const stream = client().messages.stream({ model: "claude-sonnet-5", ...ASK });
    let text = "";
    stream.on("text", (delta) => (text += delta));
    const error = await failure(stream.finalMessage());
    assert.equal(error.status, undefined, "no status: the answer had started as a 200");
    assert.equal(error.type, "overloaded_error");
    assert.equal(text, "hel", "what came before the error was delivered");
  });
});

Deno.test("SDK retries: a 529 ccp tried once is retried by the SDK at once, and then served", async () => {
  await withCcp({ replies: [{ status: 529 }, "ok"] }, async (client, upstream) => {
    const started = Date.now();
    const message = await client({ maxRetries: 2 }).messages.create({
      model: "claude-sonnet-5",
      ...ASK,
    });
    assert.deepEqual(message.content, [{ type: "text", text: "hello" }]);
    assert.deepEqual(upstream.seen.map((s) => s.retryCount), ["0", "1"], "the SDK's retry");
    // ccp's answer set no wait: the SDK used its own short backoff (0.5 s, jittered).
    assert.ok(Date.now() - started < 1500, `${Date.now() - started} ms`);
  });
});

Deno.test("SDK retries: after ccp retried to exhaustion, its answer asks for ccp's next backoff", async () => {
  // A provider that retries a 529 in place (not in fallback_on), once.
  await withCcp({ over: { fallbackOn: [], maxRetries: 1 } }, async (_client, upstream, url) => {
    const res = await postMessages(url, { model: "up/s529", ...ASK }, { "x-api-key": TOKEN });
    await res.body?.cancel();
    assert.equal(res.status, 529);
    assert.equal(upstream.seen.length, 2, "ccp tried twice");
    // Two tries: the next would have waited up to 2 s (1 s doubling), so not a quick retry.
    assert.equal(res.headers.get("retry-after"), "2");
    assert.equal(res.headers.get("x-should-retry"), null, "the retry stays the client's");
  });
});

Deno.test("SDK retries: a wait too long to sit out in one call ends the call at once", async () => {
  // An upstream that refuses ccp's only key: it is set aside for half an hour.
  await withCcp({ replies: [{ status: 401 }] }, async (client, upstream) => {
    const started = Date.now();
    const error = await failure(
      client({ maxRetries: 2 }).messages.create(
        { model: "claude-sonnet-5", ...ASK },
        // Without the header the SDK would sleep out the Retry-After: this ends the test then.
        { signal: AbortSignal.timeout(3000) },
      ),
    );
    assert.ok(error instanceof Anthropic.ServiceUnavailableError, String(error));
    assert.equal((error.error as { error: { code?: string } }).error.code, "auth_unavailable");
    assert.ok(Number(error.headers?.get("retry-after")) > 60, "the wait is still said");
    assert.equal(error.headers?.get("x-should-retry"), "false");
    assert.equal(upstream.seen.length, 1, "no retry by the SDK");
    assert.ok(Date.now() - started < 1000);
  });
  // A rate limit the upstream says lasts ten minutes.
  await withCcp(
    { replies: [{ status: 429, headers: { "retry-after": "600" } }] },
    async (client, upstream) => {
      const error = await failure(
        client({ maxRetries: 2 }).messages.create(
          { model: "claude-sonnet-5", ...ASK },
          { signal: AbortSignal.timeout(3000) },
        ),
      );
      assert.ok(error instanceof Anthropic.RateLimitError, String(error));
      assert.equal(error.headers?.get("retry-after"), "600");
      assert.equal(error.headers?.get("x-should-retry"), "false");
      assert.equal(upstream.seen.length, 1);
    },
  );
  // Shorter ones (a per-minute limit, a few minutes) are left to the SDK's retries, which wait
  // them out as they would Anthropic's own.
  for (const seconds of ["30", "240"]) {
    await withCcp(
      { replies: [{ status: 429, headers: { "retry-after": seconds } }] },
      async (client) => {
        const error = await failure(
          client().messages.create({ model: "claude-sonnet-5", ...ASK }),
        );
        assert.equal(error.headers?.get("retry-after"), seconds);
        assert.equal(error.headers?.get("x-should-retry"), null, `${seconds} s`);
      },
    );
  }
});
