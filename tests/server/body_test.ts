/** Request bodies: UTF-8 read exactly, a byte-order mark skipped, invalid bytes as U+FFFD. */

import assert from "node:assert/strict";
import { readJsonBody } from "../../src/server/body.ts";

const post = (bytes: Uint8Array<ArrayBuffer>) =>
  new Request("http://ccp/v1/messages", { method: "POST", body: bytes });

Deno.test("a valid UTF-8 body is read exactly, a leading byte-order mark skipped", async () => {
  const text = JSON.stringify({ messages: [{ role: "user", content: "héllo ✓ 𝄞 — 日本" }] });
  const bytes = new TextEncoder().encode(text);
  assert.deepEqual(await readJsonBody(post(bytes), 1 << 20), JSON.parse(text));
  const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
  assert.deepEqual(await readJsonBody(post(withBom), 1 << 20), JSON.parse(text));
});

Deno.test("a body with bytes that are not UTF-8 is still read, those bytes as U+FFFD", async () => {
  const head = new TextEncoder().encode('{"content":"a');
  const tail = new TextEncoder().encode('b"}');
  const bytes = new Uint8Array([...head, 0xff, 0xc3, ...tail]);
  assert.deepEqual(await readJsonBody(post(bytes), 1 << 20), { content: "a\uFFFD\uFFFDb" });
});
