/**
 * A local server on one loopback family only (`--host ::1`, or 127.0.0.1 where `localhost` is ::1
 * alone) refuses the other: the message names the address that answers instead of "nothing
 * listens there".
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

/** A server on `hostname` only that answers every request with 200 and no model; undefined when it cannot bind. */
function listenOn(hostname: string) {
  try {
    return Deno.serve({ hostname, port: 0, onListen: () => {} }, () => new Response("{}"));
  } catch {
    return undefined;
  }
}

async function messageFor(baseUrl: string): Promise<string> {
  const ccp = startCcp(testConfig({
    providers: [provider("local", { preset: "ollama", type: "anthropic", baseUrl, maxRetries: 0 })],
    routes: { default: "local/qwen3-coder" },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 8,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 502);
    return (await res.json()).error.message;
  } finally {
    await ccp.close();
  }
}

Deno.test("a server on ::1 only, reached as 127.0.0.1: the message names [::1]", async () => {
  const server = listenOn("::1");
  if (!server) return; // No IPv6 loopback on this machine.
  try {
    const port = server.addr.port;
    const message = await messageFor(`http://127.0.0.1:${port}`);
    assert.ok(
      message.includes(
        `over IPv6 (::1) only, which 127.0.0.1 did not reach: write ` +
          `http://[::1]:${port} in its base_url`,
      ),
      message,
    );
    assert.doesNotMatch(message, /Nothing listens there/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a server on 127.0.0.1 only, reached as [::1]: the message names 127.0.0.1", async () => {
  const server = listenOn("127.0.0.1")!;
  try {
    const port = server.addr.port;
    const message = await messageFor(`http://[::1]:${port}`);
    // Without IPv6 loopback the connect fails otherwise, and nothing is said about families.
    if (!message.includes("connection refused")) return;
    assert.ok(message.includes(`write http://127.0.0.1:${port} in its base_url`), message);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the address to write keeps the base_url's path, and names its query without showing it", async () => {
  const server = listenOn("127.0.0.1")!;
  try {
    const port = server.addr.port;
    const message = await messageFor(`http://[::1]:${port}/v1?k=keyvalue123`);
    if (!message.includes("connection refused")) return; // No IPv6 loopback on this machine.
    assert.ok(
      message.includes(`write http://127.0.0.1:${port}/v1 (its query kept) in its base_url`),
      message,
    );
    assert.doesNotMatch(message, /keyvalue123/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("nothing on either family: the message still says to start the server", async () => {
  const server = listenOn("127.0.0.1")!;
  const port = server.addr.port;
  await server.shutdown();
  const message = await messageFor(`http://127.0.0.1:${port}`);
  assert.match(message, /connection refused\. Nothing listens there: start the model server/);
});
