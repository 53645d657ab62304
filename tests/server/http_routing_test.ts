/**
 * How the server picks the model an upstream sees: URL prefix, token suffix, alias, tier and
 * default, a model picked from the discovered list, and a tier's chain falling over mid-request.
 */

import assert from "node:assert/strict";
import { thinkingTextToolMessage, thinkingTextToolTurn } from "../mocks/anthropic_fixtures.ts";
import { parseSse } from "../helpers/ccp.ts";
import { auth, body, TOKEN, withCcp } from "./_http_surface_env.ts";
import { testConfig } from "../helpers/config.ts";
import { startFaultMock } from "../mocks/fault_mock.ts";
import { assertComplete, at, readStream, setup } from "./_resilience_env.ts";

Deno.test("routing: URL prefix, token suffix, alias, tier, default — upstream sees the right model", async () => {
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp, mock) => {
    const send = async (path: string, model: string, token = TOKEN, header = "x-api-key") => {
      const res = await fetch(`${ccp.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", [header]: token },
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
    // The suffix works in each of the three headers that carry the token.
    assert.equal(
      await send("/v1/messages", "x", `Bearer ${TOKEN}:up/from-bearer`, "authorization"),
      "from-bearer",
    );
    assert.equal(
      await send("/v1/messages", "x", `${TOKEN}:up/org/from:aat`, "anthropic-auth-token"),
      "org/from:aat",
    );
    assert.equal(await send("/v1/messages", "my-fast"), "fast");
    assert.equal(await send("/v1/messages", "up/explicit"), "explicit");
    assert.equal(await send("/v1/messages", "claude-sonnet-4-5-20250929"), "son");
    assert.equal(await send("/v1/messages", "claude-haiku-5-5"), "h1");
    assert.equal(await send("/v1/messages", "gpt-4o"), "def");
  });
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

Deno.test("a misspelt provider in provider/model is served by its fallback route, and said once", async () => {
  await withCcp([{ kind: "json", body: thinkingTextToolMessage("m") }], async (ccp) => {
    const send = async (model: string) => {
      const res = await fetch(`${ccp.url}/v1/messages`, {
        method: "POST",
        headers: auth,
        body: body({ model }),
      });
      await res.body?.cancel();
      return res.headers.get("x-ccp-route");
    };
    const warnings = () => ccp.logs.filter((line) => line.includes("did you mean"));
    // Routing is unchanged (the contract's rules): only the log says what was probably meant.
    assert.equal(await send("pu/some-model"), "default");
    assert.equal(await send("pu/some-model"), "default");
    assert.equal(await send("atl/sonnet-x"), "sonnet");
    assert.equal(warnings().length, 2, ccp.logs.join("\n"));
    assert.match(
      warnings()[0]!,
      /Model "pu\/some-model": no provider "pu" is configured \(did you mean "up"\?\), so it went by the default route/,
    );
    assert.match(warnings()[1]!, /"atl".*did you mean "alt"\?.*sonnet route/);
    // Names that are no typo of a provider say nothing.
    assert.equal(await send("meta-llama/llama-3"), "default");
    assert.equal(await send("claude-opus-5-5"), "default");
    assert.equal(warnings().length, 2);
  });
});

Deno.test("an alias named past ASCII is served, its x-ccp-route percent-encoded", async () => {
  // A header value holds Latin-1 at most: the answer's own headers must not be what fails it,
  // after the upstream has answered and holds a slot until its answer ends.
  const up = startFaultMock();
  await using env = setup(
    [up],
    testConfig({
      providers: [at(up, "p", { maxConcurrency: 1 })],
      routes: { default: "p/m" },
      aliases: { "opus-模型": "p/m" },
    }),
  );
  const res = await env.send("opus-模型");
  assert.equal(res.headers.get("x-ccp-route"), `alias:${encodeURIComponent("opus-模型")}`);
  assertComplete(await readStream(res), "opus-模型");
  const { limiter } = (await env.health()).resilience.providers.p!;
  assert.equal(limiter.active, 0, "the slot is free again");
});

Deno.test("a model name holding a lone surrogate is served, its x-ccp-model readable and its slot freed", async () => {
  // JSON may escape half of a UTF-16 pair alone; percent-encoding such a name threw once the
  // upstream had answered, leaving a 500 and the provider's only slot held for good.
  const up = startFaultMock();
  await using env = setup(
    [up],
    testConfig({ providers: [at(up, "p", { maxConcurrency: 1 })], routes: { default: "p/m" } }),
  );
  for (let i = 0; i < 2; i++) {
    const res = await env.send("p/m\ud800x");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-ccp-route"), "explicit");
    assert.equal(res.headers.get("x-ccp-model"), encodeURIComponent("m\ufffdx"));
    assertComplete(await readStream(res), "p/m\ud800x");
  }
  const { limiter } = (await env.health()).resilience.providers.p!;
  assert.equal(limiter.active, 0, "the slot is free again");
});
