/** GET /v1/models: routes, aliases and provider models listed in Anthropic's shape, paged or whole. */

import assert from "node:assert/strict";
import { auth, withCcp } from "./_http_surface_env.ts";

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

Deno.test("GET /v1/models and /v1/models/<id> give every field the SDKs type a model with", async () => {
  // `ModelInfo` of the Anthropic TypeScript SDK 1.17: each key always there, most nullable.
  const fields = {
    lifecycle: "active",
    deprecated_at: null,
    retires_at: null,
    line: null,
    capabilities: null,
    max_input_tokens: null,
    max_tokens: null,
  };
  await withCcp([{ kind: "hang" }], async (ccp) => {
    const list = await (await fetch(`${ccp.url}/v1/models`, { headers: auth })).json();
    const retrieved = [];
    // A listed id, and a name listed nowhere that a request would still be served for.
    for (const id of ["sonnet", "claude-opus-9"]) {
      retrieved.push(await (await fetch(`${ccp.url}/v1/models/${id}`, { headers: auth })).json());
    }
    for (const m of [...list.data, ...retrieved]) {
      const { type, id, display_name, created_at, ...rest } = m;
      assert.equal(type, "model");
      assert.ok(id && display_name && created_at, JSON.stringify(m));
      assert.deepEqual(rest, fields, id);
    }
    // A client keeping only the active models (the SDK's `lifecycle`) keeps them all.
    assert.equal(
      list.data.filter((m: { lifecycle: string }) => m.lifecycle === "active").length,
      6,
    );
  }, { models: ["u1"] });
});
