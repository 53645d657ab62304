import assert from "node:assert/strict";
import { fromBase64Url, toBase64Url } from "../../src/core/base64url.ts";

Deno.test("base64url: unpadded, URL-safe, and back, past one chunk of 32 KiB", () => {
  assert.equal(toBase64Url(new Uint8Array([0xfb, 0xff])), "-_8");
  assert.deepEqual(fromBase64Url("-_8"), new Uint8Array([0xfb, 0xff]));
  assert.deepEqual(fromBase64Url("-_8="), new Uint8Array([0xfb, 0xff]));
  const big = Uint8Array.from({ length: 0x8000 * 2 + 7 }, (_, i) => (i * 31) & 0xff);
  const text = toBase64Url(big);
  assert.match(text, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(fromBase64Url(text), big);
  assert.throws(() => fromBase64Url("not base64!"));
});
