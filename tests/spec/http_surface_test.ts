/**
 * The external contract's HTTP surface from outside, with a YAML config: which routes need the
 * token, the answers of `GET /`, `/health`, `/v1/models`, count_tokens and the operator routes,
 * and the error shape of each status ccp answers itself.
 */

import assert from "node:assert/strict";
import { TOKEN, withWorld } from "./_world.ts";

const yaml = (url: string) =>
  `server: { auth_token: "${TOKEN}", max_body_size: 64KiB }
providers:
  up:
    type: anthropic
    base_url: "${url}"
    api_key: sk-up-0123456789
    models: [listed-model]
routes:
  default: up/m
  opus: up/o
  think: up/t
  long_context: up/l
aliases:
  my-fast: up/fast
`;

const errorOf = (json: Record<string, unknown>) => {
  assert.equal(json.type, "error");
  const error = json.error as Record<string, unknown>;
  assert.equal(typeof error.message, "string");
  assert.ok((error.message as string).length > 0);
  return error.type;
};

Deno.test("auth: every route but /health, HEAD / and HEAD /api/hello needs the token", async (t) => {
  await withWorld(yaml, async (w) => {
    const routes: Array<[string, string]> = [
      ["POST", "/v1/messages"],
      ["POST", "/v1/messages?beta=true"],
      ["POST", "/v1/messages/count_tokens"],
      ["GET", "/v1/models"],
      ["GET", "/v1/models/my-fast"],
      ["GET", "/"],
      ["GET", "/metrics"],
      ["GET", "/ui"],
      ["GET", "/v1/ccp/usage"],
    ];
    for (const [method, path] of routes) {
      await t.step(
        `${method} ${path}: 401 authentication_error without it, served with it`,
        async () => {
          const init = (headers: Record<string, string>) => ({
            method,
            headers: { "content-type": "application/json", ...headers },
            ...(method === "POST"
              ? {
                body: JSON.stringify({
                  model: "m",
                  max_tokens: 5,
                  messages: [{ role: "user", content: "hi" }],
                }),
              }
              : {}),
          });
          const refused = await fetch(`${w.url}${path}`, init({}));
          assert.equal(refused.status, 401);
          assert.equal(errorOf(await refused.json()), "authentication_error");
          const wrong = await fetch(`${w.url}${path}`, init({ "x-api-key": "not-the-token" }));
          assert.equal(wrong.status, 401);
          await wrong.body?.cancel();
          const served = await fetch(`${w.url}${path}`, init({ authorization: `Bearer ${TOKEN}` }));
          // This in-process ccp keeps no ledger, so the usage report is past the gate but has
          // nothing to read (tests/usage/ledger_e2e_test.ts asks a ccp that keeps one).
          if (path === "/v1/ccp/usage") assert.equal(served.status, 503);
          else assert.equal(served.status, 200, `${method} ${path}`);
          await served.body?.cancel();
        },
      );
    }
    await t.step("the probes answer 200 without it", async () => {
      for (const [method, path] of [["GET", "/health"], ["HEAD", "/"], ["HEAD", "/api/hello"]]) {
        const res = await fetch(`${w.url}${path}`, { method });
        assert.equal(res.status, 200, `${method} ${path}`);
        if (path === "/health") assert.equal((await res.json()).status, "ok");
        else await res.body?.cancel();
      }
    });
    await t.step("/ui?token=<token> opens the page and sets a session cookie", async () => {
      const res = await fetch(`${w.url}/ui?token=${TOKEN}`, { redirect: "manual" });
      await res.body?.cancel();
      assert.ok(res.status === 200 || res.status === 303 || res.status === 302, `${res.status}`);
      const cookie = res.headers.get("set-cookie") ?? "";
      assert.ok(cookie.length > 0);
      assert.doesNotMatch(cookie, /expires|max-age/i, "a session cookie");
      const again = await fetch(`${w.url}/ui`, { headers: { cookie: cookie.split(";")[0]! } });
      assert.equal(again.status, 200);
      await again.body?.cancel();
    });
  });
});

Deno.test("GET /v1/models: every route name, alias and provider models entry, in Anthropic's list shape", async () => {
  await withWorld(yaml, async (w) => {
    const res = await fetch(`${w.url}/v1/models`, { headers: { "x-api-key": TOKEN } });
    assert.equal(res.status, 200);
    const list = await res.json();
    assert.equal(list.has_more, false);
    const data = list.data as Array<Record<string, unknown>>;
    const ids = data.map((entry) => entry.id as string);
    // A provider's models entry is listed as the provider/model a request names it by.
    for (const id of ["default", "opus", "think", "long_context", "my-fast", "up/listed-model"]) {
      assert.ok(ids.includes(id), `${id} in ${ids}`);
    }
    assert.equal(list.first_id, ids[0]);
    assert.equal(list.last_id, ids.at(-1));
    for (const entry of data) {
      assert.equal(entry.type, "model");
      assert.equal(typeof entry.display_name, "string");
      assert.ok(!Number.isNaN(Date.parse(entry.created_at as string)), `${entry.created_at}`);
    }
  });
});

Deno.test("POST /v1/messages/count_tokens answers {input_tokens: N}, computed locally", async () => {
  await withWorld(yaml, async (w) => {
    const { res, json } = await w.ask({}, { path: "/v1/messages/count_tokens" });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(json), ["input_tokens"]);
    assert.ok(Number.isInteger(json.input_tokens) && (json.input_tokens as number) > 0);
    assert.equal(w.upstream.seen.length, 0, "the plain anthropic type is counted locally");
  });
});

Deno.test("errors ccp answers itself: Anthropic's shape with the matching status", async (t) => {
  await withWorld(yaml, async (w) => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${w.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": TOKEN, ...headers },
        body,
      });
    const cases: Array<[string, () => Promise<Response>, number, string]> = [
      [
        "a body that is not JSON",
        () => post("/v1/messages", "{not json"),
        400,
        "invalid_request_error",
      ],
      [
        "a body without messages",
        () => post("/v1/messages", JSON.stringify({ model: "m", max_tokens: 5 })),
        400,
        "invalid_request_error",
      ],
      [
        "a wrong token",
        () => post("/v1/messages", "{}", { "x-api-key": "nope" }),
        401,
        "authentication_error",
      ],
      [
        "an unknown path",
        () => fetch(`${w.url}/v1/nothing-here`, { headers: { "x-api-key": TOKEN } }),
        404,
        "not_found_error",
      ],
      [
        "a body over max_body_size",
        () =>
          post(
            "/v1/messages",
            JSON.stringify({
              model: "m",
              max_tokens: 5,
              messages: [{ role: "user", content: "x".repeat(70_000) }],
            }),
          ),
        413,
        "request_too_large",
      ],
    ];
    for (const [what, send, status, type] of cases) {
      await t.step(`${what}: ${status} ${type}`, async () => {
        const res = await send();
        assert.equal(res.status, status);
        assert.equal(errorOf(await res.json()), type);
      });
    }
    assert.equal(w.upstream.seen.length, 0);
  });
});

Deno.test("answered without a model: the quota probe is max_tokens 1 and the text quota; Warmup whatever else", async (t) => {
  await withWorld(yaml, async (w) => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["quota with max_tokens 1: local", {
        max_tokens: 1,
        messages: [{ role: "user", content: "quota" }],
      }, "local"],
      ["quota with max_tokens 100: a model answers", {
        max_tokens: 100,
        messages: [{ role: "user", content: "quota" }],
      }, "default"],
      ["Warmup as text blocks, streamed, with a system prompt and tools: local", {
        stream: true,
        system: "You are Claude Code.",
        tools: [{ name: "Bash", input_schema: { type: "object" } }],
        messages: [{ role: "user", content: [{ type: "text", text: "Warmup" }] }],
      }, "local"],
      ["Warmup after another turn: a model answers", {
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          { role: "user", content: "Warmup" },
        ],
      }, "default"],
    ];
    for (const [what, body, route] of cases) {
      await t.step(what, async () => {
        const at = w.upstream.seen.length;
        const { res, json } = await w.ask({ model: "gpt-4o", ...body });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("x-ccp-route"), route);
        assert.equal(w.upstream.seen.length, at + (route === "local" ? 0 : 1));
        if (body.stream) {
          const text = String(json.text);
          assert.match(text, /^event: message_start\n/);
          assert.match(text, /event: message_stop\n/);
          assert.match(text, /"model":"gpt-4o"/);
        } else assert.equal(json.model, "gpt-4o");
        if (route === "local") {
          assert.equal(res.headers.get("x-ccp-provider"), null);
          assert.equal(res.headers.get("x-ccp-model"), null);
        }
      });
    }
  });
});
