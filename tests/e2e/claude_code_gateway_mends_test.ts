/**
 * Real Claude Code (`claude -p`) through ccp against an Anthropic-compatible gateway that leaves
 * the answer's last block, a Write call, without its `content_block_stop` (recorded-style stream
 * in tests/fixtures/anthropic/unclosed_last_block.sse, with the call made a Write): the call must
 * run, as it would against Anthropic. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";

const claude = await findClaude();

/** The fixture's turn with its Bash call made a Write of `content` to `target`. */
function unclosedWrite(target: string, content: string): string {
  const input = JSON.stringify({ file_path: target, content });
  const fixture = Deno.readTextFileSync(
    new URL("../fixtures/anthropic/unclosed_last_block.sse", import.meta.url),
  );
  const pieces = [input.slice(0, 20), input.slice(20)];
  return fixture
    .replace('"name":"Bash"', '"name":"Write"')
    .replace("I'll list the test files first.", "I'll write the file.")
    .replace(
      /"partial_json":"\{[^\n]*ls tests"/,
      `"partial_json":${JSON.stringify(pieces[0])}`,
    )
    .replace(/"partial_json":"\/[^\n]*"\}\}/, `"partial_json":${JSON.stringify(pieces[1])}}}`);
}

const ev = (data: Record<string, unknown>) =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/** A short final answer, framed as Anthropic frames one. */
function finalAnswer(text: string): string {
  return [
    ev({
      type: "message_start",
      message: {
        id: "msg_final",
        type: "message",
        role: "assistant",
        model: "gw-model",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 9300, output_tokens: 0 },
      },
    }),
    ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    ev({ type: "content_block_stop", index: 0 }),
    ev({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: 3 },
    }),
    ev({ type: "message_stop" }),
  ].join("");
}

Deno.test({
  name: "real Claude Code runs a tool call whose block the gateway never stopped",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const work = await Deno.makeTempDir({ prefix: "ccp-e2e-" });
    const home = await Deno.makeTempDir({ prefix: "ccp-home-" });
    const target = `${work}/notes.txt`;
    let turns = 0;
    const gateway = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        await req.body?.cancel();
        if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/v1/messages")) {
          return new Response("not here", { status: 404 });
        }
        const body = turns++ === 0
          ? unclosedWrite(target, "written through a gateway\n")
          : finalAnswer("Done.");
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      },
    );
    const ccp = await startGuardedCcp(
      testConfig({
        providers: [provider("gw", {
          baseUrl: `http://127.0.0.1:${gateway.addr.port}`,
          authHeader: "bearer",
          apiKeys: ["gw-key"],
        })],
        routes: { default: "gw/gw-model" },
        authToken: "e2e-token",
      }),
      { countTokens: (body) => countRequestTokensAsync(body) },
    );
    try {
      const out = await runClaude(
        [
          "-p",
          `Write "written through a gateway" into ${target}`,
          ...STREAM_JSON,
          "--permission-mode",
          "acceptEdits",
          "--allowedTools",
          "Write",
        ],
        work,
        claudeEnv(home, ccp.url),
        90_000,
      );
      const stdout = new TextDecoder().decode(out.stdout);
      const lines = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
      const result = lines.find((e) => e.type === "result");
      const said = `${stdout}\n${new TextDecoder().decode(out.stderr)}\n${ccp.logs.join("")}`;
      assert.ok(result, `no result line:\n${said}`);
      assert.equal(result.is_error, false, said);
      assert.equal(result.result, "Done.");
      assert.equal(await Deno.readTextFile(target), "written through a gateway\n", said);
      assert.equal(turns, 2, "the tool's result went back for a second turn");
    } finally {
      await ccp.close();
      await gateway.shutdown();
      await Deno.remove(work, { recursive: true });
      await Deno.remove(home, { recursive: true });
    }
  },
});
