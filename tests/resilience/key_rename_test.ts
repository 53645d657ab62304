/**
 * A reload that renames a provider (the same server and key, the routes following) keeps its keys'
 * rests: a key cooling after a 429 is still cooling under the new name, so the chain passes it
 * rather than asking the server again and meeting the same refusal.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";

const limited = {
  kind: "json" as const,
  status: 429,
  headers: { "retry-after": "60" },
  body: { type: "error", error: { type: "rate_limit_error", message: "rate limit exceeded" } },
};

Deno.test("a key cooling after a 429 is still cooling after a reload renames its provider", async () => {
  const busy = startAnthropicMock([limited, limited, limited]);
  const spare = startAnthropicMock(
    Array.from({ length: 3 }, () => ({ kind: "stream" as const, events: textTurn("m", 1) })),
  );
  const config = (id: string) =>
    testConfig({
      providers: [
        provider(id, { baseUrl: busy.url, apiKeys: ["sk-busy-0123456789abcdef"], maxRetries: 0 }),
        provider("spare", { baseUrl: spare.url, apiKeys: ["sk-spare-0123456789abcdef"] }),
      ],
      routes: { default: [`${id}/m`, "spare/m"] },
    });
  const ccp = startCcp(config("old"));
  const ask = async () => {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    return res.headers.get("x-ccp-passed") ?? "";
  };
  try {
    await ask();
    assert.equal(busy.requests.length, 1);
    ccp.setConfig(config("new"));
    const passed = await ask();
    assert.equal(busy.requests.length, 1, "the cooling key was not asked again");
    assert.match(passed, /new\/m \(not sent: key cooling down after 429/);
  } finally {
    await ccp.close();
    await busy.close();
    await spare.close();
  }
});
