/**
 * Which providers are one server for what ccp learns (refused parameters, a local window, a
 * key's rest) and for the tag a reasoning signature carries: a base URL written another way (the
 * host in capitals, the default port) is the same server; another path, or other headers a gateway
 * routes by, may be another; and the tag that goes to the client holds no credential.
 */

import assert from "node:assert/strict";
import { LearnedParams } from "../../src/resilience/learned_params.ts";
import { ResilienceRegistry } from "../../src/resilience/registry.ts";
import { serverKey, serverTag } from "../../src/resilience/server_key.ts";
import { fnv1a64Hex } from "../../src/translate/anthropic/ids.ts";
import { FakeClock } from "./fake_clock.ts";
import { provider } from "./helpers.ts";

const at = (baseUrl: string, headers: Record<string, string> = {}) =>
  provider("p", { baseUrl, headers });

Deno.test("a base URL written another way is the same server: its lessons are found there", () => {
  const learned = new LearnedParams();
  learned.learn(at("https://Gateway.Example:443/v1"), "m", "top_k");
  for (const same of ["https://gateway.example/v1", "https://GATEWAY.example:443/v1/"]) {
    assert.deepEqual([...learned.for(at(same), "m")], ["top_k"], same);
  }
  // A user name and password are an account at the server, not another server.
  assert.deepEqual([...learned.for(at("https://me:pw@gateway.example/v1"), "m")], ["top_k"]);
  // So is a credential in the query, rotated as a key is; another query (an API version) is not.
  learned.learn(at("https://gw.example/v1?api-version=1&key=old-0123"), "m", "seed");
  const rotated = at("https://gw.example/v1?api-version=1&key=new-4567");
  assert.deepEqual([...learned.for(rotated, "m")], ["seed"]);
  assert.equal(learned.for(at("https://gw.example/v1?api-version=2&key=old-0123"), "m").size, 0);
  // Another path, port or scheme is another server (or another API on it).
  for (
    const other of [
      "https://gateway.example/v2",
      "https://gateway.example/V1",
      "https://gateway.example:8443/v1",
      "http://gateway.example/v1",
    ]
  ) {
    assert.equal(learned.for(at(other), "m").size, 0, other);
  }
});

Deno.test("providers at one base URL with other headers keep their own lessons", () => {
  // A gateway that routes by header: the same URL reaches another upstream.
  const openai = at("https://api.portkey.example/v1", { "x-portkey-provider": "openai" });
  const azure = at("https://api.portkey.example/v1", { "x-portkey-provider": "azure-openai" });
  const learned = new LearnedParams();
  learned.learn(openai, "gpt-4o", "reasoning_effort");
  assert.equal(learned.for(azure, "gpt-4o").size, 0);
  // The same headers, named in other letter case or order, are the same server.
  const same = at("https://api.portkey.example/v1", { "X-Portkey-Provider": "openai" });
  assert.deepEqual([...learned.for(same, "gpt-4o")], ["reasoning_effort"]);
  const two = { a: "1", b: "2" };
  assert.equal(
    serverKey(at("https://x.example", two)),
    serverKey(at("https://x.example", { B: "2", A: "1" })),
  );
});

Deno.test("the reasoning tag holds no credential and stays when one is rotated", () => {
  const plain = at("https://llm.example/v1");
  // The tag of a plain base URL is what it was before (signatures already in a session match).
  assert.equal(serverTag(plain), fnv1a64Hex("openai https://llm.example/v1").slice(0, 12));
  // A password or a query key is not hashed into it: a short one could be found by trying all.
  for (
    const url of [
      "https://admin:1234@llm.example/v1",
      "https://llm.example/v1?key=1234",
      "https://LLM.example:443/v1/?token=5678",
    ]
  ) {
    assert.equal(serverTag(at(url)), serverTag(plain), url);
  }
  assert.notEqual(serverTag(at("https://llm.example/v2")), serverTag(plain));
});

Deno.test("a key's rest follows a rename whose base URL is written another way", () => {
  const registry = new ResilienceRegistry({ clock: new FakeClock() });
  const KEY = "sk-gw-0123456789abcdef";
  const before = registry.provider(
    provider("old", { baseUrl: "https://gateway.example/v1", apiKeys: [KEY] }),
  );
  const pick = before.keys.pick();
  assert.ok(pick.ok);
  before.keys.rateLimited(pick.key, 60_000);
  const after = registry.provider(
    provider("new", { baseUrl: "https://GATEWAY.example:443/v1", apiKeys: [KEY] }),
  );
  assert.equal(after.keys.pick().ok, false, "the cooling key is still cooling");
  // Another provider's key at that server is not cooling: a rest is the key's own.
  const other = registry.provider(
    provider("other", {
      baseUrl: "https://gateway.example/v1",
      apiKeys: ["sk-gw-fedcba9876543210"],
    }),
  );
  assert.equal(other.keys.pick().ok, true);
});

Deno.test("a reload that changes the password or ?key= in the base URL starts its keys afresh", () => {
  // A 401 for a wrong password set the key aside; the fixed password must not wait it out.
  for (
    const [before, fixed] of [
      ["http://admin:wrong@127.0.0.1:8000/v1", "http://admin:right@127.0.0.1:8000/v1"],
      ["https://gw.example/v1?key=wrong-0123", "https://gw.example/v1?key=right-4567"],
    ]
  ) {
    const registry = new ResilienceRegistry({ clock: new FakeClock() });
    const first = registry.provider(provider("p", { baseUrl: before, apiKeys: ["k-1234"] }));
    const pick = first.keys.pick();
    assert.ok(pick.ok);
    first.keys.rejected(pick.key, 401, "bad credentials");
    const next = registry.provider(provider("p", { baseUrl: fixed, apiKeys: ["k-1234"] }));
    assert.equal(next.keys.pick().ok, true, fixed);
  }
});
