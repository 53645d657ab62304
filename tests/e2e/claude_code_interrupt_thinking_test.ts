/**
 * Esc in the real, interactive Claude Code (tmux) while a thinking Chat model (DeepSeek's
 * dialect) is still streaming its reasoning, before any answer text: ccp cancels the upstream,
 * and Claude Code does what it does when Anthropic's thinking is cut the same way (seen against
 * an Anthropic-shaped mock): the prompt goes back into the input box and the turn is forgotten,
 * so the next prompt starts a history with nothing of it. Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  slowSse,
  startClaudeTui,
  tmux,
  tmuxAndClaude,
  tuiPlace,
  typeLine,
  until,
  waitForScreen,
} from "../helpers/tmux.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { chatChunk } from "../mocks/openai_mock.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";

const ready = await tmuxAndClaude();

type Obj = Record<string, unknown>;

/** Turn 1 reasons slowly and never answers; turn 2 answers at once. */
function startSlowThinker() {
  const bodies: Obj[] = [];
  let sent = 0;
  let cancelled = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    if (bodies.length > 1) {
      const text = [
        chatChunk({ role: "assistant", reasoning_content: "Fine." }),
        chatChunk({ content: "second answer" }),
        chatChunk({}, "stop"),
      ];
      return new Response(text.join("") + "data: [DONE]\n\n", {
        headers: { "content-type": "text/event-stream" },
      });
    }
    const steps = Array.from(
      { length: 300 },
      (_, n) => chatChunk({ reasoning_content: `step ${n}. ` }),
    );
    return slowSse(steps, {
      gapMs: 100,
      onCancel: () => void (cancelled = true),
      onSent: (count) => void (sent = count),
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    sent: () => sent,
    cancelled: () => cancelled,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "real Claude Code in tmux: Esc while a DeepSeek-style model is still reasoning; " +
    "the prompt comes back to the input box, as with Anthropic, and the next one starts afresh",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-esc-think");
    const up = startSlowThinker();
    const ccp = await startGuardedCcp(
      testConfig({
        providers: [
          provider("up", {
            type: "openai",
            baseUrl: up.url,
            maxRetries: 0,
            dialect: OPENAI_DIALECTS.deepseek!,
          }),
        ],
        routes: { default: "up/thinker" },
      }),
    );
    try {
      const { session } = place;
      await startClaudeTui(place, ccp.url);

      await typeLine(session, "think hard");
      await until(() => up.sent() >= 5, 10_000, "reasoning to stream");
      await tmux("send-keys", "-t", session, "Escape");
      await until(() => up.cancelled(), 3000, "the upstream stream to be cancelled");
      await waitForScreen(session, /❯\s+think hard\s*\n─/, 5000);

      await tmux("send-keys", "-t", session, "C-u");
      await typeLine(session, "go on");
      await waitForScreen(session, /second answer/, 10_000);
      const next = up.bodies[1]!.messages as Obj[];
      assert.equal(chatHistoryProblem(next), undefined, JSON.stringify(next));
      const text = JSON.stringify(next);
      assert.ok(!/think hard|step \d/.test(text), text);
      assert.ok(next.every((m) => m.role !== "assistant"), text);
    } finally {
      await place.close();
      await ccp.close();
      await up.close();
    }
  },
});
