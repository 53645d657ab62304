import assert from "node:assert/strict";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { thinkingTextToolMessage, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { createLogger } from "../../src/core/log.ts";
import { SharedMonitor } from "../../src/shared/monitor.ts";

const TOKEN = "ccp-secret";
const body = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 100,
    messages: [{ role: "user", content: "hi" }],
    ...over,
  });

async function withCcp(
  replies: Parameters<typeof startAnthropicMock>[0],
  run: (
    ccp: ReturnType<typeof startCcp>,
    mock: ReturnType<typeof startAnthropicMock>,
  ) => Promise<void>,
  over: { maxBodyBytes?: number; countTokens?: boolean; models?: string[] } = {},
) {
  const mock = startAnthropicMock(replies);
  const ccp = startCcp(testConfig({
    providers: [
      provider("up", {
        baseUrl: mock.url,
        apiKeys: ["k-1234567890"],
        countTokens: over.countTokens ?? true,
        models: over.models ?? [],
      }),
      provider("alt", { baseUrl: mock.url, models: ["alt-model"] }),
    ],
    routes: { default: "up/def", sonnet: "up/son", haiku: ["alt/h1", "up/h2"] },
    aliases: { "my-fast": "alt/fast" },
    authToken: TOKEN,
    maxBodyBytes: over.maxBodyBytes,
  }));
  try {
    await run(ccp, mock);
  } finally {
    await ccp.close();
    await mock.close();
  }
}

const auth = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };

Deno.test("auth: every route but the probes needs the token, in any of three headers", async (t) => {
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp) => {
    await t.step("missing token → 401 authentication_error", async () => {
      const res = await fetch(`${ccp.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(),
      });
      assert.equal(res.status, 401);
      const json = await res.json();
      assert.equal(json.error.type, "authentication_error");
      assert.match(json.error.message, /ANTHROPIC_AUTH_TOKEN/);
    });
    await t.step("wrong token → 401", async () => {
      const res = await fetch(`${ccp.url}/v1/models`, { headers: { "x-api-key": "ccp-secreT" } });
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });
    // CLAUDE_CODE_WIRE.md §5: Claude Code retries a 401 up to 10 times (minutes); retrying cannot
    // fix a wrong token, and Claude Code obeys x-should-retry: false.
    await t.step("the 401 tells Claude Code not to retry", async () => {
      const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer wrong" },
        body: body(),
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("x-should-retry"), "false");
      await res.body?.cancel();
    });
    await t.step("refusals are in the log, one line a minute, never the token sent", () => {
      const refused = ccp.logs.filter((line) => line.includes("Refused"));
      assert.equal(refused.length, 1, refused.join("\n"));
      assert.match(refused[0]!, /Refused POST \/v1\/messages.*missing or wrong ccp token/);
      assert.ok(
        !ccp.logs.some((line) => /ccp-secreT|Bearer wrong/.test(line)),
        ccp.logs.join("\n"),
      );
    });
    const headers: Record<string, string>[] = [{ "x-api-key": TOKEN }, {
      authorization: `Bearer ${TOKEN}`,
    }, { "anthropic-auth-token": TOKEN }];
    for (const header of headers) {
      await t.step(`accepted in ${Object.keys(header)[0]}`, async () => {
        const res = await fetch(`${ccp.url}/v1/models`, { headers: header });
        assert.equal(res.status, 200);
        await res.body?.cancel();
      });
    }
    await t.step("probes answer without a token", async () => {
      for (const [method, path] of [["HEAD", "/"], ["HEAD", "/api/hello"], ["GET", "/health"]]) {
        const res = await fetch(`${ccp.url}${path}`, { method });
        assert.equal(res.status, 200, `${method} ${path}`);
        await res.body?.cancel();
      }
      const root = await fetch(`${ccp.url}/`);
      assert.equal(root.status, 401, "GET / is not a probe");
      await root.body?.cancel();
    });
    await t.step("token with a model suffix authenticates and routes", async () => {
      const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${TOKEN}:alt/picked`,
        },
        body: body(),
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
    });
  });
});

Deno.test("bad input gets a clear Anthropic-shaped 400/413", async (t) => {
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp, mock) => {
    const cases: Array<[string, string, number, string, RegExp]> = [
      ["not JSON", "{nope", 400, "invalid_request_error", /not valid JSON/],
      ["empty body", "", 400, "invalid_request_error", /empty/],
      ["array body", "[]", 400, "invalid_request_error", /JSON object/],
      [
        "missing model",
        JSON.stringify({ max_tokens: 1, messages: [] }),
        400,
        "invalid_request_error",
        /^model: Field required$/,
      ],
      [
        "missing max_tokens",
        JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        400,
        "invalid_request_error",
        /^max_tokens: Field required$/,
      ],
      [
        "empty messages",
        JSON.stringify({ model: "m", max_tokens: 1, messages: [] }),
        400,
        "invalid_request_error",
        /^messages: at least one message is required$/,
      ],
      [
        "missing messages",
        JSON.stringify({ model: "m", max_tokens: 1 }),
        400,
        "invalid_request_error",
        /^messages: Field required$/,
      ],
      [
        "max_tokens wrong type",
        body({ max_tokens: "10" }),
        400,
        "invalid_request_error",
        /^max_tokens: Input should be a positive integer$/,
      ],
      [
        "bad role",
        body({ messages: [{ role: "bot", content: "x" }] }),
        400,
        "invalid_request_error",
        /^messages\.0\.role: Input should be 'user', 'assistant' or 'system'$/,
      ],
      [
        "bad nested field",
        body({
          messages: [{
            role: "user",
            content: [{
              type: "image",
              source: { type: "base64", media_type: "image/png", data: 5 },
            }],
          }],
        }),
        400,
        "invalid_request_error",
        /^messages\.0\.content\.0\.source\.data: Input should be a valid string$/,
      ],
      [
        "empty model",
        body({ model: "" }),
        400,
        "invalid_request_error",
        /^model: Input should be a non-empty string$/,
      ],
      [
        "bad content",
        body({ messages: [{ role: "user", content: 5 }] }),
        400,
        "invalid_request_error",
        /^messages\.0\.content: /,
      ],
      [
        "too large",
        body({ pad: "x".repeat(5000) }),
        413,
        "request_too_large",
        /exceeds the .* limit/,
      ],
    ];
    for (const [name, payload, status, type, message] of cases) {
      await t.step(name, async () => {
        const res = await fetch(`${ccp.url}/v1/messages`, {
          method: "POST",
          headers: auth,
          body: payload,
        });
        assert.equal(res.status, status);
        const json = await res.json();
        assert.deepEqual(Object.keys(json), ["type", "error"]);
        assert.equal(json.error.type, type);
        assert.match(json.error.message, message);
      });
    }
    assert.equal(mock.requests.length, 0, "nothing invalid reached the upstream");
  }, { maxBodyBytes: 4096 });
});

Deno.test("routing: URL prefix, token suffix, alias, tier, default — upstream sees the right model", async () => {
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp, mock) => {
    const send = async (path: string, model: string, token = TOKEN) => {
      const res = await fetch(`${ccp.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": token },
        body: body({ model }),
      });
      assert.equal(res.status, 200);
      const json = await res.json();
      assert.equal(json.model, model, "answers carry the client's model name");
      return mock.requests.at(-1)!.body!.model;
    };
    assert.equal(await send("/up:prefixed/v1/messages?beta=true", "claude-opus-5-5"), "prefixed");
    assert.equal(await send("/up:org%2Fdeep:tag/v1/messages", "x"), "org/deep:tag");
    assert.equal(
      await send("/v1/messages", "claude-opus-5-5", `${TOKEN}:up/from-token`),
      "from-token",
    );
    assert.equal(await send("/v1/messages", "my-fast"), "fast");
    assert.equal(await send("/v1/messages", "up/explicit"), "explicit");
    assert.equal(await send("/v1/messages", "claude-sonnet-4-5-20250929"), "son");
    assert.equal(await send("/v1/messages", "claude-haiku-5-5"), "h1");
    assert.equal(await send("/v1/messages", "gpt-4o"), "def");
  });
});

Deno.test("count_tokens: forwarded to an Anthropic upstream, local when it cannot", async (t) => {
  await t.step("upstream answers", async () => {
    await withCcp([{ kind: "json", body: { input_tokens: 4242 } }], async (ccp, mock) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens?beta=true`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      assert.deepEqual(await res.json(), { input_tokens: 4242 });
      assert.equal(mock.requests[0]!.path, "/v1/messages/count_tokens");
      assert.equal(mock.requests[0]!.body!.model, "son");
    });
  });
  await t.step("upstream fails → local count", async () => {
    await withCcp(
      [{ kind: "json", status: 404, body: { error: { message: "no" } } }],
      async (ccp) => {
        const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        });
        assert.deepEqual(await res.json(), { input_tokens: 7 });
      },
    );
  });
  await t.step("provider without count_tokens → local, no upstream call", async () => {
    await withCcp([{ kind: "hang" }], async (ccp, mock) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.deepEqual(await res.json(), { input_tokens: 7 });
      assert.equal(mock.requests.length, 0);
    }, { countTokens: false });
  });
  await t.step("validation: messages required, max_tokens not", async () => {
    await withCcp([{ kind: "hang" }], async (ccp) => {
      const res = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ model: "m" }),
      });
      assert.equal(res.status, 400);
      assert.match((await res.json()).error.message, /^messages: Field required$/);
    });
  });
});

Deno.test("GET /v1/models lists routes, aliases and provider models in Anthropic's shape", async () => {
  await withCcp([{ kind: "hang" }], async (ccp) => {
    const res = await fetch(`${ccp.url}/v1/models?limit=1000`, { headers: auth });
    const json = await res.json();
    const ids = ["default", "sonnet", "haiku", "my-fast", "up/u1", "alt/alt-model"];
    assert.deepEqual(json.data.map((m: { id: string }) => m.id), ids);
    // Claude Code gets the same again under ids its /model picker keeps (it drops ids without
    // "claude"), as its discovery request names itself.
    const discovered = await (await fetch(`${ccp.url}/v1/models?limit=1000`, {
      headers: { ...auth, "user-agent": "claude-code/2.1.330" },
    })).json();
    assert.deepEqual(discovered.data.map((m: { id: string }) => m.id), [
      ...ids,
      ...ids.map((id) => `claude-ccp/${id}`),
    ]);
    assert.equal(discovered.last_id, "claude-ccp/alt/alt-model");
    for (const m of json.data) {
      assert.equal(m.type, "model");
      assert.equal(typeof m.display_name, "string");
      assert.match(m.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    assert.equal(json.has_more, false);
    assert.equal(json.first_id, "default");
    assert.equal(json.last_id, "alt/alt-model");
    const page =
      await (await fetch(`${ccp.url}/v1/models?limit=2&after_id=sonnet`, { headers: auth })).json();
    assert.deepEqual(page.data.map((m: { id: string }) => m.id), ["haiku", "my-fast"]);
    assert.equal(page.has_more, true);
  }, { models: ["u1"] });
});

Deno.test("GET /v1/models without paging lists every entry, however many", async () => {
  const models = Array.from({ length: 30 }, (_, i) => `m${i}`);
  await withCcp([{ kind: "hang" }], async (ccp) => {
    const json = await (await fetch(`${ccp.url}/v1/models`, { headers: auth })).json();
    assert.equal(json.data.length, 4 + models.length + 1);
    assert.equal(json.has_more, false);
    assert.equal(json.last_id, "alt/alt-model");
  }, { models });
});

Deno.test("a model picked from the discovered list routes like the name it stands for", async (t) => {
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp) => {
    const cases: Array<[string, string, string, string]> = [
      ["claude-ccp/my-fast", "alias:my-fast", "alt", "fast"],
      ["claude-ccp/alt/alt-model", "explicit", "alt", "alt-model"],
      ["claude-ccp/default", "default", "up", "def"],
      ["claude-ccp/haiku", "haiku", "alt", "h1"],
    ];
    for (const [model, route, provider, upstream] of cases) {
      await t.step(model, async () => {
        const res = await fetch(`${ccp.url}/v1/messages`, {
          method: "POST",
          headers: auth,
          body: body({ model }),
        });
        await res.body?.cancel();
        assert.equal(res.headers.get("x-ccp-route"), route);
        assert.equal(res.headers.get("x-ccp-provider"), provider);
        assert.equal(res.headers.get("x-ccp-model"), upstream);
      });
    }
  });
});

Deno.test("unknown paths and methods get Anthropic-shaped 404s", async () => {
  await withCcp([{ kind: "hang" }], async (ccp) => {
    const res = await fetch(`${ccp.url}/v1/complete`, {
      method: "POST",
      headers: auth,
      body: "{}",
    });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.type, "not_found_error");
  });
});

Deno.test("ANTHROPIC_BASE_URL with /v1: the 404 and the log say to drop the path", async () => {
  await withCcp([{ kind: "hang" }], async (ccp) => {
    // Claude Code appends /v1/messages itself; it shows a 404 as "an issue with the selected
    // model", so ccp's log is where the user can learn what is wrong.
    for (
      const path of ["/v1/v1/messages?beta=true", "/v1/v1/messages/count_tokens", "/v1/v1/models"]
    ) {
      const res = await fetch(`${ccp.url}${path}`, {
        method: path.endsWith("models") ? "GET" : "POST",
        headers: auth,
        ...(path.endsWith("models") ? {} : { body: body() }),
      });
      assert.equal(res.status, 404, path);
      const error = (await res.json()).error;
      assert.equal(error.type, "not_found_error");
      assert.match(error.message, new RegExp(`ANTHROPIC_BASE_URL=${ccp.url}[ )]`), path);
      assert.match(error.message, /without \/v1/);
    }
    assert.ok(
      ccp.logs.some((l) => l.includes("/v1/v1/messages") && l.includes("without /v1")),
      ccp.logs.join(""),
    );
  });
});

Deno.test("GET /health: only the status without the token, the detail with it", async () => {
  await withCcp([{ kind: "hang" }], async (ccp) => {
    const bare = await (await fetch(`${ccp.url}/health`)).json();
    assert.deepEqual(bare, { status: "ok", name: "ccp" });
    const json = await (await fetch(`${ccp.url}/health`, { headers: auth })).json();
    assert.equal(json.status, "ok");
    assert.equal(typeof json.uptime_s, "number");
  });
});

Deno.test("GET /health in closed mode with an engine away: 503, its address only with the token", async () => {
  const log = createLogger({ level: "error", write: () => {}, colour: false });
  const description = "PostgreSQL at postgres://ccp_user:***@db.internal:5432/ccp";
  const shared = new SharedMonitor(
    [{ name: "postgres", description, ping: () => Promise.resolve(false) }],
    "closed",
    log,
  );
  await shared.check();
  const ccp = startCcp(
    testConfig({ providers: [provider("up", {})], routes: { default: "up/m" }, authToken: TOKEN }),
    { shared },
  );
  try {
    const bare = await fetch(`${ccp.url}/health`);
    assert.equal(bare.status, 503);
    const text = await bare.text();
    assert.match(text, /"status":"unavailable"/);
    assert.match(text, /shared\.postgres unreachable/);
    assert.ok(!text.includes("db.internal") && !text.includes("ccp_user"), text);
    const full = await (await fetch(`${ccp.url}/health`, { headers: auth })).json();
    assert.ok(full.reason.includes(description), full.reason);
  } finally {
    await ccp.close();
  }
});

Deno.test("a streamed answer through the haiku chain falls over to its second target", async () => {
  await withCcp(
    [{
      kind: "json",
      status: 503,
      body: { type: "error", error: { type: "api_error", message: "down" } },
    }, { kind: "stream", events: thinkingTextToolTurn("up") }],
    async (ccp, mock) => {
      const res = await fetch(`${ccp.url}/v1/messages`, {
        method: "POST",
        headers: auth,
        body: body({ model: "claude-haiku-5-5", stream: true }),
      });
      assert.equal(res.status, 200);
      assert.equal(parseSse(await res.text()).at(-1)!.event, "message_stop");
      assert.deepEqual(mock.requests.map((r) => r.body!.model), ["h1", "h2"]);
    },
  );
});

Deno.test("every API answer has a request-id, as Anthropic's do", async () => {
  await withCcp(
    [{ kind: "json", status: 404, body: { error: { message: "no" } } }],
    async (ccp) => {
      const answers = [
        await fetch(`${ccp.url}/v1/models`, { headers: auth }),
        await fetch(`${ccp.url}/v1/models/up%2Fdef`, { headers: auth }),
        await fetch(`${ccp.url}/v1/messages/count_tokens`, {
          method: "POST",
          headers: auth,
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        }),
        await fetch(`${ccp.url}/v1/nowhere`, { headers: auth }),
      ];
      for (const res of answers) {
        await res.body?.cancel();
        assert.match(res.headers.get("request-id") ?? "", /^req_[0-9A-Za-z]{24}$/, res.url);
      }
      const ids = new Set(answers.map((res) => res.headers.get("request-id")));
      assert.equal(ids.size, answers.length, "one id per answer");
    },
  );
});
