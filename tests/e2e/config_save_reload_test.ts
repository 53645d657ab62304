/**
 * `ccp serve`, spawned as a user runs it, reloads its config file when it is saved: in place, by a
 * new file renamed over it (vim, VS Code), and deleted then created again. Each save's next request
 * goes to the route's new target and the log says so in one line; a stream in flight finishes
 * where it started; a save with a mistake is named and the running config kept.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, spawnCcp } from "../cli/helpers.ts";
import { type AnthropicMock, startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { postMessages } from "../helpers/ccp.ts";
import { saveAsEditor } from "../helpers/editor_save.ts";

function message(model: string): Record<string, unknown> {
  return {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text: "ok" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 1 },
  };
}

function yaml(alpha: AnthropicMock, beta: AnthropicMock, target: string): string {
  return [
    "providers:",
    ...[["alpha", alpha], ["beta", beta]].flatMap(([id, mock]) => [
      `  ${id}:`,
      "    type: anthropic",
      `    base_url: ${(mock as AnthropicMock).url}`,
      "    api_key: k-1234567890abcdef",
    ]),
    "routes:",
    `  default: ${target}`,
    "",
  ].join("\n");
}

function ask(url: string, stream = false): Promise<Response> {
  return postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 10,
    stream,
    messages: [{ role: "user", content: "hi" }],
  });
}

Deno.test("ccp serve reloads its config file saved each way, and keeps it on a mistake", async () => {
  const alpha = startAnthropicMock([
    { kind: "stream", events: textTurn("a1", 8), delayMs: 120 },
    { kind: "json", body: message("a") },
  ]);
  const beta = startAnthropicMock([{ kind: "json", body: message("b") }]);
  await inTempDir("ccp_save_reload_", async (dir) => {
    const path = `${dir}/ccp.yaml`;
    await Deno.writeTextFile(path, yaml(alpha, beta, "alpha/a1"));
    const ccp = await spawnCcp(["serve", "--config", path, "--port", "0"], {
      cwd: dir,
      env: childEnv(dir),
    });
    try {
      const url = (await ccp.waitForStderr(/listening on (http:\/\/\S+)/))[1]!;
      const saved = (n: number) =>
        ccp.waitForStderr(
          new RegExp(`(?:Config file saved, reloaded\\. Changed: route default changed[^]*){${n}}`),
          10_000,
        );
      // A stream in flight while the route moves finishes on the provider it began with.
      const streaming = await ask(url, true);
      const reader = streaming.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = (await reader.read()).value ?? "";
      await saveAsEditor("in place", path, yaml(alpha, beta, "beta/b1"));
      await saved(1);
      for (let r = await reader.read(); !r.done; r = await reader.read()) text += r.value;
      assert.match(text, /token7 [^]*event: message_stop/);
      assert.equal((await (await ask(url)).json()).type, "message");
      assert.deepEqual(beta.requests.map((r) => r.body?.model), ["b1"]);

      await saveAsEditor("rename over", path, yaml(alpha, beta, "alpha/a2"));
      await saved(2);
      await (await ask(url)).body?.cancel();
      assert.deepEqual(alpha.requests.map((r) => r.body?.model), ["a1", "a2"]);

      await saveAsEditor("delete and create", path, yaml(alpha, beta, "beta/b3"));
      await saved(3);
      await (await ask(url)).body?.cancel();
      assert.deepEqual(beta.requests.map((r) => r.body?.model), ["b1", "b3"]);

      // A mistake: named in the log, and requests keep going where they went.
      await saveAsEditor("rename over", path, yaml(alpha, beta, "gamma/g"));
      await ccp.waitForStderr(/Config reload failed; keeping the previous config\..*gamma/, 10_000);
      await (await ask(url)).body?.cancel();
      assert.deepEqual(beta.requests.map((r) => r.body?.model), ["b1", "b3", "b3"]);
      const log = ccp.stderr();
      assert.equal(log.match(/Config file saved/g)?.length, 3, log);
      assert.doesNotMatch(log, /Reloading the config/);

      ccp.process.kill("SIGTERM");
      assert.equal((await ccp.exit(15_000)).code, 0);
    } finally {
      await ccp.kill();
    }
  });
  await alpha.close();
  await beta.close();
});
