/**
 * A client that takes ccp for an HTTP proxy (HTTPS_PROXY pointed at ccp's address) asks it to open
 * a tunnel with `CONNECT host:443`: it is told that ccp is an API, not a proxy, with or without the
 * connection guard, token or not, and nothing is opened.
 */

import assert from "node:assert/strict";
import { startCcp, startGuardedCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";

const TOKEN = "connect-test-token-0123456789";

/** Sends one raw request to `url`'s port and reads the answer's status line and body. */
async function raw(url: string, request: string): Promise<{ status: string; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(url).port) });
  try {
    await conn.write(new TextEncoder().encode(request));
    let text = "";
    const buffer = new Uint8Array(16384);
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
      const at = text.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: (\d+)/i.exec(text)?.[1];
      if (at >= 0 && length !== undefined && text.length >= at + 4 + Number(length)) break;
    }
    const at = text.indexOf("\r\n\r\n");
    return { status: text.slice(0, text.indexOf("\r\n")), body: text.slice(at + 4) };
  } finally {
    conn.close();
  }
}

Deno.test("CONNECT host:port is told that ccp is not a proxy, behind the guard or not", async () => {
  for (const guarded of [true, false]) {
    for (const token of [undefined, TOKEN]) {
      const config = testConfig({
        providers: [],
        routes: { default: "up/m" },
        ...(token ? { authToken: token } : {}),
      });
      const ccp = guarded ? await startGuardedCcp(config) : startCcp(config);
      try {
        const answer = await raw(
          ccp.url,
          "CONNECT api.anthropic.com:443 HTTP/1.1\r\nhost: api.anthropic.com:443\r\n\r\n",
        );
        const where = `guarded: ${guarded}, token: ${token !== undefined}`;
        assert.equal(answer.status, "HTTP/1.1 405 Method Not Allowed", `${where}: ${answer.body}`);
        const error = JSON.parse(answer.body);
        assert.equal(error.error.type, "invalid_request_error");
        assert.match(error.error.message, /CONNECT api\.anthropic\.com:443/);
        assert.match(error.error.message, /not an HTTP proxy/);
        assert.match(error.error.message, /ANTHROPIC_BASE_URL/);
      } finally {
        await ccp.close();
      }
    }
  }
});
