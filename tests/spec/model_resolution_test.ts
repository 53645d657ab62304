/**
 * The external contract's model resolution, from outside: rules 1-7 in their order, the upstream
 * model name, the `model` of every answer, and the `x-ccp-*` headers each rule gives.
 */

import assert from "node:assert/strict";
import { routeOf, TOKEN, withWorld } from "./_world.ts";

const yaml = (url: string) =>
  `server: { auth_token: "${TOKEN}" }
providers:
  up: { type: anthropic, base_url: "${url}", api_key: sk-up-0123456789 }
  alt: { type: anthropic, base_url: "${url}", api_key: sk-alt-0123456789 }
  bad: { type: anthropic, base_url: "${url}", api_key: sk-bad-0123456789, max_retries: 0 }
routes:
  default: up/z-ai/glm4.7
  opus: up/opus-model
  sonnet: [bad/status-529, up/sonnet-model]
  fable: up/fable-model
  think: alt/think-model
aliases:
  my-fast: alt/fast
  claude-opus-house: alt/house
`;

const deep = { output_config: { effort: "high" } };

Deno.test("model resolution: each rule, first match wins, through POST /v1/messages", async (t) => {
  await withWorld(yaml, async (w) => {
    const cases: Array<{
      promise: string;
      body?: Record<string, unknown>;
      path?: string;
      headers?: Record<string, string>;
      expect: [string, string, string];
    }> = [
      {
        promise: "rule 7: a model no rule takes goes to routes.default",
        body: { model: "gpt-4o" },
        expect: ["default", "up", "z-ai/glm4.7"],
      },
      {
        promise: "rule 6: a model containing opus goes to the opus route",
        body: { model: "claude-opus-4-1-20250805" },
        expect: ["opus", "up", "opus-model"],
      },
      {
        promise: "rule 6: fable is a tier like the other three",
        body: { model: "claude-fable-1" },
        expect: ["fable", "up", "fable-model"],
      },
      {
        promise: "rule 6: a tier with no route of its own falls through to rule 7",
        body: { model: "claude-haiku-4-5" },
        expect: ["default", "up", "z-ai/glm4.7"],
      },
      {
        promise: "rule 5 before rule 6: a configured scenario the request matches beats its tier",
        body: { model: "claude-opus-4-1", ...deep },
        expect: ["think", "alt", "think-model"],
      },
      {
        promise: "rule 4: <provider>/<model> of a configured provider is explicit",
        body: { model: "alt/some/deep/name" },
        expect: ["explicit", "alt", "some/deep/name"],
      },
      {
        promise: "rule 4 before rule 5: an explicit model is not taken by a scenario",
        body: { model: "alt/chosen", ...deep },
        expect: ["explicit", "alt", "chosen"],
      },
      {
        promise: "rule 3: an alias by exact name",
        body: { model: "my-fast" },
        expect: ["alias:my-fast", "alt", "fast"],
      },
      {
        promise: "rule 3 before rules 5 and 6: an alias whose name holds a tier",
        body: { model: "claude-opus-house", ...deep },
        expect: ["alias:claude-opus-house", "alt", "house"],
      },
      {
        promise: "rule 2: a token suffix in x-api-key beats an alias",
        body: { model: "my-fast" },
        headers: { "x-api-key": `${TOKEN}:up/suffixed` },
        expect: ["token_suffix", "up", "suffixed"],
      },
      {
        promise: "rule 2: a token suffix in Authorization: Bearer",
        headers: { "x-api-key": "", authorization: `Bearer ${TOKEN}:alt/bearer-model` },
        expect: ["token_suffix", "alt", "bearer-model"],
      },
      {
        promise: "rule 2: a token suffix in anthropic-auth-token",
        headers: { "x-api-key": "", "anthropic-auth-token": `${TOKEN}:alt/auth-token-model` },
        expect: ["token_suffix", "alt", "auth-token-model"],
      },
      {
        promise: "rule 2: only the part before the first ':' is the token",
        headers: { "x-api-key": `${TOKEN}:alt/name:with:colons` },
        expect: ["token_suffix", "alt", "name:with:colons"],
      },
      {
        promise: "rule 1: a URL prefix beats a token suffix",
        path: "/alt:via-url/v1/messages",
        headers: { "x-api-key": `${TOKEN}:up/suffixed` },
        expect: ["url_prefix", "alt", "via-url"],
      },
      {
        promise: "rule 1: ?beta=true under a URL prefix",
        path: "/up:beta-model/v1/messages?beta=true",
        expect: ["url_prefix", "up", "beta-model"],
      },
    ];
    for (const c of cases) {
      await t.step(c.promise, async () => {
        const at = w.upstream.seen.length;
        const model = (c.body?.model as string | undefined) ?? "claude-sonnet-4-5";
        const { res, json } = await w.ask(c.body, { path: c.path, headers: c.headers });
        assert.equal(res.status, 200, JSON.stringify(json));
        assert.deepEqual(routeOf(res), c.expect);
        assert.equal(json.model, model, "the answer names the model the client sent");
        assert.equal(w.upstream.seen.length, at + 1);
        assert.equal(w.upstream.seen[at]!.body.model, c.expect[2]);
      });
    }
  });
});

Deno.test("model resolution: a wrong token with a model suffix is refused 401, never routed", async () => {
  await withWorld(yaml, async (w) => {
    const { res, json } = await w.ask({}, { headers: { "x-api-key": "wrong:up/suffixed" } });
    assert.equal(res.status, 401);
    assert.equal((json.error as Record<string, unknown>).type, "authentication_error");
    assert.equal(w.upstream.seen.length, 0);
  });
});

Deno.test("x-ccp-provider/x-ccp-model: after a failover, the target that answered", async () => {
  await withWorld(yaml, async (w) => {
    for (const stream of [false, true]) {
      const { res, json } = await w.ask({ stream });
      assert.equal(res.status, 200);
      assert.deepEqual(routeOf(res), ["sonnet", "up", "sonnet-model"]);
      if (stream) assert.match(String(json.text), /"model":"claude-sonnet-4-5"/);
      else assert.equal(json.model, "claude-sonnet-4-5");
    }
    assert.deepEqual(
      w.upstream.seen.map((s) => s.body.model),
      ["status-529", "sonnet-model", "status-529", "sonnet-model"],
    );
  });
});

Deno.test("an error answer names the route and the last target tried, Anthropic-shaped", async () => {
  const failing = (url: string) =>
    `server: { auth_token: "${TOKEN}" }
providers:
  bad: { type: anthropic, base_url: "${url}", api_key: sk-bad-0123456789, max_retries: 0 }
routes:
  default: [bad/status-503, bad/status-502]
`;
  await withWorld(failing, async (w) => {
    const { res, json } = await w.ask({ model: "gpt-4o" });
    assert.ok([502, 503].includes(res.status), `status ${res.status}`);
    assert.deepEqual(routeOf(res), ["default", "bad", "status-502"]);
    assert.equal(json.type, "error");
    const error = json.error as Record<string, unknown>;
    assert.equal(error.type, "api_error");
    assert.match(String(error.message), /bad/);
    assert.match(String(error.message), /status-502/);
    assert.doesNotMatch(JSON.stringify(json), /sk-bad/);
  });
});

Deno.test("the model of every streamed event names the model the client sent", async () => {
  await withWorld(yaml, async (w) => {
    const { res, json } = await w.ask({ model: "my-fast", stream: true });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const models = [...String(json.text).matchAll(/"model":"([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(models, ["my-fast"]);
  });
});

Deno.test("rule 2 without a configured token: any token's suffix in any of the three headers", async () => {
  const open = (url: string) =>
    `providers:
  up: { type: anthropic, base_url: "${url}", api_key: sk-up-0123456789 }
routes:
  default: up/d
`;
  await withWorld(open, async (w) => {
    const headers: Array<[Record<string, string>, string]> = [
      [{ "x-api-key": "anything:up/in-key" }, "in-key"],
      [{ "x-api-key": "", authorization: "Bearer anything:up/in-bearer" }, "in-bearer"],
      [{ "x-api-key": "", "anthropic-auth-token": "anything:up/in-auth" }, "in-auth"],
    ];
    for (const [header, model] of headers) {
      const { res } = await w.ask({}, { headers: header });
      assert.equal(res.status, 200);
      assert.deepEqual(routeOf(res), ["token_suffix", "up", model]);
      // The upstream gets the provider's key, never what the client sent.
      assert.equal(w.upstream.seen.at(-1)!.headers.get("x-api-key"), "sk-up-0123456789");
    }
  });
});
