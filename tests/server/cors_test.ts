/**
 * Browser clients (`server.cors`): preflights as the Anthropic TypeScript SDK's make them (with
 * `dangerouslyAllowBrowser`), and the headers that let the page read answers, errors and streams.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { describeConfig } from "../../src/config/describe.ts";
import { parseSse, postMessages, startCcp, startGuardedCcp } from "../helpers/ccp.ts";
import { textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { withCors } from "../../src/server/cors.ts";

const PAGE = "http://localhost:5173";
const USAGE = { input_tokens: 3, output_tokens: 1 };
const TOKEN = "cors-test-token-0123456789";

/** The request headers the Anthropic TypeScript SDK sends from a browser. */
const SDK_HEADERS = [
  "accept",
  "anthropic-beta",
  "anthropic-dangerous-direct-browser-access",
  "anthropic-version",
  "content-type",
  "x-api-key",
  "x-stainless-arch",
  "x-stainless-lang",
  "x-stainless-os",
  "x-stainless-package-version",
  "x-stainless-retry-count",
  "x-stainless-runtime",
  "x-stainless-runtime-version",
  "x-stainless-timeout",
];

function config(mockUrl: string, cors: string) {
  return configFromYaml({
    file: "c.yaml",
    env: {},
    text: `
server:
  auth_token: ${TOKEN}
${cors}
providers:
  up: { type: anthropic, base_url: "${mockUrl}", api_key: k }
routes: { default: up/m }
`,
  });
}

function preflight(url: string, origin: string, extra: Record<string, string> = {}) {
  return fetch(`${url}/v1/messages`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": [...SDK_HEADERS, "x-not-sent-by-sdks"].join(","),
      ...extra,
    },
  });
}

function post(url: string, origin: string, body: Record<string, unknown>, token = TOKEN) {
  return postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 16,
    messages: [{ role: "user", content: "hi" }],
    ...body,
  }, {
    origin,
    "x-api-key": token,
    "anthropic-version": "2023-06-01",
    "anthropic-dangerous-direct-browser-access": "true",
  });
}

Deno.test("cors: off by default, a preflight is not answered and no answer names an origin", async () => {
  const mock = startAnthropicMock([{ kind: "json", body: textMessage("m", USAGE) }]);
  const ccp = startCcp(config(mock.url, ""));
  try {
    const pre = await preflight(ccp.url, PAGE);
    await pre.body?.cancel();
    assert.equal(pre.status, 401, "asked for the token, as any request without one");
    assert.equal(pre.headers.get("access-control-allow-origin"), null);
    const res = await post(ccp.url, PAGE, {});
    await res.body?.cancel();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("vary"), null);
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("cors: a page of another site is refused before anything is sent, token or not, unless listed", async () => {
  const mock = startAnthropicMock([{ kind: "json", body: textMessage("m", USAGE) }]);
  const open = startCcp(configFromYaml({
    file: "c.yaml",
    env: {},
    text: `
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: k }
routes: { default: up/m }
`,
  }));
  const listed = startCcp(config(mock.url, "  cors: { origins: [https://chat.example] }"));
  // What a page sends without asking first: a text/plain body and no token header.
  const plain = (url: string, origin: string) =>
    fetch(`${url}/v1/messages`, {
      method: "POST",
      headers: { origin, "content-type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({
        model: "m",
        max_tokens: 8,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
  try {
    // A name an attacker's DNS points at ccp is refused even when it is the request's own host
    // (sent by hand: fetch writes its own Host header).
    const port = new URL(open.url).port;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    const head = `POST /v1/messages HTTP/1.1\r\nhost: rebound.example:${port}\r\n` +
      `origin: http://rebound.example:${port}\r\ncontent-type: text/plain\r\n` +
      `content-length: 2\r\nconnection: close\r\n\r\n{}`;
    await conn.write(new TextEncoder().encode(head));
    const answer = await new Response(conn.readable).text();
    assert.match(answer, /^HTTP\/1\.1 403/, "a rebound host name");
    for (const origin of ["https://evil.example", "null", "http://192.168.1.20:8080"]) {
      const res = await plain(open.url, origin);
      const body = await res.json();
      assert.equal(res.status, 403, origin);
      assert.equal(body.error.type, "permission_error");
      assert.match(body.error.message, /may not call ccp: add it to server\.cors\.origins/);
      assert.equal(res.headers.get("access-control-allow-origin"), null);
    }
    const other = await post(listed.url, "https://evil.example", {});
    assert.equal(other.status, 403, "another site, with the token");
    await other.body?.cancel();
    assert.equal(mock.requests.length, 0, "nothing reached the upstream");
    // ccp's own pages, pages of this machine, and apps whose origin is not a web one, as before.
    const own = new URL(open.url).origin;
    for (
      const origin of [own, "http://localhost:3000", "app://obsidian.md", "vscode-webview://x"]
    ) {
      const res = await plain(open.url, origin);
      await res.body?.cancel();
      assert.equal(res.status, 200, origin);
    }
    const page = await post(listed.url, "https://chat.example", {});
    await page.body?.cancel();
    assert.equal(page.status, 200, "a listed origin");
    assert.equal(page.headers.get("access-control-allow-origin"), "https://chat.example");
  } finally {
    await open.close();
    await listed.close();
    await mock.close();
  }
});

Deno.test("cors: a browser extension's request is refused like another site's, unless listed", async () => {
  const mock = startAnthropicMock([{ kind: "json", body: textMessage("m", USAGE) }]);
  const LISTED = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";
  const open = startCcp(configFromYaml({
    file: "c.yaml",
    env: {},
    text: `
server:
  cors: { origins: ["${LISTED}"] }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: k }
routes: { default: up/m }
`,
  }));
  // What an extension sends without host permission for ccp: a text/plain body, no token.
  const plain = (origin: string) =>
    fetch(`${open.url}/v1/messages`, {
      method: "POST",
      headers: { origin, "content-type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({
        model: "m",
        max_tokens: 8,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
  try {
    for (
      const origin of [
        "chrome-extension://pponmlkjihgfedcbapponmlkjihgfedcba",
        "moz-extension://6b9a3f5e-2c1d-4e8f-9a7b-0c1d2e3f4a5b",
        "safari-web-extension://7C1A2B3D-4E5F-6071-8293-A4B5C6D7E8F9",
      ]
    ) {
      const res = await plain(origin);
      const body = await res.json();
      assert.equal(res.status, 403, origin);
      assert.match(body.error.message, /may not call ccp: add it to server\.cors\.origins/);
    }
    assert.equal(mock.requests.length, 0, "nothing reached the upstream");
    const listed = await plain(LISTED);
    await listed.body?.cancel();
    assert.equal(listed.status, 200, "an extension listed by its origin");
    assert.equal(listed.headers.get("access-control-allow-origin"), LISTED);
  } finally {
    await open.close();
    await mock.close();
  }
});

for (const guarded of [false, true]) {
  Deno.test(`cors: a listed origin's page may call ccp${guarded ? " (connection guard)" : ""}`, async (t) => {
    const mock = startAnthropicMock([
      { kind: "json", body: textMessage("m", USAGE) },
      { kind: "stream", events: textTurn("m", 3) },
      { kind: "json", body: textMessage("m", USAGE) },
    ]);
    const cfg = config(mock.url, `  cors: { origins: ["${PAGE}/", https://app.example] }`);
    const ccp = guarded ? await startGuardedCcp(cfg) : startCcp(cfg);
    try {
      await t.step("its preflight: 204, the SDK's headers allowed, no token asked", async () => {
        const res = await preflight(ccp.url, PAGE, {
          "access-control-request-private-network": "true",
        });
        await res.body?.cancel();
        assert.equal(res.status, 204);
        assert.equal(res.headers.get("access-control-allow-origin"), PAGE);
        assert.match(res.headers.get("access-control-allow-methods")!, /\bPOST\b/);
        const allowed = res.headers.get("access-control-allow-headers")!.split(", ");
        assert.deepEqual(allowed, SDK_HEADERS, "each SDK header, and no other");
        assert.equal(res.headers.get("access-control-allow-private-network"), "true");
        assert.equal(res.headers.get("vary"), "Origin");
        assert.ok(Number(res.headers.get("access-control-max-age")) > 0);
        assert.equal(mock.requests.length, 0);
      });
      await t.step(
        "another origin's preflight: 403 naming the setting, nothing allowed",
        async () => {
          const res = await preflight(ccp.url, "https://evil.example");
          assert.equal(res.status, 403);
          assert.equal(res.headers.get("access-control-allow-origin"), null);
          const error = (await res.json()).error;
          assert.equal(error.type, "permission_error");
          assert.match(error.message, /https:\/\/evil\.example .*server\.cors\.origins/);
        },
      );
      await t.step("an answer: readable by the page, its request id too", async () => {
        const res = await post(ccp.url, PAGE, {});
        assert.equal(res.status, 200);
        assert.equal((await res.json()).type, "message");
        assert.equal(res.headers.get("access-control-allow-origin"), PAGE);
        assert.match(res.headers.get("access-control-expose-headers")!, /\brequest-id\b/);
        assert.ok(res.headers.get("request-id"));
        assert.equal(res.headers.get("vary"), "Origin");
      });
      await t.step("a stream, relayed as it came: readable, every event there", async () => {
        const res = await post(ccp.url, "https://app.example", { stream: true });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
        const events = parseSse(await res.text()).map((e) => e.event);
        assert.deepEqual(events, textTurn("m", 3).map((e) => e.event));
      });
      await t.step("errors: a wrong token and a bad request are readable too", async () => {
        const refused = await post(ccp.url, PAGE, {}, "wrong");
        assert.equal(refused.status, 401);
        assert.equal(refused.headers.get("access-control-allow-origin"), PAGE);
        assert.equal((await refused.json()).error.type, "authentication_error");
        const bad = await post(ccp.url, PAGE, { max_tokens: "many" });
        assert.equal(bad.status, 400);
        assert.equal(bad.headers.get("access-control-allow-origin"), PAGE);
        await bad.body?.cancel();
      });
      await t.step("a page of another origin is refused, and not told it may read", async () => {
        const res = await post(ccp.url, "https://evil.example", {});
        await res.body?.cancel();
        assert.equal(res.status, 403);
        assert.equal(res.headers.get("access-control-allow-origin"), null);
        assert.equal(res.headers.get("vary"), "Origin", "caches keep answers per origin");
      });
    } finally {
      await ccp.close();
      await mock.close();
    }
  });
}

Deno.test('cors: "null" (sandboxed frames, file:// pages) is allowed only when listed', async () => {
  const mock = startAnthropicMock([{ kind: "json", body: textMessage("m", USAGE) }]);
  const listed = startCcp(config(mock.url, '  cors: { origins: ["null", https://chat.example] }'));
  const other = startCcp(config(mock.url, "  cors: { origins: [https://chat.example] }"));
  try {
    const pre = await preflight(listed.url, "null");
    await pre.body?.cancel();
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), "null");
    const res = await post(listed.url, "null", {});
    assert.equal(res.status, 200);
    assert.equal((await res.json()).type, "message");
    assert.equal(res.headers.get("access-control-allow-origin"), "null");
    // Not listed: refused as before, preflight and request alike.
    const refused = await preflight(other.url, "null");
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get("access-control-allow-origin"), null);
    await refused.body?.cancel();
    const plain = await post(other.url, "null", {});
    assert.equal(plain.status, 403);
    await plain.body?.cancel();
    assert.equal(mock.requests.length, 1, "only the listed null page reached the upstream");
  } finally {
    await listed.close();
    await other.close();
    await mock.close();
  }
});

Deno.test("cors: origins are checked as written; * needs a token; ccp check says who may call", () => {
  const load = (cors: string, token = true) =>
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `
server:
${token ? `  auth_token: ${TOKEN}\n` : ""}  cors: ${cors}
providers:
  up: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: k }
routes: { default: up/m }
`,
    });
  const listed = load('{ origins: ["HTTPS://App.Example:443/", "http://[::1]:3000"] }');
  assert.deepEqual(listed.server.cors?.origins, ["https://app.example", "http://[::1]:3000"]);
  assert.match(
    describeConfig(listed),
    /CORS: on; web pages of https:\/\/app\.example, http:\/\/\[::1\]:3000 may call ccp/,
  );
  const open = load("{ origins: [http://localhost:5173] }", false);
  assert.match(describeConfig(open), /no auth token: each of their pages can use ccp/);
  assert.match(describeConfig(load("{ origins: ['*'] }")), /any web page \(origins: \*\)/);
  for (
    const [cors, message] of [
      ["{ origins: [https://app.example/chat] }", /origins\[0\].*is not an origin/],
      ["{ origins: [app.example] }", /is not an origin/],
      ["{ origins: [ftp://app.example] }", /is not an origin/],
      ["{ origins: [] }", /origins: is empty/],
      ["{ origins: [http://localhost:5173], max_age: 5 }", /max_age/],
    ] as const
  ) {
    assert.throws(() => load(cors), message, cors);
  }
  assert.throws(() => load("{ origins: ['*'] }", false), /\* lets every web page .*auth_token/);
  assert.match(
    describeConfig(load('{ origins: ["null"] }')),
    /web pages of null \(sandboxed frames, file:\/\/ pages\) may call ccp/,
  );
  assert.deepEqual(load('{ origins: ["NULL"] }').server.cors?.origins, ["null"]);
  assert.throws(
    () => load('{ origins: ["null"] }', false),
    /"null" lets every web page .*auth_token/,
  );
  assert.throws(
    () => load("{ origins: [null] }"),
    /origins\[0\]: got nothing: write "null" in quotes/,
  );
});

Deno.test("cors: an answer whose headers are fixed is passed on with them added, body untouched", async () => {
  const cors = { origins: [PAGE] };
  const request = new Request("http://ccp/v1/messages", { headers: { origin: PAGE } });
  // A redirect's headers are immutable, as those of an answer relayed from fetch are.
  const fixed = Response.redirect("http://127.0.0.1:9/elsewhere", 307);
  const out = withCors(cors, request, fixed);
  assert.notEqual(out, fixed);
  assert.equal(out.status, 307);
  assert.equal(out.headers.get("location"), "http://127.0.0.1:9/elsewhere");
  assert.equal(out.headers.get("access-control-allow-origin"), PAGE);
  const streamed = new Response(new Blob(["data: 1\n\n"]).stream(), {
    headers: { vary: "Accept-Encoding" },
  });
  const same = withCors(cors, request, streamed);
  assert.equal(same, streamed, "a response whose headers can change is the same response");
  assert.equal(same.headers.get("vary"), "Accept-Encoding, Origin");
  assert.equal(await same.text(), "data: 1\n\n");
});
