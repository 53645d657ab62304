/**
 * Two real Claude Code sessions at once through one provider with two keys handed out in turn
 * (`key_strategy: round_robin`) and `routing.session_affinity`: each session runs a few Bash
 * turns, and a mock Chat Completions upstream records the key of every request. Each session's
 * requests all carry one key (its prompt cache upstream stays warm), and the two sessions carry
 * different keys (the load is spread). Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { startCcp } from "../helpers/ccp.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import { chatChunk } from "../mocks/openai_mock.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** Bash turns each session runs before it answers. */
const TURNS = 3;
const SESSIONS = ["ALPHA", "BRAVO"] as const;

/** One request the upstream saw: the session its prompt names, and the key it came with. */
interface Seen {
  readonly session: string;
  readonly key: string;
}

/**
 * A Chat upstream: a session's main loop (its prompt names it) gets a Bash call per turn until
 * {@link TURNS} results are back, then an answer; any other request gets a short text.
 */
function startChat() {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    const messages = body.messages as Obj[];
    const text = JSON.stringify(messages);
    const session = SESSIONS.find((s) => text.includes(`SESSION-${s}`)) ?? "other";
    const key = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    seen.push({ session, key });
    const results = messages.filter((m) => m.role === "tool").length;
    let sse: string;
    if (session !== "other" && results < TURNS) {
      const args = JSON.stringify({
        command: `echo ${session.toLowerCase()}-${results}`,
        description: "Echo",
      });
      sse = chatChunk({
        role: "assistant",
        tool_calls: [{
          index: 0,
          id: `call_${session}_${results}`,
          type: "function",
          function: { name: "Bash", arguments: args },
        }],
      }) + chatChunk({}, "tool_calls");
    } else {
      sse = chatChunk({ role: "assistant", content: `${session} done` }) + chatChunk({}, "stop");
    }
    return new Response(`${sse}data: [DONE]\n\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    seen,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name:
    "real Claude Code: two sessions at once on round-robin keys each keep one key, not the same",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const chat = startChat();
    const ccp = startCcp(configFromYaml({
      file: "c.yaml",
      env: {},
      text: `
providers:
  up: { type: openai, base_url: "${chat.url}", api_keys: [key-1, key-2], key_strategy: round_robin, max_retries: 0 }
routes: { default: up/m }
routing: { session_affinity: true }
`,
    }));
    const spaces = await Promise.all(SESSIONS.map(() => claudeWorkspace("ccp-balance-")));
    try {
      const results = await Promise.all(
        SESSIONS.map((s, i) =>
          printJson(spaces[i]!, ccp.url, ["-p", `SESSION-${s}: run echo ${TURNS} times.`], {
            ms: 60_000,
            tools: ["Bash"],
          })
        ),
      );
      const context = `\n${JSON.stringify(results)}\n${JSON.stringify(chat.seen)}\n${
        ccp.logs.join("")
      }`;
      SESSIONS.forEach((s, i) => {
        assert.equal(results[i]!.is_error, false, context);
        assert.equal(results[i]!.result, `${s} done`, context);
      });
      const keysOf = (s: string) =>
        new Set(chat.seen.filter((r) => r.session === s).map((r) => r.key));
      const [alpha, bravo] = SESSIONS.map((s) => [...keysOf(s)]);
      // Each main loop made TURNS + 1 requests, all with one key.
      for (const s of SESSIONS) {
        assert.ok(chat.seen.filter((r) => r.session === s).length >= TURNS + 1, context);
      }
      assert.equal(alpha!.length, 1, context);
      assert.equal(bravo!.length, 1, context);
      assert.notEqual(alpha![0], bravo![0], context);
      assert.deepEqual([alpha![0], bravo![0]].sort(), ["key-1", "key-2"], context);
    } finally {
      await ccp.close();
      await chat.close();
      await Promise.all(spaces.map((w) => w.remove()));
    }
  },
});
