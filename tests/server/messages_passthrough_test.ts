/**
 * `auth: passthrough` on `POST /v1/messages`: the client's own credentials and login beta go to
 * the passthrough provider only; a provider sent ccp's own key never sees them.
 */

import assert from "node:assert/strict";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { anthropicErrorBody, thinkingTextToolMessage } from "../mocks/anthropic_fixtures.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { claudeCodeBody } from "./_messages_env.ts";

/** A Claude plan whose limit is spent for the next hour: a 429 saying `limit`. */
function spentPlan(limit: string) {
  return startAnthropicMock([{
    kind: "json",
    status: 429,
    body: anthropicErrorBody("rate_limit_error", limit),
    headers: { "retry-after": "3600" },
  }]);
}

Deno.test("auth: passthrough sends the client's own credentials upstream, and a 429 moves on", async () => {
  const plan = spentPlan("weekly limit reached");
  const fallback = startAnthropicMock([{ kind: "json", body: thinkingTextToolMessage("glm") }]);
  const ccp = startCcp(testConfig({
    providers: [
      provider("claude", { preset: "anthropic", auth: "passthrough", baseUrl: plan.url }),
      provider("zai", {
        preset: "zai",
        baseUrl: fallback.url,
        apiKeys: ["zai-key-0000000000"],
        authHeader: "bearer",
      }),
    ],
    routes: { default: ["claude/claude-sonnet-4-5", "zai/glm-4.7"] },
  }));
  try {
    const res = await postMessages(ccp.url, claudeCodeBody(false), {
      authorization: "Bearer sk-ant-oat01-CLIENTOAUTH",
      "anthropic-beta": "oauth-2025-04-20",
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).model, "claude-opus-5-5");
    const sent = plan.requests[0]!;
    assert.equal(sent.headers.get("authorization"), "Bearer sk-ant-oat01-CLIENTOAUTH");
    assert.equal(sent.headers.get("anthropic-beta"), "oauth-2025-04-20");
    assert.equal(fallback.requests[0]!.headers.get("authorization"), "Bearer zai-key-0000000000");
    assert.ok(
      !fallback.requests[0]!.headers.get("authorization")!.includes("CLIENTOAUTH"),
      "client credential never reaches another provider",
    );
  } finally {
    await ccp.close();
    await plan.close();
    await fallback.close();
  }
});

Deno.test("a provider sent ccp's own key is not sent the client's OAuth login beta; a passthrough one is", async () => {
  const plan = spentPlan("5-hour limit reached");
  const api = startAnthropicMock([{ kind: "json", body: thinkingTextToolMessage("m") }]);
  const ccp = startCcp(testConfig({
    providers: [
      provider("claude", { preset: "anthropic", auth: "passthrough", baseUrl: plan.url }),
      provider("api", {
        preset: "anthropic",
        baseUrl: api.url,
        apiKeys: ["sk-ant-api03-0000000000"],
      }),
    ],
    routes: { default: ["claude/claude-sonnet-4-5", "api/claude-sonnet-4-5"] },
  }));
  try {
    const res = await postMessages(ccp.url, claudeCodeBody(false), {
      authorization: "Bearer sk-ant-oat01-CLIENTOAUTH",
      "anthropic-beta": "claude-code-20250219,oauth-2025-04-20,effort-2025-11-24",
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    assert.equal(
      plan.requests[0]!.headers.get("anthropic-beta"),
      "claude-code-20250219,oauth-2025-04-20,effort-2025-11-24",
    );
    assert.equal(
      api.requests[0]!.headers.get("anthropic-beta"),
      "claude-code-20250219,effort-2025-11-24",
    );
  } finally {
    await ccp.close();
    await plan.close();
    await api.close();
  }
});
