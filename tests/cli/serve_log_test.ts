/**
 * `ccp serve`'s log holds a turn's lines and writes them together (one write, not one per
 * request), writes a warning or an error at once after what it held, and loses nothing at exit.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { serveLog } from "../../src/cli/serve_log.ts";
import { childEnv, spawnCcp, type SpawnedCcp, testContext } from "./helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { postMessages } from "../helpers/ccp.ts";

const turnOver = () => new Promise((resolve) => setTimeout(resolve, 0));

async function logOf(level: string) {
  const ctx = testContext("/nonexistent");
  const config = configFromYaml({
    text:
      `server: { log_level: ${level} }\nproviders: { a: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: k } }\n` +
      "routes: { default: a/m }\n",
    file: "c.yaml",
    env: {},
  });
  const served = await serveLog({ ctx, flags: {} }, config);
  return { ctx, ...served };
}

Deno.test("a turn's log lines leave in one write, in order, once the turn is over", async () => {
  const { ctx, log, closed } = await logOf("info");
  try {
    log.info("request 1");
    log.info("request 2");
    log.info("request 3");
    assert.equal(ctx.io.stderr.length, 0);
    await turnOver();
    assert.equal(ctx.io.stderr.length, 1);
    assert.deepEqual(
      ctx.io.stderr[0]!.split("\n").map((l) => l.slice(25)),
      ["INFO  request 1", "INFO  request 2", "INFO  request 3"],
    );
  } finally {
    closed();
  }
});

Deno.test("a warning is written at once, after the lines held before it", async () => {
  const { ctx, log, closed } = await logOf("info");
  try {
    log.info("before");
    log.warn("upstream down");
    assert.deepEqual(
      ctx.io.stderr.join("\n").split("\n").map((l) => l.slice(25)),
      ["INFO  before", "WARN  upstream down"],
    );
  } finally {
    closed();
  }
});

Deno.test("the lines held when ccp exits are written: at Deno.exit's unload, and when the log closes", async () => {
  const { ctx, log, closed } = await logOf("info");
  log.info("last request");
  // What Deno.exit runs before the process ends (a timer would never fire).
  globalThis.dispatchEvent(new Event("unload"));
  assert.deepEqual(ctx.io.stderr.map((l) => l.slice(25)), ["INFO  last request"]);
  log.info("after the stop");
  closed();
  assert.deepEqual(ctx.io.stderr.map((l) => l.slice(25)).slice(1), ["INFO  after the stop"]);
  // Closed: an exit no longer calls on this log.
  log.info("late");
  globalThis.dispatchEvent(new Event("unload"));
  assert.equal(ctx.io.stderr.length, 2);
  await turnOver();
  assert.equal(ctx.io.stderr.length, 3);
});

Deno.test("ccp serve stopped right after its answers has written every request's line, the stop's after them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_serve_log_" });
  const mock = startAnthropicMock([{
    kind: "json",
    body: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 1 },
    },
  }]);
  let ccp: SpawnedCcp | undefined;
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: serve-log-token, data_dir: data }
providers:
  anth: { type: anthropic, base_url: "${mock.url}", api_key: sk-ant-serve-log-0123456789 }
routes:
  default: anth/m
`,
    );
    ccp = await spawnCcp(["serve", "--config", "c.yaml", "--port", "0"], {
      cwd: dir,
      env: childEnv(dir),
    });
    const url = (await ccp.waitForStderr(/listening on (http:\/\/\S+)/))[1]!;
    const sent = 12;
    const statuses = await Promise.all(
      Array.from({ length: sent }, async () => {
        const res = await postMessages(url, {
          model: "claude-sonnet-4-5",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }, { "x-api-key": "serve-log-token" });
        await res.body?.cancel();
        return res.status;
      }),
    );
    assert.deepEqual(statuses, Array(sent).fill(200));
    ccp.process.kill("SIGTERM");
    assert.equal((await ccp.exit()).code, 0);
    const lines = ccp.stderr().split("\n");
    const requests = lines.flatMap((l, i) => l.includes("POST /v1/messages") ? [i] : []);
    assert.equal(requests.length, sent, ccp.stderr());
    const stopping = lines.findIndex((l) => l.includes("Stopping: no new connections"));
    assert.ok(stopping > requests.at(-1)!, ccp.stderr());
  } finally {
    await ccp?.kill();
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A log file that is a pipe (a FIFO a log shipper reads), opened with `serveLog`'s writer. */
async function pipedLog(dir: string) {
  const path = `${dir}/log.fifo`;
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(made.success, "mkfifo");
  const ctx = testContext(dir);
  const config = configFromYaml({
    text:
      `server: { log_level: info, log_file: ${path} }\nproviders: { a: { type: anthropic, base_url: "http://127.0.0.1:9", api_key: k } }\n` +
      "routes: { default: a/m }\n",
    file: "c.yaml",
    env: {},
  });
  // Opening a FIFO to write waits for its reader, and the reader's open for a writer.
  const [reader, served] = await Promise.all([
    Deno.open(path, { read: true }),
    serveLog({ ctx, flags: {} }, config),
  ]);
  return { ctx, path, reader, ...served };
}

Deno.test({
  name:
    "a log file that can no longer be written (its reader gone) drops lines and says so once; ccp goes on",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_serve_log_pipe_" });
    const { ctx, path, reader, log, closed } = await pipedLog(dir);
    try {
      log.info("read");
      await turnOver();
      const buffer = new Uint8Array(4096);
      const got = new TextDecoder().decode(buffer.subarray(0, (await reader.read(buffer)) ?? 0));
      assert.match(got, /INFO {2}read\n$/);
      reader.close();
      // Written at the turn's end, where a write that throws would end the process.
      log.info("into a closed pipe");
      await turnOver();
      // Written at once, where a write that throws would fail the request that logs it.
      log.warn("a warning");
      log.error("an error");
      await turnOver();
      assert.equal(ctx.io.stderr.length, 1, ctx.io.stderr.join("\n"));
      assert.match(ctx.io.stderr[0]!, new RegExp(`^ccp: cannot write the log file ${path}: `));
      assert.match(ctx.io.stderr[0]!, /lines are dropped/);
    } finally {
      closed();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
