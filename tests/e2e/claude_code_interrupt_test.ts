/**
 * Esc in the real, interactive Claude Code (driven in tmux) on a translated provider: ccp
 * cancels the upstream answer at once, mid-stream and before the model's first byte, records
 * each cancelled request against the provider it was sent to, and the next prompt of the same
 * session goes through with a history an OpenAI-style API accepts. Skipped without `claude` or
 * `tmux`.
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
import type { RequestRecord } from "../../src/pipeline/record.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { chatChunk } from "../mocks/openai_mock.ts";
import { chatAnswer } from "../helpers/chat_answer.ts";

const ready = await tmuxAndClaude();

type Obj = Record<string, unknown>;

/** Turn 1 streams slowly, turn 2 answers at once, turn 3 holds its head back. */
function startSlowOpenAI() {
  const bodies: Obj[] = [];
  const cancelledAt: number[] = [];
  const held: (() => void)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    const turn = bodies.length;
    if (turn === 2) return chatAnswer(true, { content: "second answer" }, "stop");
    if (turn >= 3) {
      // No status line until the client has long gone (bounded, so a failure cannot hang); the
      // test's end lets it go, so shutting the server down does not wait for it.
      await new Promise<void>((r) => {
        held.push(r);
        setTimeout(r, 6000);
      });
      return new Response(null, { status: 503 });
    }
    const words = Array.from({ length: 300 }, (_, n) => chatChunk({ content: `w${n} ` }));
    return slowSse(words, { gapMs: 100, onCancel: () => cancelledAt.push(Date.now()) });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    cancelledAt,
    close: () => {
      for (const release of held) release();
      return server.shutdown();
    },
  };
}

Deno.test({
  name: "real Claude Code in tmux: Esc cancels a translated answer at once; the session goes on",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const place = await tuiPlace("ccp-esc-tmux");
    const up = startSlowOpenAI();
    const records: RequestRecord[] = [];
    const ccp = await startGuardedCcp(
      testConfig({
        providers: [provider("up", { type: "openai", baseUrl: up.url, maxRetries: 0 })],
        routes: { default: "up/slow-model" },
      }),
      { observers: [{ ended: (r) => records.push(r) }] },
    );
    try {
      const { session } = place;
      await startClaudeTui(place, ccp.url);

      // 1. Mid-stream: the words are arriving when Esc is pressed.
      await typeLine(session, "tell me a long story");
      await waitForScreen(session, /w3 /, 10_000);
      const pressed = Date.now();
      await tmux("send-keys", "-t", session, "Escape");
      await until(() => up.cancelledAt.length > 0, 3000, "the upstream stream to be cancelled");
      const gap = up.cancelledAt[0]! - pressed;
      // About 70 ms here (tmux, Claude Code and ccp together); the bound leaves room for a busy CI.
      assert.ok(gap < 1000, `upstream cancelled ${gap} ms after Esc`);
      await waitForScreen(session, /Interrupted/, 5000);

      // 2. The next prompt: the interrupted turn is in the history, and it is valid Chat.
      await typeLine(session, "go on");
      await waitForScreen(session, /second answer/, 10_000);
      const next = up.bodies[1]!.messages as Obj[];
      assert.equal(chatHistoryProblem(next), undefined, JSON.stringify(next));
      assert.match(JSON.stringify(next), /Request interrupted by user/);

      // 3. Before the first byte: the model has not answered yet when Esc is pressed.
      await typeLine(session, "third");
      await until(() => up.bodies.length === 3, 10_000, "the third request");
      await tmux("send-keys", "-t", session, "Escape");
      await until(() => records.length === 3, 3000, "the third record");

      const [first, second, third] = records;
      assert.deepEqual(
        [first, second, third].map((r) => [r!.status, r!.outcome, r!.provider, r!.model]),
        [
          [499, "cancelled", "up", "slow-model"],
          [200, "ok", "up", "slow-model"],
          [499, "cancelled", "up", "slow-model"],
        ],
      );
      assert.ok(third!.durationMs < 5000, "cancelled before the upstream's late answer");
    } finally {
      await place.close();
      await ccp.close();
      await up.close();
    }
  },
});
