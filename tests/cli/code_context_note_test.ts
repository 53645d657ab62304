import assert from "node:assert/strict";
import { childEnv, runCcp } from "./helpers.ts";
import { psAnswer } from "../mocks/ollama_api.ts";

const POSIX = Deno.build.os !== "windows";

/**
 * An Ollama that runs qwen3-coder with its small default context: `/api/ps` says 4096, and its
 * Anthropic endpoint answers whatever it kept of the prompt (it cut the rest, with no error).
 */
function startOllama() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/ps") return psAnswer({ "qwen3-coder:latest": 4096 });
    if (path === "/v1/messages") {
      return Response.json({
        id: "msg_0123456789abcdef01234567",
        type: "message",
        role: "assistant",
        model: "qwen3-coder",
        content: [{ type: "text", text: "Sure! What would you like me to help you with today?" }],
        stop_reason: "end_turn",
        usage: { input_tokens: 4096, output_tokens: 14 },
      });
    }
    return new Response("404 page not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

/** A `claude -p` that sends one request, prints the answer and exits a moment later. */
const ONE_TURN_CLAUDE = `#!/bin/sh
"$DENO_BIN" eval --quiet "const r = await fetch(Deno.env.get('ANTHROPIC_BASE_URL') + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'ccp' }, body: JSON.stringify({ model: 'claude-opus-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'edit notes.txt' }] }) }); console.log((await r.json()).content[0].text); await new Promise((ok) => setTimeout(ok, 2500));"
`;

Deno.test({
  name: "code says on the terminal that Ollama runs the model with too little context",
  ignore: !POSIX,
  fn: async () => {
    const ollama = startOllama();
    const dir = await Deno.makeTempDir({ prefix: "ccp_code_ctx_" });
    try {
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(`${dir}/bin/claude`, ONE_TURN_CLAUDE, { mode: 0o755 });
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `providers:\n  ollama: { preset: ollama, base_url: ${ollama.url} }\n` +
          "routes:\n  default: ollama/qwen3-coder\n",
      );
      const env = childEnv(dir, {
        PATH: `${dir}/bin:${Deno.env.get("PATH") ?? ""}`,
        DENO_BIN: Deno.execPath(),
      });
      const result = await runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
        cwd: dir,
        env,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /What would you like me to help you with today\?/);
      // The answer gave no error; only this line says why it is off-topic.
      assert.match(
        result.stderr,
        /^ccp: warning: provider "ollama": Ollama runs qwen3-coder with a context of 4096 tokens: a longer prompt is cut from the front without an error.*OLLAMA_CONTEXT_LENGTH=65536/m,
      );
      assert.doesNotMatch(result.stderr, /failed while claude ran/);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await ollama.close();
    }
  },
});
