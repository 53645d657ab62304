import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";

// The first bytes of a TLS ClientHello: what a client sends for an https:// base URL.
const CLIENT_HELLO = new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03]);

Deno.test("an https:// client on ccp's plain HTTP port: closed at once, and the log says why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_plain_http_" });
  const ctx = testContext(dir);
  await Deno.writeTextFile(`${dir}/c.yaml`, "routes: {default: ollama/m}\n");
  const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
  try {
    for (let i = 0; i < 2; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(CLIENT_HELLO);
      const started = performance.now();
      const n = await conn.read(new Uint8Array(64)).catch(() => null);
      // Closed well before the header timeout (10 s by default).
      assert.equal(n, null);
      assert.ok(performance.now() - started < 2000);
      conn.close();
    }
    const log = ctx.io.stderr.join("\n");
    const lines = log.split("\n").filter((l) => l.includes("TLS"));
    assert.equal(lines.length, 1, log);
    assert.match(lines[0]!, /https:\/\/.*plain HTTP.*ANTHROPIC_BASE_URL=http:\/\//);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
