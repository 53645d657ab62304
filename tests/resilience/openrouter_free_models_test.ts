/**
 * OpenRouter's daily limit of free models counts every `:free` model of the account together:
 * once it says `free-models-per-day`, the key rests for each of them (another free model on it is
 * not asked, only to be refused), while its paid models still serve. An upstream provider's 429
 * for one model stays that model's.
 */

import assert from "node:assert/strict";
import { HI, openRouterAt, startOpenRouterMock } from "../helpers/open_router_mock.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import { FakeClock } from "./fake_clock.ts";
import { FREE_MODELS, type KeyLease, KeyPool } from "../../src/resilience/key_pool.ts";

const KEY = "sk-or-v1-test-free-models-0001";

Deno.test("a spent free-models-per-day rests the key for every :free model, not its paid ones", async () => {
  const upstream = startOpenRouterMock();
  upstream.daySpent.add(KEY.slice(-4));
  const ccp = startCcp(testConfig({
    providers: [openRouterAt(upstream.origin, [KEY])],
    routes: {
      default: ["or/qwen/qwen3-coder:free", "or/moonshotai/kimi-k2:free", "or/openai/gpt-5-mini"],
      sonnet: ["or/z-ai/glm-4.5-air:free", "or/openai/gpt-5-mini"],
    },
  }));
  try {
    const first = await postMessages(ccp.url, { ...HI, model: "claude-opus-4-5" });
    assert.equal(first.status, 200);
    await first.body?.cancel();
    assert.equal(upstream.askedFor("openai/gpt-5-mini"), 1);
    assert.equal(upstream.askedFor("qwen/qwen3-coder:free"), 1);
    assert.equal(upstream.askedFor("moonshotai/kimi-k2:free"), 0, "the other free model was asked");
    // Another route's free model on the same key rests too.
    const second = await postMessages(ccp.url, HI);
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.equal(upstream.askedFor("z-ai/glm-4.5-air:free"), 0);
    assert.equal(upstream.askedFor("openai/gpt-5-mini"), 2);
    assert.ok(
      ccp.logs.some((line) =>
        line.includes("the key cools down for") && /on every free model/.test(line)
      ),
      ccp.logs.join("\n"),
    );
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("an upstream provider's 429 for one free model leaves the other free models served", async () => {
  const upstream = startOpenRouterMock();
  upstream.busy.add("qwen/qwen3-coder:free");
  const ccp = startCcp(testConfig({
    providers: [openRouterAt(upstream.origin, [KEY])],
    routes: { default: ["or/qwen/qwen3-coder:free", "or/moonshotai/kimi-k2:free"] },
  }));
  try {
    const res = await postMessages(ccp.url, HI);
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(upstream.askedFor("moonshotai/kimi-k2:free"), 1);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a free model's answer ends the free models' rest; a paid model's does not", async () => {
  const clock = new FakeClock();
  const pool = new KeyPool([KEY], { clock });
  const key = (pool.pick("a:free") as { key: KeyLease }).key;
  pool.rateLimited(key, 10 * 3_600_000, FREE_MODELS, "free-models-per-day", true);
  assert.equal(pool.pick("b:free").ok, false);
  assert.equal(pool.pick("openai/gpt-5-mini").ok, true);
  pool.succeeded(key, "openai/gpt-5-mini");
  assert.equal(pool.pick("b:free").ok, false);
  await clock.advance(60_000);
  pool.succeeded(key, "b:free");
  assert.equal(pool.pick("a:free").ok, true);
});
