/**
 * An open status page is no request in flight: when ccp stops, its live stream (/ui/events) ends
 * at once (the page's EventSource reconnects to the next ccp by itself), so stopping ccp with a
 * /ui tab open neither waits out the whole grace period nor warns that streams were cut.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";

const TOKEN = "ccp-ui-shutdown-token";

Deno.test("stopping ccp ends the status page's live stream at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ui_stop_" });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: data }
providers:
  anth: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: sk-ant-0123456789 }
routes:
  default: anth/m
`,
    );
    const ctx = testContext(dir);
    // The default grace period (8 s): the stream must not be what the stop waits for.
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    const res = await fetch(`${server.url}/ui/events`, { headers: { "x-api-key": TOKEN } });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /^event: inflight\ndata: 0\n\n/);
    const started = Date.now();
    await server.stop();
    const took = Date.now() - started;
    // The stream ended: the page's EventSource sees the end and reconnects.
    const end = await Promise.race([
      (async () => {
        while (!(await reader.read()).done);
        return "ended";
      })(),
      new Promise((resolve) => setTimeout(() => resolve("still open"), 1000)),
    ]);
    if (end !== "ended") await reader.cancel();
    const log = ctx.io.stderr.join("\n");
    assert.equal(end, "ended");
    assert.ok(took < 3000, `stopping took ${took} ms:\n${log}`);
    assert.doesNotMatch(log, /Grace period over/);
    assert.match(log, /Stopped/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
