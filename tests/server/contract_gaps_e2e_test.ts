/**
 * Promises of the external contract that no other test pinned, checked from outside: the
 * `local_answers` switch, models naming a provider that is not configured, and the probe and
 * read-only routes under a URL prefix.
 */

import { assertMessageKeys } from "../helpers/anthropic_grammar.ts";
import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { type MockReply, startAnthropicMock } from "../mocks/anthropic_mock.ts";

const TOKEN = "ccp-contract-token";
const AUTH = { "content-type": "application/json", "x-api-key": TOKEN };

/** ccp with provider `up` (a mock giving `replies`) as its default route, and `extra` config. */
function world(
  extra = "",
  replies: MockReply[] = [{
    kind: "json",
    body: textMessage("m", { input_tokens: 3, output_tokens: 2 }),
  }],
) {
  const mock = startAnthropicMock(replies);
  const config = configFromYaml({
    file: "c.yaml",
    env: {},
    text: `server: { auth_token: ${TOKEN} }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/main
${extra}`,
  });
  const ccp = startCcp(config);
  return { mock, ccp, close: async () => (await ccp.close(), await mock.close()) };
}

async function post(url: string, body: Record<string, unknown>, path = "/v1/messages") {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: AUTH,
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
      ...body,
    }),
  });
  return { res, json: await res.json() };
}

const quota = {
  max_tokens: 1,
  system: [{ type: "text", text: "You are Claude Code." }],
  tools: [{ name: "Bash", input_schema: { type: "object" } }],
  messages: [{ role: "user", content: [{ type: "text", text: "quota" }] }],
};
const warmup = { messages: [{ role: "user", content: "Warmup" }] };

Deno.test("local answers: quota as text blocks and a string Warmup are answered locally by default", async () => {
  const w = world();
  try {
    for (const body of [quota, warmup]) {
      const { res, json } = await post(w.ccp.url, body);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-route"), "local");
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.match(res.headers.get("request-id") ?? "", /^req_[0-9A-Za-z]{24}$/);
      assert.equal(res.headers.get("x-ccp-provider"), null);
      assert.equal(res.headers.get("x-ccp-model"), null);
      assert.equal(json.type, "message");
      assert.equal(json.role, "assistant");
      assert.equal(json.model, "claude-sonnet-4-5");
      assertMessageKeys(json);
    }
    assert.equal(w.mock.requests.length, 0, "nothing went upstream");
  } finally {
    await w.close();
  }
});

Deno.test("local_answers: false sends the quota probe and Warmup to the model like any request", async () => {
  const w = world("local_answers: false\n");
  try {
    for (const body of [quota, warmup]) {
      const { res } = await post(w.ccp.url, body);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-route"), "default");
      assert.equal(res.headers.get("x-ccp-provider"), "up");
      assert.equal(res.headers.get("x-ccp-model"), "main");
    }
    assert.equal(w.mock.requests.length, 2);
    assert.equal(w.mock.requests[0]!.body?.model, "main");
  } finally {
    await w.close();
  }
});

Deno.test("a model naming a preset that is not configured is refused with 400, never sent", async () => {
  const w = world();
  try {
    for (const name of ["nvidia_nim", "open_router", "anthropic", "gemini", "openai_responses"]) {
      const { res, json } = await post(w.ccp.url, { model: `${name}/some/model` });
      assert.equal(res.status, 400, name);
      assert.equal(json.type, "error");
      assert.equal(json.error.type, "invalid_request_error");
      assert.ok(json.error.message.includes(`"${name}"`), json.error.message);
      assert.match(json.error.message, /providers:/, "says how to configure it");
    }
    assert.equal(w.mock.requests.length, 0, "nothing went upstream");
    // A configured provider id is explicit; a prefix that is neither goes to the default route.
    const explicit = await post(w.ccp.url, { model: "up/vendor/model-x" });
    assert.equal(explicit.res.headers.get("x-ccp-route"), "explicit");
    assert.equal(explicit.res.headers.get("x-ccp-model"), "vendor/model-x");
    assert.equal(explicit.json.model, "up/vendor/model-x");
    const other = await post(w.ccp.url, { model: "moonshotai/kimi-k2.5" });
    assert.equal(other.res.headers.get("x-ccp-route"), "default");
    assert.equal(w.mock.requests.at(-1)!.body?.model, "main");
  } finally {
    await w.close();
  }
});

Deno.test("every HTTP route also works under a URL prefix, the probes without the token", async () => {
  const w = world();
  const at = (path: string) => `${w.ccp.url}/up:pm${path}`;
  try {
    for (const path of ["/", "/api/hello"]) {
      const res = await fetch(at(path), { method: "HEAD" });
      await res.body?.cancel();
      assert.equal(res.status, 200, `HEAD ${path}`);
    }
    const health = await fetch(at("/health"));
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");

    const root = await fetch(at("/"), { headers: AUTH });
    await root.body?.cancel();
    assert.equal(root.status, 200);
    const denied = await fetch(at("/v1/models"));
    assert.equal(denied.status, 401);
    assert.equal((await denied.json()).error.type, "authentication_error");

    const models = await fetch(at("/v1/models"), { headers: AUTH });
    const list = await models.json();
    assert.equal(list.has_more, false);
    assert.equal(list.data[0].type, "model");

    const count = await post(w.ccp.url, warmup, "/up:pm/v1/messages/count_tokens");
    assert.equal(count.res.status, 200);
    assert.deepEqual(Object.keys(count.json), ["input_tokens"]);

    const beta = await post(w.ccp.url, { model: "x" }, "/up:pm/v1/messages?beta=true");
    assert.equal(beta.res.status, 200);
    assert.equal(beta.res.headers.get("x-ccp-route"), "url_prefix");
    assert.equal(beta.res.headers.get("x-ccp-model"), "pm");
    assert.equal(beta.json.model, "x");
  } finally {
    await w.close();
  }
});

Deno.test("a body refused before routing still carries x-ccp-route, and no target headers", async () => {
  const mock = startAnthropicMock([]);
  const ccp = startCcp(configFromYaml({
    file: "c.yaml",
    env: {},
    text: `server: { auth_token: ${TOKEN}, max_body_size: 1KiB }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/main
`,
  }));
  try {
    const bodies: Array<[string, number, string]> = [
      ["not json", 400, "invalid_request_error"],
      [JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 5 }), 400, "invalid_request_error"],
      [
        JSON.stringify({ max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
        400,
        "invalid_request_error",
      ],
      [
        JSON.stringify({
          model: "m",
          max_tokens: 5,
          messages: [{ role: "user", content: "x".repeat(4096) }],
        }),
        413,
        "request_too_large",
      ],
    ];
    for (const [body, status, type] of bodies) {
      const res = await fetch(`${ccp.url}/v1/messages`, { method: "POST", headers: AUTH, body });
      const json = await res.json();
      assert.equal(res.status, status, body.slice(0, 40));
      assert.equal(json.type, "error");
      assert.equal(json.error.type, type);
      assert.equal(res.headers.get("x-ccp-route"), "none", body.slice(0, 40));
      assert.equal(res.headers.get("x-ccp-provider"), null);
      assert.equal(res.headers.get("x-ccp-model"), null);
    }
    // A request without the token is refused before routing too.
    const refused = await postMessages(ccp.url, {
      model: "m",
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    }, { "x-api-key": "wrong" });
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).error.type, "authentication_error");
    assert.equal(refused.headers.get("x-ccp-route"), "none");
    assert.equal(refused.headers.get("x-ccp-provider"), null);
    const elsewhere = await fetch(`${ccp.url}/v1/models`, { headers: { "x-api-key": "wrong" } });
    await elsewhere.body?.cancel();
    assert.equal(elsewhere.headers.get("x-ccp-route"), null, "only Messages answers name a route");
    assert.equal(mock.requests.length, 0);
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("GET /v1/models/<id> answers where a bare request goes, even with a tiny long_context threshold", async () => {
  const w = world(`  sonnet: up/son
  long_context: up/long
routing: { long_context_threshold: 1 }
`);
  try {
    for (const [id, chain] of [["claude-sonnet-4-5", "up/son"], ["gpt-5", "up/main"]]) {
      const res = await fetch(`${w.ccp.url}/v1/models/${id}`, { headers: AUTH });
      const json = await res.json();
      assert.equal(res.status, 200, JSON.stringify(json));
      assert.deepEqual([json.type, json.id, json.display_name], ["model", id, `${id} (${chain})`]);
    }
  } finally {
    await w.close();
  }
});

Deno.test("auth_unavailable names the refusal this request met, not an older one of another model", async () => {
  const refusal = (status: number, message: string) => ({
    kind: "json" as const,
    status,
    body: { type: "error", error: { type: "permission_error", message } },
  });
  const { mock, ccp, close } = world("", [
    refusal(401, "invalid x-api-key"),
    refusal(403, "no access to model b"),
  ]);
  try {
    const first = await post(ccp.url, { model: "up/a" });
    assert.equal(first.res.status, 503);
    assert.deepEqual(first.json.error.recent_statuses, [401]);
    // The key set aside after the 401 is re-tried once for model b, which answers 403.
    const second = await post(ccp.url, { model: "up/b" });
    assert.equal(mock.requests.length, 2);
    assert.equal(second.res.status, 503);
    assert.equal(second.json.error.code, "auth_unavailable");
    assert.deepEqual(second.json.error.recent_statuses, [403]);
    assert.match(second.json.error.message, /model "b".*403.*no access to model b/);
    assert.doesNotMatch(second.json.error.message, /invalid x-api-key/);
  } finally {
    await close();
  }
});
