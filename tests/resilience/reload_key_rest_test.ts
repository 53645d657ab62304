/**
 * A reload that changes a provider's key list (or its limits) keeps the rest of each key it keeps:
 * a key spent for the day is not asked again, wherever it now stands in the list. A key the reload
 * removed leaves its rest behind (listed again later, it is asked), and a new key starts afresh.
 */

import assert from "node:assert/strict";
import { HI, openRouterAt, startOpenRouterMock } from "../helpers/open_router_mock.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";

const A = "sk-or-v1-test-reload-rest-aaaa";
const B = "sk-or-v1-test-reload-rest-bbbb";
const C = "sk-or-v1-test-reload-rest-cccc";
const FREE = "qwen/qwen3-coder:free";

Deno.test("a reload that changes the key list keeps the rests of the keys it keeps", async () => {
  const upstream = startOpenRouterMock();
  upstream.daySpent.add("aaaa").add("bbbb");
  const config = (keys: string[], rateLimit?: { requests: number; windowMs: number }) =>
    testConfig({
      providers: [{ ...openRouterAt(upstream.origin, keys), ...(rateLimit ? { rateLimit } : {}) }],
      routes: { default: [`or/${FREE}`, "or/openai/gpt-5-mini"] },
    });
  const ccp = startCcp(config([A, B]));
  const ask = async () => {
    const res = await postMessages(ccp.url, HI);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  };
  const asked = (key: string) => upstream.asked.get(`${key} ${FREE}`) ?? 0;
  try {
    await ask();
    assert.deepEqual([asked("aaaa"), asked("bbbb")], [1, 1]);
    // B kept (now first), A removed, C added: C serves the free model, B is not asked again.
    ccp.setConfig(config([B, C]));
    await ask();
    assert.equal(asked("bbbb"), 1, "the kept key was asked again after the reload");
    assert.equal(asked("cccc"), 1);
    // A reload of the limits alone keeps them too.
    upstream.daySpent.add("cccc");
    await ask();
    assert.equal(asked("cccc"), 2);
    ccp.setConfig(config([B, C], { requests: 100, windowMs: 60_000 }));
    await ask();
    assert.deepEqual([asked("bbbb"), asked("cccc")], [1, 2]);
    // A, listed again, left its rest with the reload that removed it: it is asked.
    ccp.setConfig(config([A, B, C]));
    await ask();
    assert.deepEqual([asked("aaaa"), asked("bbbb"), asked("cccc")], [2, 1, 2]);
    for (const key of [A, B, C]) {
      assert.ok(!ccp.logs.some((line) => line.includes(key.slice(0, -4))), "a key in the log");
    }
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
