/**
 * A ccp that cannot read its tokenizer table (a binary built without it, a read permission
 * denied) still answers: local counts become ~4-characters-per-token estimates, and the server
 * says why once in its log.
 */

import assert from "node:assert/strict";
import { TABLE_FILE } from "../../src/tokens/bpe.ts";
import { lazyModuleUrl } from "../../src/core/lazy_modules.ts";

/** Runs two count_tokens requests in a ccp that may not read `denied`; what it answered and logged. */
async function countWithout(denied: string) {
  const script = `
    import { createServerApp } from "${new URL("../../src/server/compose.ts", import.meta.url)}";
    import { configFromYaml } from "${new URL("../../src/config/from_yaml.ts", import.meta.url)}";
    const lines = [];
    const log = { debug() {}, info() {}, error() {}, warn: (t) => lines.push(t) };
    const config = configFromYaml({
      text: "providers: { up: { type: anthropic, base_url: 'http://127.0.0.1:9', api_key: k } }\\n" +
        "routes: { default: up/m }\\n",
      file: "test.yaml",
      env: {},
    });
    const app = createServerApp({ config: () => config, log });
    const ask = () => app.fetch(new Request("http://ccp/v1/messages/count_tokens", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "up/m", messages: [{ role: "user", content: "x".repeat(400) }] }),
    }));
    const first = await ask();
    const second = await ask();
    console.log(JSON.stringify({
      status: first.status,
      body: await first.json(),
      again: second.status,
      warnings: lines,
    }));
  `;
  // `deno eval` ignores permission flags: the script runs from a file.
  const file = await Deno.makeTempFile({ suffix: ".js" });
  await Deno.writeTextFile(file, script);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      "--allow-read",
      `--deny-read=${denied}`,
      "--allow-env",
      "--allow-net",
      file,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output().finally(() => Deno.remove(file));
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
  assert.equal(result.status, 200, JSON.stringify(result));
  assert.equal(result.again, 200);
  // 400 characters of one letter at ~4 per token, plus the message's framing.
  assert.ok(
    result.body.input_tokens >= 100 && result.body.input_tokens < 200,
    JSON.stringify(result),
  );
  assert.equal(result.warnings.length, 1, JSON.stringify(result.warnings));
  return result.warnings[0] as string;
}

Deno.test("an unreadable tokenizer table makes counts estimates, and the log says why", async () => {
  assert.match(
    await countWithout(TABLE_FILE.pathname),
    /estimates .*cannot read the tokenizer table \(.*o200k_ranks\.bin: /,
  );
});

Deno.test("tokenizer code that cannot load makes counts estimates, and the log names it", async () => {
  const code = lazyModuleUrl("tokens/o200k.ts").pathname;
  const warning = await countWithout(code);
  assert.match(warning, /estimates .*cannot load the tokenizer's code \(.*o200k\.ts: /);
  assert.doesNotMatch(warning, /table/);
});
