/**
 * Real Claude Code (`claude -p`) through ccp against an Anthropic-compatible gateway whose streams
 * go from their last block to `message_stop` with no `message_delta` at all. Claude Code runs the
 * call either way, but keeps an assistant message whose stop reason is null as one still being
 * streamed, and its result reports that null reason and no output: ccp ends each answer as
 * Anthropic does. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";

const claude = await findClaude();

const ev = (data: Record<string, unknown>) =>
  `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

function start(id: string): string {
  return ev({
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model: "gw-model",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 9300, output_tokens: 0 },
    },
  });
}

/** A Write call, its block stopped, then message_stop: no message_delta. */
function writeCall(target: string, content: string): string {
  const input = JSON.stringify({ file_path: target, content });
  return [
    start("msg_call"),
    ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: "I'll write the file." },
    }),
    ev({ type: "content_block_stop", index: 0 }),
    ev({
      type: "content_block_start",
      index: 1,
      content_block: { type: "tool_use", id: "toolu_gw_1", name: "Write", input: {} },
    }),
    ev({
      type: "content_block_delta",
      index: 1,
      delta: { type: "input_json_delta", partial_json: input },
    }),
    ev({ type: "content_block_stop", index: 1 }),
    ev({ type: "message_stop" }),
  ].join("");
}

/** A short final answer, no message_delta. */
function finalAnswer(text: string): string {
  return [
    start("msg_final"),
    ev({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    ev({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    ev({ type: "content_block_stop", index: 0 }),
    ev({ type: "message_stop" }),
  ].join("");
}

Deno.test({
  name: "real Claude Code: a gateway answer with no message_delta",
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
        const text = await req.text();
        if (req.method !== "POST" || !new URL(req.url).pathname.endsWith("/v1/messages")) {
          return new Response("not here", { status: 404 });
        }
        const isMain = text.includes("notes.txt");
        const body = !isMain
          ? finalAnswer("Title")
          : turns++ === 0
          ? writeCall(target, "written through a gateway\n")
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
      // What Claude Code reports of the session: it finished, with output counted.
      assert.equal(result.stop_reason, "end_turn", said);
      assert.ok(result.usage.output_tokens > 0, JSON.stringify(result.usage));
      // The session's transcript: the stop reason each answer's messages were kept with.
      const kept: unknown[][] = [];
      for await (const dir of Deno.readDir(`${home}/.claude/projects`)) {
        for await (const file of Deno.readDir(`${home}/.claude/projects/${dir.name}`)) {
          if (!file.name.endsWith(".jsonl")) continue;
          const text = await Deno.readTextFile(`${home}/.claude/projects/${dir.name}/${file.name}`);
          for (const line of text.split("\n").filter(Boolean)) {
            const entry = JSON.parse(line);
            if (entry.type !== "assistant") continue;
            const blocks = entry.message.content.map((b: { type: string }) => b.type).join(",");
            kept.push([blocks, entry.message.stop_reason]);
          }
        }
      }
      // Without a message_delta each was kept with a null reason, as if still being streamed.
      assert.deepEqual(kept, [["text", "tool_use"], ["tool_use", "tool_use"], [
        "text",
        "end_turn",
      ]]);
    } finally {
      await ccp.close();
      await gateway.shutdown();
      await Deno.remove(work, { recursive: true });
      await Deno.remove(home, { recursive: true });
    }
  },
});
