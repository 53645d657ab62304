/**
 * The connection guard closes a client's connection after an answer of ccp's that says
 * `connection: close`. An upstream's own `connection: close` (its connection to ccp) is no such
 * answer: the client's keep-alive connection stays open for its next request, whether the
 * upstream's answer was served or refused, with the client's own credential (auth: passthrough)
 * or ccp's key.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import { readToClose } from "./_sockets.ts";

const encoder = new TextEncoder();

/** An upstream that closes its connection after every answer: 200, then 400, in turn. */
function closingUpstream() {
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    const headers = {
      connection: "close",
      "anthropic-ratelimit-unified-status": "allowed",
    };
    if (n++ % 2 === 1) {
      return Response.json(
        { type: "error", error: { type: "invalid_request_error", message: "refused" } },
        { status: 400, headers },
      );
    }
    return Response.json({
      id: `msg_${n}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [{ type: "text", text: "ok" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 1 },
    }, { headers });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function request(port: number): Uint8Array {
  const body = JSON.stringify({
    model: "claude-sonnet-4-5",
    max_tokens: 16,
    messages: [{ role: "user", content: "hi" }],
  });
  return encoder.encode(
    `POST /v1/messages HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n` +
      `x-api-key: sk-ant-client-0123456789\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
}

/** Whether `text` holds a whole answer (its head and the body its content-length gives). */
function whole(text: string): boolean {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, end));
  return length !== null && text.length - end - 4 >= Number(length[1]);
}

for (const auth of ["passthrough", "key"] as const) {
  Deno.test(`an upstream's connection: close does not close the client's keep-alive connection (auth: ${auth})`, async () => {
    const upstream = closingUpstream();
    const over: Partial<ProviderConfig> = auth === "passthrough"
      ? { baseUrl: upstream.url, auth: "passthrough", apiKeys: [] }
      : { baseUrl: upstream.url, apiKeys: ["sk-up-0123456789"] };
    const config = testConfig({
      providers: [provider("up", { ...over, maxRetries: 0 })],
      routes: { default: "up/m" },
    });
    const server = await startGuardedCcp(config);
    const port = Number(new URL(server.url).port);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      // Served, refused, served again: each answer on the same connection.
      for (const status of [200, 400, 200]) {
        await conn.write(request(port));
        const { text, closed } = await readToClose(conn, 10_000, whole);
        assert.match(text, new RegExp(`^HTTP/1\\.1 ${status} `), text);
        assert.doesNotMatch(text.split("\r\n\r\n")[0]!, /\r\nconnection: close/i, text);
        assert.equal(closed, false, "the client's connection stays open");
      }
    } finally {
      conn.close();
      await server.close();
      await upstream.close();
    }
  });
}
