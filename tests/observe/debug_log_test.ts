/**
 * `--log-level debug` says what went upstream for each attempt — provider, model, address,
 * the fields of the body ccp built, status and time — so a translation problem can be traced
 * from the log; never the prompt text and never the key.
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { postMessages } from "../helpers/ccp.ts";

const TOKEN = "ccp-debug-log-test";

/**
 * Runs `use` against a ccp at debug level whose one provider `id` is `provider` (a YAML flow
 * mapping) and whose default route is `<id>/<model>`; returns everything ccp logged.
 */
async function debugLogOf(
  id: string,
  provider: string,
  model: string,
  use: (url: string, log: () => string) => Promise<void>,
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_debuglog_" });
  const ctx = testContext(dir);
  const log = () => ctx.io.stderr.join("\n");
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: data, log_level: debug }
providers:
  ${id}: ${provider}
routes:
  default: ${id}/${model}
`,
    );
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      await use(server.url, log);
    } finally {
      await server.stop();
    }
    return log();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("debug log: one line per upstream attempt with target, address, body fields, status", async () => {
  const mock = startOpenAIMock({
    json: {
      id: "c1",
      object: "chat.completion",
      model: "gpt-x",
      choices: [{
        index: 0,
        message: { role: "assistant", content: "hello" },
        finish_reason: "stop",
      }],
      usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
    },
  });
  try {
    const log = await debugLogOf(
      "oai",
      `{ type: openai, base_url: "${mock.url}", api_key: sk-debug-secret-0123456789 }`,
      "gpt-x",
      async (url) => {
        const res = await postMessages(url, {
          model: "claude-sonnet-4-5",
          max_tokens: 10,
          messages: [{ role: "user", content: "PROMPT-WORDS-NEVER-LOGGED" }],
        }, { "x-api-key": TOKEN });
        assert.equal(res.status, 200);
        await res.text();
      },
    );
    const line = log.split("\n").find((l) =>
      l.includes("DEBUG") && l.includes("/chat/completions")
    );
    assert.ok(line, log);
    assert.match(line, /oai/);
    assert.match(line, /gpt-x/);
    assert.match(line, /\b200\b/);
    assert.match(line, /\d+ ?ms/);
    assert.match(line, /messages/);
    assert.match(line, /max_(completion_)?tokens/);
    assert.ok(!log.includes("PROMPT-WORDS"), "no prompt text");
    assert.ok(!log.includes("0123456789"), "no key");
  } finally {
    await mock.close();
  }
});

Deno.test("debug log: an attempt the client abandoned before the answer still has its line", async () => {
  const mock = startAnthropicMock([{ kind: "hang" }]);
  try {
    const log = await debugLogOf(
      "up",
      `{ type: anthropic, base_url: "${mock.url}", api_key: sk-debug-secret-0123456789 }`,
      "slow-model",
      async (url, log) => {
        // Esc in Claude Code while the model has not answered yet.
        const leave = new AbortController();
        const res = fetch(`${url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": TOKEN },
          body: JSON.stringify({
            model: "m",
            max_tokens: 10,
            messages: [{ role: "user", content: "hi" }],
          }),
          signal: leave.signal,
        });
        while (mock.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
        leave.abort();
        await res.catch(() => {});
        const deadline = Date.now() + 3000;
        while (!log().includes(" 499 ") && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 10));
        }
      },
    );
    const line = log.split("\n").find((l) => l.includes("DEBUG") && l.includes("/v1/messages"));
    assert.ok(line, log);
    assert.match(line, /slow-model/);
    assert.match(line, /→ cancelled \(client disconnected\) in \d+ ms/);
  } finally {
    await mock.close();
  }
});
