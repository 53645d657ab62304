/** One turn of the event loop sends what was started: a fetch reaches its server before the code after the turn. */

import assert from "node:assert/strict";
import { nextEventLoopTurn } from "../../src/core/event_loop.ts";

// The server runs in its own process: in this one it could not see the request while the test
// keeps the thread busy, which is exactly what a long local count does.
const SERVER = `
Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(port) }, async (req) => {
  await req.arrayBuffer();
  return new Response(String(Date.now()));
});`;

Deno.test("after nextEventLoopTurn a started fetch is on the network, long before busy code ends", async () => {
  const server = new Deno.Command(Deno.execPath(), {
    args: ["eval", SERVER],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let port = "";
    while (!port.includes("\n")) port += (await lines.read()).value ?? "";
    lines.releaseLock();
    const url = `http://127.0.0.1:${port.trim()}/`;
    await (await fetch(url, { method: "POST", body: "warm" })).text(); // connection pooled
    for (let i = 0; i < 3; i++) {
      const answer = fetch(url, { method: "POST", body: "x".repeat(45_000) });
      await nextEventLoopTurn();
      const busyUntil = Date.now() + 400; // a slow count, holding the thread
      while (Date.now() < busyUntil) { /* busy */ }
      const seenAt = Number(await (await answer).text());
      assert.ok(
        seenAt < busyUntil - 200,
        `the server saw the request ${busyUntil - seenAt} ms before the busy code ended`,
      );
    }
  } finally {
    server.kill();
    await server.status;
    await server.stdout.cancel().catch(() => {});
  }
});
