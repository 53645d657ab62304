/**
 * `ccp serve` with a route to Ollama: a model Ollama runs with too little context for Claude Code
 * is named once in the log, on the first request routed to it, from a check made in the
 * background after start: a request to a model whose context is known asks Ollama nothing on its
 * way (after it, the model is asked about again in the background).
 */

import assert from "node:assert/strict";
import { startServer } from "../../src/cli/serve.ts";
import { inTempDir, testContext } from "./helpers.ts";
import { psAnswer } from "../mocks/ollama_api.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";
import { postMessages } from "../helpers/ccp.ts";

/** Ollama as its API documents it: `/api/ps`, `/api/show`, and its Anthropic `/v1/messages`. */
function startOllama() {
  const asked: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    asked.push(path);
    if (path === "/api/ps") {
      return psAnswer({ "qwen3-coder:latest": 4096 });
    }
    if (path === "/v1/messages") {
      await req.body?.cancel();
      return Response.json(textMessage("qwen3-coder", { input_tokens: 3, output_tokens: 1 }));
    }
    return new Response("404 page not found", { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, asked, close: () => server.shutdown() };
}

Deno.test("ccp serve warns once of an Ollama model run with too little context", async () => {
  const ollama = startOllama();
  await inTempDir("ccp_serve_ollama_", async (dir) => {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `providers:\n  ollama:\n    preset: ollama\n    base_url: ${ollama.url}\n` +
        "routes:\n  default: ollama/qwen3-coder\n",
    );
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    const send = async () => {
      const response = await postMessages(server.url, {
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      });
      assert.equal(response.status, 200, await response.clone().text());
      await response.body?.cancel();
    };
    const warnings = () => ctx.io.stderr.join("\n").match(/WARN .*with a context of 4096/g) ?? [];
    try {
      const deadline = performance.now() + 5000;
      while (!ollama.asked.includes("/api/ps")) {
        assert.ok(performance.now() < deadline, "the background check never asked /api/ps");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(warnings(), [], "nothing said before a request is routed there");
      await send();
      await send();
      assert.equal(warnings().length, 1, ctx.io.stderr.join("\n"));
      assert.match(warnings()[0]!, /provider "ollama": Ollama runs qwen3-coder/);
      const first = ollama.asked.indexOf("/v1/messages");
      assert.deepEqual(ollama.asked.slice(0, first), ["/api/ps"], "the request asked nothing");
    } finally {
      await server.stop();
      await ollama.close();
    }
  });
});
