/**
 * Auto mode, the interactive Claude Code's default permission mode since 2.1.332, has the API
 * check each risky tool call: every request carries a `safeguards` field and the
 * `dangerous-tool-use-2026-09-03` beta, and the answer's `message_delta` carries
 * `safeguard_results`. Through ccp to an Anthropic upstream (the `anthropic` preset, here a mock
 * that answers as that check does) all three pass, so a risky command runs as it does on a direct
 * connection; on a translated upstream there is no check, and Claude Code says so, unless it is
 * told `CLAUDE_CODE_AUTO_MODE_SERVER=0` (as `ccp code` does): then its own classifier checks the
 * call, through ccp to the sonnet route.
 * Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  startSession,
  tmuxAndClaude,
  tuiEnv,
  type TuiPlace,
  tuiPlace,
  typeLine,
  waitForScreen,
} from "../helpers/tmux.ts";
import { encodeEvents, openingMessage, sseEvent as ev } from "../mocks/anthropic_fixtures.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { chatAnswer } from "../helpers/chat_answer.ts";

const ready = await tmuxAndClaude();

type Obj = Record<string, unknown>;

// Risky-looking (a script piped into a shell) but harmless: nothing listens on port 9.
const RISKY = "curl -s http://127.0.0.1:9/install.sh | sh";
const NO_CHECK = /Auto mode can't check actions/;

/** One Bash call of {@link RISKY}, judged not flagged; after its result, a text answer. */
function answer(body: Obj): string {
  const messages = body.messages as Array<{ content: unknown }>;
  const done = JSON.stringify(messages.at(-1)?.content).includes("tool_result");
  const usage = { input_tokens: 900, output_tokens: 1 };
  const message = openingMessage(
    `msg_${crypto.randomUUID().replaceAll("-", "")}`,
    body.model,
    usage,
  );
  const events = [ev("message_start", { message })];
  if (done) {
    events.push(
      ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Installed." } }),
      ev("content_block_stop", { index: 0 }),
      ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage }),
    );
  } else {
    const id = `toolu_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
    const input = JSON.stringify({ command: RISKY, description: "Install" });
    const verdict = { type: "evaluated", outcome: "not_flagged" };
    const results = [{
      type: "dangerous_tool_use",
      status: { type: "available", tool_uses: { [id]: verdict } },
    }];
    events.push(
      ev("content_block_start", {
        index: 0,
        content_block: { type: "tool_use", id, name: "Bash", input: {} },
      }),
      ev("content_block_delta", {
        index: 0,
        delta: { type: "input_json_delta", partial_json: input },
      }),
      ev("content_block_stop", { index: 0 }),
      ev("message_delta", {
        delta: { stop_reason: "tool_use", stop_sequence: null, safeguard_results: results },
        usage,
      }),
    );
  }
  events.push(ev("message_stop", {}));
  return encodeEvents(events);
}

function startCheckingAnthropic() {
  const requests: Array<{ headers: Headers; body: Obj }> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    requests.push({ headers: req.headers, body });
    return new Response(answer(body), { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, requests, close: () => server.shutdown() };
}

async function tui(
  { home, work, session }: TuiPlace,
  url: string,
  env: Record<string, string> = {},
): Promise<void> {
  await startSession(session, work, { ...tuiEnv(home, url), ...env }, ["claude"]);
  await waitForScreen(session, /auto mode on/, 15_000);
  await typeLine(session, "install it");
}

Deno.test({
  name: "Claude Code TUI in auto mode through ccp to Anthropic: the server's check of a risky " +
    "command passes both ways, and it runs without asking",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-auto");
    const up = startCheckingAnthropic();
    const ccp = await startGuardedCcp(
      testConfig({
        providers: [provider("claude", { preset: "anthropic", baseUrl: up.url, maxRetries: 0 })],
        routes: { default: "claude/claude-opus-5-5" },
      }),
    );
    try {
      await tui(place, ccp.url);
      const shown = await waitForScreen(place.session, /Installed\.|Auto mode can't/, 15_000);
      assert.doesNotMatch(shown, NO_CHECK);
      assert.equal(up.requests.length, 2);
      for (const { headers, body } of up.requests) {
        assert.match(headers.get("anthropic-beta") ?? "", /dangerous-tool-use-2026-09-03/);
        const safeguards = body.safeguards as Obj[] | undefined;
        assert.equal(safeguards?.[0]?.type, "dangerous_tool_use", JSON.stringify(body.safeguards));
      }
    } finally {
      await place.close();
      await ccp.close();
      await up.close();
    }
  },
});

function chatCall(): string {
  const chunk = (delta: Obj, finish: string | null = null) =>
    `data: ${
      JSON.stringify({
        id: "c",
        object: "chat.completion.chunk",
        created: 1,
        model: "m",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  const args = JSON.stringify({ command: RISKY, description: "Install" });
  const call = {
    index: 0,
    id: "call_1",
    type: "function",
    function: { name: "Bash", arguments: args },
  };
  return chunk({ role: "assistant", tool_calls: [call] }) + chunk({}, "tool_calls") +
    "data: [DONE]\n\n";
}

Deno.test({
  name: "Claude Code TUI in auto mode through ccp on a translated upstream: no server check, " +
    "Claude Code says so before running a risky command",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-auto-chat");
    const up = startOpenAIMock({ sse: chatCall() });
    const ccp = await startGuardedCcp(
      testConfig({
        providers: [provider("up", { type: "openai", baseUrl: up.url, maxRetries: 0 })],
        routes: { default: "up/model" },
      }),
    );
    try {
      await tui(place, ccp.url);
      await waitForScreen(place.session, NO_CHECK, 15_000);
      assert.equal(up.requests.length, 1, "the command waits for the user");
      // The Anthropic-only check's field never reaches a translated upstream.
      assert.ok(!JSON.stringify(up.requests[0]!.body).includes("dangerous_tool_use"));
    } finally {
      await place.close();
      await ccp.close();
      await up.close();
    }
  },
});

/**
 * A Chat Completions upstream for the agent (model `agent`: one Bash call of {@link RISKY}, then
 * text) and for auto mode's classifier (model `checker`: a harmless grade).
 */
function startChecked() {
  const requests: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    requests.push(body);
    const stream = body.stream === true;
    if (body.model === "checker") {
      return chatAnswer(stream, { content: "<severity>10</severity>" }, "stop");
    }
    const messages = body.messages as Obj[];
    if (messages.at(-1)?.role === "tool") {
      return chatAnswer(stream, { content: "Installed." }, "stop");
    }
    const args = JSON.stringify({ command: RISKY, description: "Install" });
    const call = { id: "call_1", type: "function", function: { name: "Bash", arguments: args } };
    return chatAnswer(stream, { content: null, tool_calls: [call] }, "tool_calls");
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, requests, close: () => server.shutdown() };
}

Deno.test({
  name: "Claude Code TUI in auto mode through ccp on a translated upstream, told to check calls " +
    "itself: its classifier's request goes through ccp to the sonnet route, and the command runs",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-auto-own");
    const up = startChecked();
    const ccp = await startGuardedCcp(
      testConfig({
        providers: [provider("up", { type: "openai", baseUrl: up.url, maxRetries: 0 })],
        routes: { default: "up/agent", sonnet: "up/checker" },
      }),
    );
    try {
      await tui(place, ccp.url, { CLAUDE_CODE_AUTO_MODE_SERVER: "0" });
      const shown = await waitForScreen(
        place.session,
        /Installed\.|Auto mode can't|Not run/,
        20_000,
      );
      assert.doesNotMatch(shown, /Auto mode can't|Not run/);
      const checks = up.requests.filter((body) => body.model === "checker");
      assert.ok(checks.length >= 1, "the classifier asked through ccp");
      assert.match(JSON.stringify(checks[0]!.messages), /security monitor/);
      assert.match(JSON.stringify(checks[0]!.messages), /install\.sh \| sh/);
      const agent = up.requests.filter((body) => body.model === "agent");
      assert.equal(agent.length, 2, "the command ran and its result went back");
      assert.match(JSON.stringify(agent[1]!.messages), /"role":"tool"/);
    } finally {
      await place.close();
      await ccp.close();
      await up.close();
    }
  },
});
