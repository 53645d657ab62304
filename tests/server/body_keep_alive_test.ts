/**
 * A request body is read to its end, so the connection stays open for the next request: Claude
 * Code sends each turn on a kept-alive connection, and a body the server had not seen end made it
 * close the connection after the answer (`connection: close`), a new connection for every turn.
 * The read that finds the end uses a buffer of one byte (see server/body.ts).
 */

import assert from "node:assert/strict";
import { provider, testConfig } from "../helpers/config.ts";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sends `request` on `conn` and reads one whole answer; undefined when the connection closed. */
async function exchange(conn: Deno.Conn, request: Uint8Array): Promise<string | undefined> {
  await conn.write(request);
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  for (;;) {
    const n = await conn.read(buffer);
    if (n === null) return undefined;
    text += decoder.decode(buffer.subarray(0, n));
    const headEnd = text.indexOf("\r\n\r\n");
    const length = /\r\ncontent-length: (\d+)/i.exec(text);
    if (headEnd >= 0 && length && text.length >= headEnd + 4 + Number(length[1])) return text;
  }
}

Deno.test("requests with large bodies are answered one after another on one kept-alive connection", async () => {
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer();
    return Response.json(textMessage("m", { input_tokens: 1, output_tokens: 1 }));
  });
  const ccp = await startGuardedCcp(testConfig({
    providers: [provider("anth", {
      baseUrl: `http://127.0.0.1:${upstream.addr.port}`,
      apiKeys: ["k"],
      maxRetries: 0,
    })],
    routes: { default: "anth/m" },
  }));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(ccp.url).port) });
  try {
    for (const size of [100, 47_000, 300_000, 47_000]) {
      const body = JSON.stringify({
        model: "anth/m",
        max_tokens: 10,
        messages: [{ role: "user", content: "x".repeat(size) }],
      });
      const request = encoder.encode(
        `POST /v1/messages HTTP/1.1\r\nhost: ccp\r\ncontent-type: application/json\r\n` +
          `content-length: ${encoder.encode(body).byteLength}\r\n\r\n${body}`,
      );
      const answer = await exchange(conn, request);
      assert.ok(answer, `the connection closed before the answer to a ${size}-byte request`);
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.doesNotMatch(answer, /\r\nconnection: close\r\n/i, `after a ${size}-byte request`);
    }
  } finally {
    conn.close();
    await ccp.close();
    await upstream.shutdown();
  }
});
