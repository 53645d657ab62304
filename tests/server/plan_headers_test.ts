/**
 * A Claude plan's usage headers (`anthropic-ratelimit-unified-*`) reach the client for an answer
 * an `auth: passthrough` provider gave — streamed or not, a success or the refusal that ends the
 * chain — and never from any other provider.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import {
  anthropicHead,
  anthropicTail,
  messages,
  providerOf,
  sse,
  startUpstream,
} from "../hostile/creds_helpers.ts";
import { planHeaders } from "../../src/upstream/anthropic/plan_headers.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

const RESET = "1767232800";
const PLAN = {
  "anthropic-ratelimit-unified-status": "allowed_warning",
  "anthropic-ratelimit-unified-reset": RESET,
  "anthropic-ratelimit-unified-representative-claim": "five_hour",
  "anthropic-ratelimit-unified-5h-utilization": "0.91",
};
// Headers of Anthropic's answer that are not the plan's: they stay behind.
const OTHER = {
  "anthropic-organization-id": "org-1",
  "anthropic-ratelimit-requests-remaining": "9",
};

function answer(stream: boolean, headers: Record<string, string>): Response {
  if (stream) {
    const response = sse([...anthropicHead(), ...anthropicTail()]);
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  }
  return Response.json(textMessage("m", { input_tokens: 3, output_tokens: 1 }), { headers });
}

function planOf(response: Response): Record<string, string> {
  return Object.fromEntries(
    [...response.headers].filter(([name]) => name.startsWith("anthropic-ratelimit")),
  );
}

async function post(url: string, stream: boolean): Promise<Response> {
  return await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-ant-oat01-user" },
    body: messages({ stream }),
  });
}

Deno.test("a passthrough provider's plan headers reach the client, streamed or not", async (t) => {
  const upstream = startUpstream((seen) =>
    answer(JSON.parse(seen.body).stream === true, { ...PLAN, ...OTHER })
  );
  const ccp = startCcp(testConfig({
    providers: [providerOf("anthropic", upstream.url, "", { apiKeys: [], auth: "passthrough" })],
    routes: { default: "up/m" },
  }));
  try {
    for (const stream of [true, false]) {
      await t.step(stream ? "streamed" : "JSON", async () => {
        const res = await post(ccp.url, stream);
        await res.body?.cancel();
        assert.equal(res.status, 200);
        assert.deepEqual(planOf(res), PLAN);
        assert.equal(res.headers.get("anthropic-organization-id"), null);
        assert.equal(res.headers.get("x-ccp-provider"), "up");
      });
    }
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("the plan's refusal, when it ends the chain, carries its headers to the client", async () => {
  const refusal = {
    "anthropic-ratelimit-unified-status": "rejected",
    "anthropic-ratelimit-unified-reset": String(Math.floor(Date.now() / 1000) + 7200),
    "anthropic-ratelimit-unified-representative-claim": "five_hour",
  };
  const upstream = startUpstream(() =>
    Response.json(
      { type: "error", error: { type: "rate_limit_error", message: "rate limited" } },
      { status: 429, headers: { ...refusal, ...OTHER } },
    )
  );
  const ccp = startCcp(testConfig({
    providers: [providerOf("anthropic", upstream.url, "", { apiKeys: [], auth: "passthrough" })],
    routes: { default: "up/m" },
  }));
  try {
    const res = await post(ccp.url, true);
    const body = await res.json();
    assert.equal(res.status, 429);
    assert.equal(body.error.type, "rate_limit_error");
    assert.deepEqual(planOf(res), refusal);
    // Two hours is no wait to sit out inside one call: the client shows the error at once.
    // The reset is in whole seconds: up to one of them has gone by since it was written.
    assert.ok(
      ["7199", "7200"].includes(res.headers.get("retry-after") ?? ""),
      res.headers.get("retry-after") ?? "no retry-after",
    );
    assert.equal(res.headers.get("x-should-retry"), "false");
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("plan headers never come from a key-based provider or another target", async (t) => {
  await t.step("a key-based Anthropic provider's headers describe ccp's account", async () => {
    const upstream = startUpstream((seen) =>
      answer(JSON.parse(seen.body).stream === true, { ...PLAN })
    );
    const ccp = startCcp(testConfig({
      providers: [providerOf("anthropic", upstream.url, "sk-ant-api03-0123456789")],
      routes: { default: "up/m" },
    }));
    try {
      for (const stream of [true, false]) {
        const res = await post(ccp.url, stream);
        await res.body?.cancel();
        assert.equal(res.status, 200);
        assert.deepEqual(planOf(res), {});
      }
    } finally {
      await ccp.close();
      await upstream.close();
    }
  });
  await t.step("the plan refused, the fallback served: the answer is the fallback's", async () => {
    const plan = startUpstream(() =>
      Response.json({ type: "error", error: { type: "rate_limit_error", message: "limit" } }, {
        status: 429,
        headers: { ...PLAN, "anthropic-ratelimit-unified-status": "rejected" },
      })
    );
    const other = startUpstream((seen) => answer(JSON.parse(seen.body).stream === true, {}));
    const ccp = startCcp(testConfig({
      providers: [
        providerOf("anthropic", plan.url, "", { id: "claude", apiKeys: [], auth: "passthrough" }),
        providerOf("anthropic", other.url, "sk-ant-api03-0123456789", { id: "other" }),
      ],
      routes: { default: ["claude/m", "other/m"] },
    }));
    try {
      const res = await post(ccp.url, true);
      await res.body?.cancel();
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-provider"), "other");
      assert.deepEqual(planOf(res), {});
    } finally {
      await ccp.close();
      await plan.close();
      await other.close();
    }
  });
});

Deno.test("planHeaders: only the plan's headers, bounded, only for passthrough", () => {
  const many = new Headers({ "anthropic-ratelimit-unified-long": "x".repeat(300), other: "1" });
  for (let i = 0; i < 100; i++) many.set(`anthropic-ratelimit-unified-h${i}`, String(i));
  const relayed = planHeaders({ auth: "passthrough" }, many)!;
  assert.equal(Object.keys(relayed).length, 64);
  assert.ok(Object.keys(relayed).every((name) => name.startsWith("anthropic-ratelimit-unified-")));
  assert.equal(relayed["anthropic-ratelimit-unified-long"], undefined);
  assert.equal(planHeaders({ auth: "key" }, many), undefined);
  assert.equal(planHeaders({ auth: "passthrough" }, new Headers({ other: "1" })), undefined);
});
