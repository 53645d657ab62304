/**
 * The server's HTTP surface as a client meets it: the token on every route but the probes, clear
 * Anthropic-shaped errors for bad input and unknown paths, GET /health, and a request-id on
 * every answer. Routing, model lists and count_tokens have their own http_*_test.ts files.
 */

import assert from "node:assert/strict";
import { thinkingTextToolMessage } from "../mocks/anthropic_fixtures.ts";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { createLogger } from "../../src/core/log.ts";
import { SharedMonitor } from "../../src/shared/monitor.ts";
import { auth, body, TOKEN, withCcp } from "./_http_surface_env.ts";

Deno.test("auth: every route but the probes needs the token, in any of three headers", async (t) => {
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp) => {
    let firstId = "";
    let latestId = "";
    await t.step("missing token → 401 authentication_error", async () => {
      const res = await fetch(`${ccp.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(),
      });
      assert.equal(res.status, 401);
      firstId = res.headers.get("request-id") ?? "";
      const json = await res.json();
      assert.equal(json.error.type, "authentication_error");
      assert.match(json.error.message, /ANTHROPIC_AUTH_TOKEN/);
    });
    await t.step("wrong token → 401", async () => {
      const res = await fetch(`${ccp.url}/v1/models`, { headers: { "x-api-key": "ccp-secreT" } });
      assert.equal(res.status, 401);
      await res.body?.cancel();
    });
    // Claude Code retries a 401 up to 10 times (minutes); retrying cannot
    // fix a wrong token, and Claude Code obeys x-should-retry: false.
    await t.step("the 401 tells Claude Code not to retry", async () => {
      const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer wrong" },
        body: body(),
      });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("x-should-retry"), "false");
      latestId = res.headers.get("request-id") ?? "";
      await res.body?.cancel();
    });
    await t.step("refusals are in the log, one line a minute, never the token sent", () => {
      const refused = ccp.logs.filter((line) => / WARN .*Refused/.test(line));
      assert.equal(refused.length, 1, refused.join("\n"));
      assert.match(refused[0]!, /Refused POST \/v1\/messages.*missing or wrong ccp token/);
      // The 401's request-id names the line that reports it.
      assert.match(firstId, /^req_/);
      assert.ok(refused[0]!.includes(`request ${firstId}`), refused[0]);
      // The others, counted in the next warning, each have a debug line (this log is at debug).
      assert.ok(ccp.logs.some((line) => line.includes(`(request ${latestId})`)), latestId);
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

Deno.test("a compressed body is read as Anthropic's API reads it, its size limit on the decoded bytes", async (t) => {
  const compressed = async (text: string, format: string) =>
    new Uint8Array(
      await new Response(
        new Blob([text]).stream().pipeThrough(new CompressionStream(format as CompressionFormat)),
      ).arrayBuffer(),
    );
  const post = (url: string, path: string, encoding: string, payload: BodyInit) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { ...auth, "content-encoding": encoding },
      body: payload,
    });
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp, mock) => {
    for (
      const [encoding, format] of [
        ["gzip", "gzip"],
        ["deflate", "deflate"],
        // The bare deflate stream, without the zlib wrapper: what some clients send as deflate.
        ["deflate", "deflate-raw"],
        ["br", "brotli"],
      ] as const
    ) {
      await t.step(`${encoding} (${format}): served, the upstream sent the JSON`, async () => {
        const before = mock.requests.length;
        const res = await post(
          ccp.url,
          "/v1/messages?beta=true",
          encoding,
          await compressed(body(), format),
        );
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal((await res.json()).type, "message");
        assert.equal(mock.requests.length, before + 1);
        assert.deepEqual(mock.requests.at(-1)!.body!.messages, [{ role: "user", content: "hi" }]);
      });
    }
    await t.step("count_tokens reads one too", async () => {
      const count = JSON.stringify({
        model: "claude-sonnet-4-5",
        messages: [{ role: "user", content: "hi" }],
      });
      const res = await post(
        ccp.url,
        "/v1/messages/count_tokens",
        "gzip",
        await compressed(count, "gzip"),
      );
      assert.equal(res.status, 200);
      assert.equal(typeof (await res.json()).input_tokens, "number");
    });
    for (const format of ["gzip", "deflate", "deflate-raw"]) {
      await t.step(`a small ${format} body that decodes past the limit: 413`, async () => {
        const packed = await compressed(body({ pad: "x".repeat(50_000) }), format);
        assert.ok(packed.byteLength < 4096);
        const encoding = format === "gzip" ? "gzip" : "deflate";
        const res = await post(ccp.url, "/v1/messages", encoding, packed);
        assert.equal(res.status, 413);
        assert.equal((await res.json()).error.type, "request_too_large");
      });
    }
    await t.step("a deflate body sent a byte at a time is read whole", async () => {
      const packed = await compressed(body(), "deflate-raw");
      const bytes = new ReadableStream<Uint8Array>({
        start(controller) {
          for (const byte of packed) controller.enqueue(Uint8Array.of(byte));
          controller.close();
        },
      });
      const res = await post(ccp.url, "/v1/messages", "deflate", bytes);
      assert.equal(res.status, 200, await res.clone().text());
      await res.body?.cancel();
    });
    await t.step("bytes that are not what the header says: 400 naming the encoding", async () => {
      const res = await post(ccp.url, "/v1/messages", "gzip", body());
      assert.equal(res.status, 400);
      const error = (await res.json()).error;
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, /could not be decoded as gzip/);
    });
    await t.step("an encoding ccp cannot decode: 400 naming it", async () => {
      const res = await post(ccp.url, "/v1/messages", "compress", body());
      assert.equal(res.status, 400);
      const error = (await res.json()).error;
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, /encoded as "compress".*uncompressed, or as gzip, deflate or br/);
    });
  }, { maxBodyBytes: 4096 });
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
    // A person looking for the status page by another name is told where it is.
    const page = await fetch(`${ccp.url}/status`, { headers: auth });
    assert.equal(page.status, 404);
    assert.match(
      (await page.json()).error.message,
      /^Not found: GET \/status; .*status page is GET \/ui/,
    );
    const other = await fetch(`${ccp.url}/nothing-here`, { headers: auth });
    assert.equal((await other.json()).error.message, "Not found: GET /nothing-here");
  });
});

Deno.test("the SDKs' other Anthropic APIs get a 404 naming the API and what ccp serves", async () => {
  await withCcp([{ kind: "hang" }], async (ccp) => {
    // As the Anthropic SDK calls them: messages.batches.create/list, beta.files.list, complete.
    const calls: Array<[string, string, string]> = [
      ["POST", "/v1/messages/batches", "the Message Batches API"],
      ["GET", "/v1/messages/batches?limit=20", "the Message Batches API"],
      ["GET", "/v1/messages/batches/msgbatch_1/results", "the Message Batches API"],
      ["GET", "/v1/files?beta=true", "the Files API"],
      ["POST", "/v1/complete", "the legacy Text Completions API"],
    ];
    for (const [method, path, api] of calls) {
      const res = await fetch(`${ccp.url}${path}`, {
        method,
        headers: { ...auth, "anthropic-beta": "files-api-2025-04-14" },
        ...(method === "POST" ? { body: "{}" } : {}),
      });
      assert.equal(res.status, 404, path);
      assert.ok(res.headers.get("request-id"), path);
      const error = (await res.json()).error;
      assert.equal(error.type, "not_found_error");
      const bare = path.split("?")[0];
      assert.equal(
        error.message,
        `Not found: ${method} ${bare}; ccp does not offer ${api}; it serves the Messages API ` +
          "(POST /v1/messages, POST /v1/messages/count_tokens) and GET /v1/models: send each " +
          "request to POST /v1/messages",
      );
    }
  });
});

Deno.test("ANTHROPIC_BASE_URL with /v1: the 400 and the log say to drop the path", async () => {
  await withCcp([{ kind: "hang" }], async (ccp) => {
    // Claude Code appends /v1/messages itself; it shows a 404 as "an issue with the selected
    // model" and hides its message, so the answer is a 400, which it shows whole.
    for (
      const path of ["/v1/v1/messages?beta=true", "/v1/v1/messages/count_tokens", "/v1/v1/models"]
    ) {
      const res = await fetch(`${ccp.url}${path}`, {
        method: path.endsWith("models") ? "GET" : "POST",
        headers: auth,
        ...(path.endsWith("models") ? {} : { body: body() }),
      });
      assert.equal(res.status, 400, path);
      const error = (await res.json()).error;
      assert.equal(error.type, "invalid_request_error");
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
