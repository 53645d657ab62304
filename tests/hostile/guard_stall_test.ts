/**
 * A stalled ccp (a loaded machine, a long task) does not take a client's bytes that waited
 * unread meanwhile for silence. The guard's idle timer fires as soon as the process runs again,
 * before the reads that were waiting: it ended connections whose client had sent in time (under
 * load, a trickled body's connection just as the server's 400 for it was on its way).
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

// The client, on a thread of its own: it sends while the main thread (ccp's) is stalled.
const CLIENT = `
const encoder = new TextEncoder();
let conn;
let parts;
self.onmessage = async ({ data }) => {
  if (data.port) {
    conn = await Deno.connect({ hostname: "127.0.0.1", port: data.port });
    parts = data.parts;
    await conn.write(encoder.encode(parts[0]));
    self.postMessage("sent");
  } else if (data === "during the stall") {
    setTimeout(() => conn.write(encoder.encode(parts[1])).catch(() => {}), 150);
  } else if (data === "finish") {
    let text = "";
    try {
      await conn.write(encoder.encode(parts[2]));
      const buffer = new Uint8Array(4096);
      const until = Date.now() + 10000;
      while (Date.now() < until && !text.includes("}}")) {
        const n = await conn.read(buffer);
        if (n === null) break;
        text += new TextDecoder().decode(buffer.subarray(0, n));
      }
    } catch (err) {
      text += String(err);
    }
    conn.close();
    self.postMessage(text);
  }
};
`;

const HEAD = "POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n";

for (
  const [name, timeouts, parts] of [
    [
      "the idle limit (a body's bytes)",
      { headersMs: 10_000, bodyMs: 10_000, idleMs: 300 },
      [`${HEAD}content-length: 7\r\n\r\n{"a":`, "1", "}"],
    ],
    [
      "the head limit (a head's end)",
      { headersMs: 300, bodyMs: 10_000, idleMs: 10_000 },
      [HEAD, "content-length: 7\r\n\r\n", '{"a":1}'],
    ],
  ] as const
) {
  Deno.test(`bytes a client sent while ccp was stalled past ${name} keep its connection`, async () => {
    const base = testConfig({
      providers: [provider("up", { baseUrl: "http://127.0.0.1:9", apiKeys: ["k-1234567890"] })],
      routes: { default: "up/m" },
    });
    const server = await startGuardedCcp({
      ...base,
      server: { ...base.server, clientTimeouts: timeouts },
    });
    const url = URL.createObjectURL(new Blob([CLIENT], { type: "text/javascript" }));
    const worker = new Worker(url, { type: "module" });
    const replies: string[] = [];
    let replied = () => {};
    worker.onmessage = ({ data }) => {
      replies.push(data);
      replied();
    };
    const reply = async (count: number) => {
      while (replies.length < count) await new Promise<void>((r) => (replied = r));
      return replies[count - 1]!;
    };
    try {
      worker.postMessage({ port: Number(new URL(server.url).port), parts });
      assert.equal(await reply(1), "sent");
      // The first part is read: the limit runs from here.
      await new Promise((r) => setTimeout(r, 100));
      worker.postMessage("during the stall");
      // ccp's thread stalls for twice the limit; the client sends the second part 150 ms into it.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 700);
      await new Promise((r) => setTimeout(r, 150));
      worker.postMessage("finish");
      const text = await reply(2);
      // The request was read whole and answered (a 400: it is no Messages request).
      assert.match(text, /^HTTP\/1\.1 400 /, text);
      assert.match(text, /invalid_request_error/);
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
      await server.close();
    }
  });
}
