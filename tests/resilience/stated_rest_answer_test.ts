/**
 * A route whose one target's only key rests until a reset the upstream stated hours away (a spent
 * day's quota): the next turn is answered at once with that 429 and its real wait, naming the
 * provider, the limit and the moment, and the upstream is not asked again (it only refuses, one
 * request per turn all day). A guessed or short rest is still probed, the limit may have lifted.
 */

import assert from "node:assert/strict";
import { HI, openRouterAt, startOpenRouterMock } from "../helpers/open_router_mock.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";

const KEY = "sk-or-v1-test-stated-rest-0002";
const HOUR = 3_600_000;

Deno.test("a one-target route resting for the day answers the stated reset without asking", async () => {
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
      assert.equal(upstream.askedFor("qwen/qwen3-coder:free"), 1, "asked again");
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
    assert.ok(
      ccp.logs.some((line) => line.includes("not asked, its key rests")),
      ccp.logs.join("\n"),
    );
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
