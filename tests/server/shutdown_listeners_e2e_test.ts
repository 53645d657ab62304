/**
 * Every answer that streams listens to the server-wide shutdown signal, which lives as long as
 * ccp: each must let go of it once its client is gone, however it left, or the stream (and the
 * upstream connection it reads) stays reachable for as long as ccp runs.
 */

import assert from "node:assert/strict";
import { postMessages, rawPost, startCcp, startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const enc = new TextEncoder();
const START = `event: message_start\ndata: ${
  JSON.stringify({
    type: "message_start",
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [],
      stop_reason: null,
      usage: { input_tokens: 1, output_tokens: 0 },
    },
  })
}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}\n\n`;

/** An upstream that starts an answer (after `delayMs`) and then never ends it. */
function stallingUpstream(delayMs = 0): { url: string; close: () => Promise<void> } {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode(START));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** A stand-in shutdown signal that counts who listens. */
function countingSignal(): { signal: AbortSignal; listeners: () => number } {
  let n = 0;
  const signal = {
    aborted: false,
    addEventListener: () => n++,
    removeEventListener: () => n--,
  } as unknown as AbortSignal;
  return { signal, listeners: () => n };
}

async function until(check: () => boolean, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

const BODY = {
  model: "m",
  max_tokens: 10,
  stream: true,
  messages: [{ role: "user", content: "hi" }],
};

for (const guarded of [false, true]) {
  const name = guarded ? "behind the connection guard" : "plain";
  Deno.test(`shutdown listeners end with the client, ${name}`, async (t) => {
    const upstream = stallingUpstream();
    const shutdown = countingSignal();
    const config = testConfig({
      providers: [provider("up", { baseUrl: upstream.url, apiKeys: ["k"] })],
      routes: { default: "up/m" },
    });
    const ccp = guarded
      ? await startGuardedCcp(config, { shutdown: shutdown.signal })
      : startCcp(config, { shutdown: shutdown.signal });
    try {
      await t.step("a client that read the start, then aborted", async () => {
        const abort = new AbortController();
        const res = await fetch(`${ccp.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(BODY),
          signal: abort.signal,
        });
        const reader = res.body!.getReader();
        await reader.read();
        assert.equal(shutdown.listeners(), 1);
        abort.abort();
        await reader.cancel().catch(() => {});
        assert.ok(await until(() => shutdown.listeners() === 0), `${shutdown.listeners()} left`);
      });
      await t.step("a client that hung up its socket without reading", async () => {
        const conn = await rawPost(ccp.url, "/v1/messages", {
          "content-type": "application/json",
        }, JSON.stringify(BODY));
        assert.ok(await until(() => shutdown.listeners() === 1), "the stream started");
        conn.close();
        assert.ok(await until(() => shutdown.listeners() === 0), `${shutdown.listeners()} left`);
      });
      await t.step("a client that cancelled the body it got", async () => {
        const res = await postMessages(ccp.url, BODY);
        await res.body!.cancel();
        assert.ok(await until(() => shutdown.listeners() === 0), `${shutdown.listeners()} left`);
      });
    } finally {
      await ccp.close();
      await upstream.close();
    }
  });
}

Deno.test("an answer that arrives after its client left never listens for long", async () => {
  const upstream = stallingUpstream(300);
  const shutdown = countingSignal();
  const config = testConfig({
    providers: [provider("up", { baseUrl: upstream.url, apiKeys: ["k"] })],
    routes: { default: "up/m" },
  });
  const ccp = await startGuardedCcp(config, { shutdown: shutdown.signal });
  try {
    const conn = await rawPost(ccp.url, "/v1/messages", {
      "content-type": "application/json",
    }, JSON.stringify(BODY));
    await new Promise((r) => setTimeout(r, 50));
    conn.close();
    await new Promise((r) => setTimeout(r, 600));
    assert.ok(await until(() => shutdown.listeners() === 0), `${shutdown.listeners()} left`);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});
