/**
 * Compressed answers are bounded by what they decode to: the runtime's fetch decodes gzip and
 * Brotli as the body is read, so a page or a search backend that sends a few KB holding hundreds
 * of MiB is cut at the limit, not held whole.
 */

import assert from "node:assert/strict";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { fetchPage } from "../../src/webtools/fetch_page.ts";
import { searchWeb } from "../../src/webtools/search.ts";

const MIB = 1024 * 1024;
const signal = new AbortController().signal;

Deno.test("compressed answers: a page or a search answer that decodes to 64 MiB is cut at the limit", async () => {
  const plain = new Uint8Array(64 * MIB).fill(0x20);
  const bodies = {
    gzip: new Uint8Array(gzipSync(plain, { level: 1 })),
    br: new Uint8Array(
      brotliCompressSync(plain, { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } }),
    ),
  };
  let sent = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const coding = new URL(req.url).pathname.endsWith("/br") ? "br" : "gzip";
    sent += bodies[coding].length;
    return new Response(bodies[coding], {
      headers: { "content-encoding": coding, "content-type": "text/plain" },
    });
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    for (const coding of ["gzip", "br"]) {
      const page = await fetchPage(`${origin}/${coding}`, {
        config: { allowPrivateNetworks: true, maxBytes: MIB, timeoutMs: 20_000 },
        fetch,
        signal,
      });
      assert.ok(page.ok, coding);
      assert.equal(page.page.text.length, MIB, coding);
      assert.equal(page.page.truncated, true, coding);

      const search = await searchWeb({ query: "q", count: 5 }, {
        config: { provider: "searxng", baseUrl: `${origin}/${coding}` },
        fetch,
        signal,
        timeoutMs: 20_000,
      });
      assert.deepEqual(search, {
        ok: false,
        code: "unavailable",
        detail: "searxng answered more than 8 MiB",
      });
    }
    // What was sent is a few hundred KB at most: the limit, not the download, ended each read.
    assert.ok(sent < 2 * MIB, `sent ${sent} bytes`);
  } finally {
    await server.shutdown();
  }
});
