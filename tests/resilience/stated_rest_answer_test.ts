/**
 * A route whose one target's only key rests until a reset the upstream stated hours away (a spent
 * day's quota): a route with one target is always tried (the limit may have been lifted early),
 * and each turn's 429 carries the real wait, naming the provider, the limit and the moment, and
 * tells Claude Code not to retry. A guessed or short rest is probed the same way.
 */

import assert from "node:assert/strict";
import { HI, openRouterAt, startOpenRouterMock } from "../helpers/open_router_mock.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";

const KEY = "sk-or-v1-test-stated-rest-0002";
const HOUR = 3_600_000;

Deno.test("a one-target route resting for the day is still asked each turn, and its 429 names the stated reset", async () => {
  const upstream = startOpenRouterMock();
  upstream.daySpent.add(KEY.slice(-4));
  upstream.resetAt = Date.now() + 9 * HOUR;
  const ccp = startCcp(testConfig({
    providers: [openRouterAt(upstream.origin, [KEY])],
    routes: { default: "or/qwen/qwen3-coder:free" },
  }));
  try {
    const first = await postMessages(ccp.url, HI);
    assert.equal(first.status, 429);
    await first.body?.cancel();
    assert.equal(upstream.askedFor("qwen/qwen3-coder:free"), 1);
    for (let turn = 0; turn < 2; turn++) {
      const res = await postMessages(ccp.url, HI);
      const answer = await res.json();
      assert.equal(res.status, 429);
      assert.equal(upstream.askedFor("qwen/qwen3-coder:free"), 2 + turn, "asked once a turn");
      const wait = Number(res.headers.get("retry-after"));
      const expected = (upstream.resetAt - Date.now()) / 1000;
      assert.ok(Math.abs(wait - expected) < 5, `retry-after ${wait}, expected ~${expected}`);
      // Claude Code retries a 429 up to 10 times, sleeping its retry-after: told not to, it shows
      // the message at once.
      assert.equal(res.headers.get("x-should-retry"), "false");
      assert.equal(answer.error.type, "rate_limit_error");
      const message: string = answer.error.message;
      assert.match(message, /provider "or" model "qwen\/qwen3-coder:free"/);
      assert.match(message, /free-models-per-day/);
      const at = new Date(upstream.resetAt).toISOString().slice(0, 16).replace("T", " ");
      assert.ok(message.includes(`Retry in ${wait}s, at ${at} UTC.`), message);
    }
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a one-target route resting on a guessed cool-down is still asked", async () => {
  const upstream = startOpenRouterMock();
  upstream.busy.add("qwen/qwen3-coder:free");
  const ccp = startCcp(testConfig({
    providers: [openRouterAt(upstream.origin, [KEY])],
    routes: { default: "or/qwen/qwen3-coder:free" },
  }));
  try {
    const first = await postMessages(ccp.url, HI);
    assert.equal(first.status, 429);
    await first.body?.cancel();
    const asked = upstream.askedFor("qwen/qwen3-coder:free");
    upstream.busy.clear();
    const second = await postMessages(ccp.url, HI);
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.equal(upstream.askedFor("qwen/qwen3-coder:free"), asked + 1);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
