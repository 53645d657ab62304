/** The ledger in a real process: records survive SIGKILL, JSON log lines carry the record. */

import assert from "node:assert/strict";
import { fnv1a64Hex } from "../../src/translate/anthropic/ids.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { childEnv, runCcp, spawnCcp } from "../cli/helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { postMessages } from "../helpers/ccp.ts";

const KEY = "sk-ant-secret-key-0123456789";

async function waitForFile(path: string, pattern: RegExp): Promise<RegExpMatchArray> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const text = await Deno.readTextFile(path).catch(() => "");
    const match = text.match(pattern);
    if (match) return match;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} never matched ${pattern}`);
}

Deno.test("ledger: a request answered 1 s before SIGKILL is kept; JSON log lines, no key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_kill_" });
  const mock = startAnthropicMock([{
    kind: "json",
    body: textMessage("m", { input_tokens: 42, output_tokens: 7 }),
  }]);
  const yaml = `providers:
  anth: { type: anthropic, base_url: "${mock.url}", api_key: ${KEY} }
routes:
  default: anth/m
`;
  // The SIGKILL leaves ccp's socket directory behind: in this test's directory, removed with it.
  const env = childEnv(dir, { CCP_DATA_DIR: `${dir}/data`, TMPDIR: dir });
  await Deno.writeTextFile(`${dir}/c.yaml`, yaml);
  const ccp = await spawnCcp(
    ["--config", "c.yaml", "--port", "0", "--log-format", "json", "--log-file", "logs/ccp.jsonl"],
    { cwd: dir, env },
  );
  try {
    const [, url] = await waitForFile(`${dir}/logs/ccp.jsonl`, /listening on (http:\/\/[\d.:]+)/);
    const res = await postMessages(url!, {
      model: "claude-sonnet-4-5",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    }, { "x-claude-code-session-id": "s-kill" });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    await waitForFile(`${dir}/logs/ccp.jsonl`, /"request_id"/);
    await new Promise((r) => setTimeout(r, 1000));
    ccp.process.kill("SIGKILL");
    await ccp.exit();

    const log = await Deno.readTextFile(`${dir}/logs/ccp.jsonl`);
    assert.ok(!log.includes(KEY.slice(0, 20)), "no key in the log");
    assert.equal(ccp.stderr(), "", "with --log-file nothing goes to stderr");
    const lines = log.trim().split("\n").map((line) => JSON.parse(line));
    const request = lines.find((l) => l.request_id);
    assert.equal(request.level, "info");
    assert.equal(request.provider, "anth");
    assert.equal(request.model, "m");
    // The session by a hash only: the id itself is never logged.
    assert.equal(request.session_hash, fnv1a64Hex("s-kill"));
    assert.ok(!log.includes("s-kill"), "no session id in the log");
    assert.equal(request.input_tokens, 42);
    assert.equal(request.attempts[0].key, "key 1 (…6789)");

    const usage = await runCcp(["usage", "--config", "c.yaml", "--json", "--by", "model"], {
      cwd: dir,
      env,
    });
    assert.equal(usage.code, 0, usage.stderr);
    const report = JSON.parse(usage.stdout);
    assert.deepEqual(
      report.rows.map((
        r: { key: string; requests: number; input_tokens: number },
      ) => [r.key, r.requests, r.input_tokens]),
      [["anth/m", 1, 42]],
    );
  } finally {
    await ccp.kill();
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});
