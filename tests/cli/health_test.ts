import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { NOWHERE_YAML, testContext } from "./helpers.ts";

Deno.test("ccp health: 0 while ccp answers, 1 once it has stopped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_health_" });
  try {
    await Deno.writeTextFile(`${dir}/c.yaml`, NOWHERE_YAML);
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    const args = ["health", "--config", "c.yaml", "--port", String(server.port)];
    const up = testContext(dir);
    assert.equal(await runCli(args, up), 0);
    assert.match(up.io.stdout.join("\n"), /\/health: \{"status":"ok"/);
    await server.stop();
    const down = testContext(dir);
    assert.equal(await runCli(args, down), 1);
    assert.match(
      down.io.stderr.join("\n"),
      new RegExp(
        `^Cannot reach ccp at http://127\\.0\\.0\\.1:${server.port}/health: connection refused: ` +
          "start it with `deno task start`, or keep it running with `deno task start service " +
          "install`; for a ccp on another port, give that --port$",
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
