import assert from "node:assert/strict";
import { testConfig } from "./config.ts";
import { claudeStage, claudeWorkspace } from "./claude_print.ts";

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("claudeStage: `await using` closes ccp and the mocks and removes the workspace on a throw", async () => {
  const closed: string[] = [];
  const mocks = ["a", "b"].map((name) => ({ close: () => void closed.push(name) }));
  let dir = "";
  let url = "";
  await assert.rejects(async () => {
    await using stage = await claudeStage("ccp-stage-throw-", testConfig({ providers: [] }), {
      mocks,
    });
    dir = stage.ws.home.replace(/\/home$/, "");
    url = stage.ccp.url;
    await Deno.writeTextFile(`${stage.ws.work}/f`, "x");
    throw new Error("the test failed");
  }, /the test failed/);
  assert.deepEqual(closed, ["a", "b"]);
  assert.equal(await exists(dir), false);
  await assert.rejects(fetch(`${url}/health`));
});

Deno.test("claudeStage: when ccp cannot start, the mocks are closed and no workspace is left", async () => {
  const closed: string[] = [];
  const before = new Set<string>();
  for await (const e of Deno.readDir(Deno.env.get("TMPDIR") ?? "/tmp")) before.add(e.name);
  await assert.rejects(
    claudeStage("ccp-stage-fails-", testConfig({ providers: [] }), {
      mocks: [{ close: () => void closed.push("mock") }],
      guarded: true,
      over: {
        get departures(): never {
          throw new Error("no ccp");
        },
      },
    }),
    /no ccp/,
  );
  assert.deepEqual(closed, ["mock"]);
  for await (const e of Deno.readDir(Deno.env.get("TMPDIR") ?? "/tmp")) {
    assert.ok(before.has(e.name) || !e.name.startsWith("ccp-stage-fails-"), e.name);
  }
});

Deno.test("claudeStage: a workspace made beforehand outlives the stage, and its own `await using` removes it", async () => {
  let dir = "";
  await assert.rejects(async () => {
    await using ws = await claudeWorkspace("ccp-stage-ws-");
    dir = ws.home.replace(/\/home$/, "");
    {
      await using _stage = await claudeStage(ws, testConfig({ providers: [] }));
    }
    assert.equal(await exists(ws.work), true);
    throw new Error("the test failed");
  }, /the test failed/);
  assert.equal(await exists(dir), false);
});
