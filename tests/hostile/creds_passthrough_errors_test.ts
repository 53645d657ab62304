/**
 * An `auth: passthrough` upstream that refuses the client's own credential (401/403), before the
 * first byte or in its stream: the client hears a gateway error that names the provider, never
 * `authentication_error` or `permission_error` (Claude Code would take those as its own login
 * failing), and never the credential, which the upstream may quote back.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import {
  anthropicHead,
  frame,
  messageBody,
  providerOf,
  sse,
  startUpstream,
} from "./creds_helpers.ts";

const TOKEN = "ccp-token-0123456789abcdef";
// Not shaped like any known key: only knowing the credential itself can scrub it.
const CREDENTIAL = "corp-gateway-credential-0123456789-QRST";
const TYPE_OF = { 401: "authentication_error", 403: "permission_error" } as const;

async function askPlan(answer: () => Response, stream: boolean) {
  const plan = startUpstream(answer);
  const ccp = startCcp(testConfig({
    providers: [
      providerOf("anthropic", plan.url, "", { id: "claude", apiKeys: [], auth: "passthrough" }),
    ],
    routes: { default: "claude/m" },
    authToken: TOKEN,
  }));
  try {
    const res = await postMessages(ccp.url, messageBody({ stream }), {
      authorization: `Bearer ${TOKEN}`,
      "x-api-key": CREDENTIAL,
    });
    const text = await res.text();
    return { status: res.status, text, logs: ccp.logs.join("\n") };
  } finally {
    await ccp.close();
    await plan.close();
  }
}

/** The error body of a JSON answer, or of the stream's one `event: error`. */
function errorOf(text: string): { type: string; message: string } {
  const data = /^event: error\r?\ndata: (.*)$/m.exec(text)?.[1] ?? text;
  return JSON.parse(data).error;
}

for (const status of [401, 403] as const) {
  const refusal = (message: string) => ({
    type: "error",
    error: { type: TYPE_OF[status], message },
  });
  Deno.test(`passthrough ${status}: an api_error naming the provider, without the credential`, async (t) => {
    for (const stream of [false, true]) {
      await t.step(`before the first byte, stream: ${stream}`, async () => {
        const got = await askPlan(
          () => Response.json(refusal(`credential ${CREDENTIAL} is revoked`), { status }),
          stream,
        );
        assert.equal(got.status, 502);
        const error = errorOf(got.text);
        assert.equal(error.type, "api_error");
        assert.match(
          error.message,
          /^Provider "claude" \(model m\) answered HTTP \d+ \(the provider refused the client's own credential/,
        );
        assert.ok(!got.text.includes("credential-0123456789"), got.text);
        assert.ok(!got.logs.includes("credential-0123456789"), got.logs);
      });
      await t.step(`in the stream, stream: ${stream}`, async () => {
        const got = await askPlan(
          () => sse([...anthropicHead(), frame("error", refusal(`key ${CREDENTIAL} is revoked`))]),
          stream,
        );
        const error = errorOf(got.text);
        assert.equal(error.type, "api_error");
        // Whose refusal it was, as before the first byte: not the client's ccp token.
        assert.match(
          error.message,
          new RegExp(`^Provider "claude" \\(model m\\) sent ${TYPE_OF[status]} mid-stream \\(`),
        );
        assert.ok(!got.text.includes("credential-0123456789"), got.text);
        assert.ok(!got.logs.includes("credential-0123456789"), got.logs);
      });
    }
    await t.step("a 2xx JSON answer that is the refusal", async () => {
      const got = await askPlan(
        () => Response.json(refusal(`key ${CREDENTIAL} is revoked`)),
        false,
      );
      const error = errorOf(got.text);
      assert.equal(error.type, "api_error");
      assert.ok(!got.text.includes("credential-0123456789"), got.text);
    });
  });
}
