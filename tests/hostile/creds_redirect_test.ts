/**
 * API calls never follow redirects: an upstream answering 307 to another origin does not get the
 * request (and the key headers) re-sent there; the client gets a 502 that says so.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import { messages, providerOf, startUpstream } from "./creds_helpers.ts";

const KEY = "sk-redirect-0123456789abcdef";

Deno.test("a 307 to another origin is not followed, on every protocol and count_tokens", async (t) => {
  const elsewhere = startUpstream(() => Response.json({ stolen: true }));
  const redirecting = startUpstream((seen) =>
    new Response(null, { status: 307, headers: { location: `${elsewhere.url}${seen.path}` } })
  );
  try {
    const cases = [
      ["anthropic", "/v1/messages"],
      ["openai", "/v1/messages"],
      ["gemini", "/v1/messages"],
      ["anthropic", "/v1/messages/count_tokens"],
    ] as const;
    for (const [kind, path] of cases) {
      await t.step(`${kind} ${path}`, async () => {
        const ccp = startCcp(testConfig({
          providers: [providerOf(kind, redirecting.url, KEY, { maxRetries: 0 })],
          routes: { default: "up/m" },
        }));
        try {
          const before = redirecting.seen.length;
          const res = await fetch(`${ccp.url}${path}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: messages(),
          });
          const json = await res.json();
          assert.equal(
            redirecting.seen.length,
            before + 1,
            "the redirecting upstream was asked once",
          );
          assert.equal(elsewhere.seen.length, 0, "nothing reached the redirect's target");
          if (path.endsWith("count_tokens")) {
            // count_tokens falls back to the local count when the upstream cannot count.
            assert.equal(typeof json.input_tokens, "number");
            return;
          }
          assert.equal(res.status, 502);
          assert.equal(json.error.type, "api_error");
          assert.match(json.error.message, /redirect not followed/);
          assert.match(json.error.message, /provider "up" \(model m\)/i);
          assert.ok(!JSON.stringify(json).includes(KEY));
        } finally {
          await ccp.close();
        }
      });
    }
  } finally {
    await redirecting.close();
    await elsewhere.close();
  }
});
