import assert from "node:assert/strict";
import { childEnv, runCcp, runCodeOnSmallOllama } from "./helpers.ts";
import { startInfoServer } from "../mocks/local_server_info.ts";

const POSIX = Deno.build.os !== "windows";

/** A `claude -p` that sends one request, prints the answer and exits a moment later. */
const ONE_TURN_CLAUDE = `#!/bin/sh
"$DENO_BIN" eval --quiet "const r = await fetch(Deno.env.get('ANTHROPIC_BASE_URL') + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'ccp' }, body: JSON.stringify({ model: 'claude-opus-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'edit notes.txt' }] }) }); console.log((await r.json()).content[0].text); await new Promise((ok) => setTimeout(ok, 2500));"
`;

Deno.test({
  name: "code says on the terminal that Ollama runs the model with too little context",
  ignore: !POSIX,
  fn: async () => {
    const result = await runCodeOnSmallOllama("ccp_code_ctx_", ONE_TURN_CLAUDE);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /What would you like me to help you with today\?/);
    // The answer gave no error; only this line says why it is off-topic.
    assert.match(
      result.stderr,
      /^ccp: warning: provider "ollama": Ollama runs qwen3-coder with a context of 4096 tokens: a longer prompt is cut from the front without an error.*OLLAMA_CONTEXT_LENGTH=65536/m,
    );
    assert.doesNotMatch(result.stderr, /failed while claude ran/);
  },
});

/** A `claude` that prints the compaction variables it was given. */
const COMPACT_CLAUDE = `#!/bin/sh
echo "COMPACT=\${CLAUDE_CODE_AUTO_COMPACT_WINDOW-unset} PCT=\${CLAUDE_AUTOCOMPACT_PCT_OVERRIDE-unset}"
`;

Deno.test({
  name: "code compacts by the window a local server runs the model with, when the config has none",
  ignore: !POSIX,
  fn: async () => {
    const llama = startInfoServer({ kind: "llamacpp", nCtx: 32768 });
    const vllm = startInfoServer({ kind: "vllm", models: { big: 131072 } });
    const dir = await Deno.makeTempDir({ prefix: "ccp_code_window_" });
    try {
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(`${dir}/bin/claude`, COMPACT_CLAUDE, { mode: 0o755 });
      const env = childEnv(dir, { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? ""}` });
      const run = async (yaml: string) => {
        await Deno.writeTextFile(`${dir}/c.yaml`, yaml);
        const result = await runCcp(["code", "--config", "c.yaml", "--port", "0", "-p", "hi"], {
          cwd: dir,
          env,
        });
        assert.equal(result.code, 0, result.stderr);
        return result;
      };
      const providers = `providers:\n  llama: { preset: llamacpp, base_url: ${llama.baseUrl} }\n` +
        `  vllm: { preset: vllm, base_url: ${vllm.baseUrl} }\n`;
      // The sonnet route's 32768 is the main loop's smallest window, under Claude Code's floor.
      const learned = await run(`${providers}routes:\n  default: vllm/big\n  sonnet: llama/m\n`);
      assert.match(learned.stdout, /^COMPACT=100000 PCT=20$/m);
      assert.match(
        learned.stderr,
        /^ccp: warning: llama\.cpp \(provider "llama"\) runs m with a context of 32768 tokens, which Claude Code now compacts by and ccp fits max_tokens into\. Add model_settings: \{"m": \{context_window: 32768\}\} under provider "llama" to keep it so when the server does not answer at start\. Claude Code needs at least 64000 .*--ctx-size/m,
      );
      assert.match(
        learned.stderr,
        /^ccp: vLLM \(provider "vllm"\) runs big with a context of 131072 tokens, which Claude Code now compacts by and ccp fits max_tokens into\. Add .*at start\.$/m,
      );
      // Big enough is advice: only the window too small is a warning.
      assert.doesNotMatch(learned.stderr, /warning: vLLM/);
      // A declared window wins, and the server is not asked.
      const asked = llama.asked.length;
      const declared = await run(
        `${
          providers.replace(
            "base_url: " + llama.baseUrl,
            "base_url: " + llama.baseUrl + ", model_settings: { m: { context_window: 200000 } }",
          )
        }` +
          "routes:\n  default: llama/m\n",
      );
      assert.match(declared.stdout, /^COMPACT=200000 PCT=unset$/m);
      assert.doesNotMatch(declared.stderr, /warning/);
      assert.equal(llama.asked.length, asked);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Promise.all([llama.close(), vllm.close()]);
    }
  },
});

/** A `claude -p` that asks for 128000 output tokens, as Claude Code's main loop does. */
const LARGE_OUTPUT_CLAUDE = ONE_TURN_CLAUDE.replace("max_tokens: 5", "max_tokens: 128000");

Deno.test({
  name: "code: the window vLLM says at start fits max_tokens, so vLLM refuses no request for it",
  ignore: !POSIX,
  fn: async () => {
    const sent: number[] = [];
    // vLLM: `/v1/models` says max_model_len; its Anthropic endpoint refuses a prompt and
    // max_tokens over it, and otherwise answers with what it was asked for.
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const path = new URL(req.url).pathname;
        if (path === "/v1/models") {
          return Response.json({
            object: "list",
            data: [{ id: "big", object: "model", owned_by: "vllm", max_model_len: 32768 }],
          });
        }
        if (path !== "/v1/messages") return new Response("Not Found", { status: 404 });
        const { max_tokens } = await req.json();
        sent.push(max_tokens);
        if (max_tokens > 32768) {
          return Response.json({
            type: "error",
            error: {
              type: "BadRequestError",
              message:
                `This model's maximum context length is 32768 tokens. However, you requested ${max_tokens} output tokens and your prompt contains at least 11 input tokens, for a total of at least ${
                  max_tokens + 11
                } tokens.`,
            },
          }, { status: 400 });
        }
        return Response.json({
          id: "msg_0123456789abcdef01234567",
          type: "message",
          role: "assistant",
          model: "big",
          content: [{ type: "text", text: `answered with max_tokens ${max_tokens}` }],
          stop_reason: "end_turn",
          usage: { input_tokens: 10, output_tokens: 5 },
        });
      },
    );
    const dir = await Deno.makeTempDir({ prefix: "ccp_code_fit_" });
    try {
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(`${dir}/bin/claude`, LARGE_OUTPUT_CLAUDE, { mode: 0o755 });
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `providers:\n  vllm: { preset: vllm, base_url: http://127.0.0.1:${server.addr.port}/v1 }\n` +
          "routes:\n  default: vllm/big\n",
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
      assert.match(result.stdout, /answered with max_tokens 32\d\d\d/);
      assert.equal(sent.length, 1, `one request, none refused: ${sent}`);
      assert.ok(sent[0]! < 32768 && sent[0]! > 32000, String(sent));
    } finally {
      await Deno.remove(dir, { recursive: true });
      await server.shutdown();
    }
  },
});

/** A `claude -p` whose one request carries a long prompt (about 30k tokens); prints the answer. */
const LONG_PROMPT_CLAUDE = `#!/bin/sh
"$DENO_BIN" eval --quiet "const r = await fetch(Deno.env.get('ANTHROPIC_BASE_URL') + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'ccp' }, body: JSON.stringify({ model: 'claude-opus-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'edit notes.txt '.repeat(10000) }] }) }); console.log(r.status, JSON.stringify(await r.json()));"
`;

Deno.test({
  name:
    "code: a prompt far over the context Ollama runs the model with is not sent, from the first",
  ignore: !POSIX,
  fn: async () => {
    const result = await runCodeOnSmallOllama("ccp_code_cut_", LONG_PROMPT_CLAUDE);
    assert.match(
      result.stdout,
      /^400 .*prompt is too long: \d+ tokens > 4096 maximum \(ccp's count; not sent: Ollama runs qwen3-coder with a context of 4096 tokens/m,
    );
    assert.match(result.stderr, /^ccp: warning: provider "ollama": Ollama runs qwen3-coder/m);
  },
});
