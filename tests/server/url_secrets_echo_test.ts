/**
 * Credentials a provider's config holds outside `api_keys` — a `?key=` in its base_url, a
 * password in its URL, a header named like a credential — are scrubbed like keys: an upstream
 * that quotes its own request back (its URL, its headers) does not hand them to the client or
 * the log.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import type { ProviderConfig } from "../../src/config/types.ts";

const SECRET = /SECRET|ABCDEFGH/;

Deno.test("an upstream quoting its URL and headers leaks none of their credentials", async () => {
  // Answers 400 quoting the request's URL and its x- headers.
  const echo = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const headers = [...req.headers].filter(([k]) => k.startsWith("x-"))
      .map(([k, v]) => `${k}=${v}`).join(" ");
    return Response.json(
      { error: { type: "invalid_request_error", message: `bad ${req.url} ${headers}` } },
      { status: 400 },
    );
  });
  const at = `127.0.0.1:${echo.addr.port}`;
  const cases: Partial<ProviderConfig>[] = [
    { type: "gemini", baseUrl: `http://${at}/v1?key=QUERYSECRET-123456` },
    { type: "openai", baseUrl: `http://${at}/v1?api-key=QUERYSECRET-123456` },
    { baseUrl: `http://puser:URLSECRET-123456@${at}/v1` },
    { baseUrl: `http://${at}/v1`, headers: { "x-gateway-token": "HEADERSECRET-123456" } },
  ];
  try {
    for (const over of cases) {
      const ccp = startCcp(testConfig({
        providers: [
          provider("up", { ...over, apiKeys: ["sk-realkey-ABCDEFGH12345678"], maxRetries: 0 }),
        ],
        routes: { default: "up/m" },
      }));
      try {
        const res = await postMessages(ccp.url, {
          model: "m",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        });
        const text = await res.text();
        assert.equal(res.status, 400, text);
        assert.match(text, /bad http:\/\/127\.0\.0\.1/, "the upstream's words reach the client");
        assert.doesNotMatch(text, SECRET, `${JSON.stringify(over)}: ${text}`);
        assert.doesNotMatch(ccp.logs.join("\n"), SECRET, JSON.stringify(over));
      } finally {
        await ccp.close();
      }
    }
  } finally {
    await echo.shutdown();
  }
});
