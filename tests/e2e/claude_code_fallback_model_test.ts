/**
 * `claude -p --fallback-model haiku` through ccp when every target of the main route is out of
 * capacity, with Claude Code's own retries left as a user has them (ten): an Anthropic provider
 * that answers 529, then an OpenAI-style one that says so with a 429 ("The engine is currently
 * overloaded"). ccp answers each try with Anthropic's 529 `overloaded_error`, so after its
 * third try Claude Code switches to the fallback model, which ccp routes to another provider (a
 * thinking Chat model) that runs Bash and finishes the task. Skipped when `claude` is not
 * installed.
 */

import assert from "node:assert/strict";
import { CLAUDE_QUIET, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";
import { anthropicErrorBody } from "../mocks/anthropic_fixtures.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** An upstream that refuses every request with `status` and `body`, counting them. */
function startRefusing(status: number, body: Obj) {
  let count = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.arrayBuffer();
    count++;
    return Response.json(body, { status });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    count: () => count,
    close: () => server.shutdown(),
  };
}

/** The fallback's Chat model: reasoning and a Bash call, then, with the result back, an answer. */
function startSpare() {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const result = (body.messages as Obj[]).find((m) => m.role === "tool");
    const parts = [chatChunk({ role: "assistant", content: "" })];
    if (result) {
      parts.push(chatChunk({ content: `Spare saw: ${result.content}` }), chatChunk({}, "stop"));
    } else {
      const args = JSON.stringify({ command: "echo spare-ran", description: "Say it" });
      parts.push(
        chatChunk({ reasoning_content: "The main model is busy; I run it." }),
        chatChunk({
          tool_calls: [{
            index: 0,
            id: "call_spare_1",
            type: "function",
            function: { name: "Bash", arguments: args },
          }],
        }),
        chatChunk({}, "tool_calls"),
      );
    }
    const usage = { prompt_tokens: 60, completion_tokens: 6, total_tokens: 66 };
    return chatStreamAnswer(parts, usage);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "real Claude Code with --fallback-model: every target of the route overloaded, the " +
    "fallback model reaches another route through ccp and finishes the task",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const busyChat = startRefusing(429, {
      error: { message: "The engine is currently overloaded, please try again later" },
    });
    const busyClaude = startRefusing(529, anthropicErrorBody("overloaded_error", "Overloaded"));
    const spare = startSpare();
    await using stage = await claudeStage(
      "ccp-fallback-model-",
      testConfig({
        providers: [
          provider("busychat", {
            type: "openai",
            baseUrl: `${busyChat.url}/v1`,
            authHeader: "bearer",
            apiKeys: ["sk-busy"],
          }),
          provider("claude", { baseUrl: busyClaude.url, preset: "anthropic", apiKeys: ["sk-ant"] }),
          provider("spare", { type: "openai", baseUrl: spare.url, authHeader: "bearer" }),
        ],
        routes: {
          default: ["claude/claude-opus-5-5", "busychat/big"],
          haiku: "spare/small",
        },
        authToken: "e2e-token",
      }),
      { mocks: [busyChat, busyClaude, spare], guarded: true },
    );
    const { ws, ccp } = stage;
    const env = {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: ws.home,
      CLAUDE_CODE_TMPDIR: ws.home,
      ANTHROPIC_BASE_URL: ccp.url,
      ANTHROPIC_AUTH_TOKEN: "e2e-token",
      ...CLAUDE_QUIET,
    };
    const args = ["-p", "run it", "--fallback-model", "haiku", ...STREAM_JSON];
    const tools = ["--permission-mode", "acceptEdits", "--allowedTools", "Bash"];
    // A 429 here is retried as the user's own rate limit for minutes, with no fallback: the
    // bound fails the test long before that.
    const out = await runClaude([...args, ...tools], ws.work, env, 20_000);
    const events = new TextDecoder().decode(out.stdout).split("\n").filter(Boolean)
      .map((line) => JSON.parse(line) as Obj);
    const seen = JSON.stringify(
      events.filter((e) => e.type === "system" && e.subtype !== "init"),
    );

    // Each try got Anthropic's answer for a provider out of capacity, and Claude Code fell back.
    const retries = events.filter((e) => e.subtype === "api_retry");
    assert.ok(retries.length >= 1, seen);
    for (const r of retries) {
      assert.equal(r.error_status, 529, seen);
      assert.equal(r.error, "overloaded", seen);
    }
    const fallback = events.find((e) => e.subtype === "model_fallback");
    assert.equal(fallback?.trigger, "overloaded", seen);
    assert.equal(fallback?.fallback_model, "claude-haiku-5-5", seen);

    // Every try went through the whole route; the fallback's turns went to the spare alone.
    const tries = retries.length + 1;
    assert.equal(busyChat.count(), tries);
    assert.equal(busyClaude.count(), tries);
    assert.equal(spare.bodies.length, 2, "the Bash call, then the answer");

    const result = events.find((e) => e.type === "result");
    assert.equal(result?.is_error, false, JSON.stringify(result));
    assert.equal(result?.result, "Spare saw: spare-ran");
  },
});
