/**
 * `/context` and `/cost` in the real, interactive Claude Code (driven in tmux) after a prompt
 * whose tool loop took three requests (two Bash calls, then the answer), through ccp on Gemini
 * (behind the strict request check of tests/mocks/gemini_strict.ts) and on a thinking Chat model
 * with DeepSeek's rules. Each answer reports its own prompt, cache hits, output and thinking in
 * its provider's words; `/cost` must show their sums as Anthropic counts them (cache hits apart
 * from the new input, thinking within the output), and `/context` the last request's prompt
 * against the window `ccp code` tells Claude Code: nothing counted twice, nothing lost. Skipped
 * without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import {
  startClaudeTui,
  tmux,
  tmuxAndClaude,
  tuiPlace,
  typeLine,
  waitForScreen,
} from "../helpers/tmux.ts";
import { type AgentUsage, startAgentModel, WIRES } from "../mocks/two_wire_agent.ts";
import { codeEnv } from "../../src/cli/code_setup.ts";

const ready = await tmuxAndClaude();

/** What the `n`th answer reports: a prompt growing by 1,000 a turn, 15,000 of it cached. */
const usageOf = (n: number): AgentUsage => ({
  prompt: 20_000 + 1000 * n,
  cached: 15_000,
  output: 50 + n,
  thinking: 10,
});

for (const wire of WIRES) {
  Deno.test({
    name: `real Claude Code in tmux through ccp on ${wire}: /context and /cost after a tool loop`,
    ignore: !ready,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const place = await tuiPlace(`ccp-usage-tui-${wire}`);
      const model = startAgentModel(
        wire,
        (view) =>
          view.results.length < 2
            ? {
              think: "Run the next step.",
              call: {
                name: "Bash",
                args: { command: `echo step${view.results.length}`, description: "Echo" },
              },
            }
            : { think: "Both ran.", text: `Loop done: ${view.results.join(" ")}` },
        usageOf,
      );
      const up = {
        ...model.provider,
        modelSettings: { [model.target.slice(3)]: { contextWindow: 128_000 } },
      };
      const cfg = { ...model.config, providers: { up } };
      const ccp = await startGuardedCcp(cfg);
      try {
        const { session } = place;
        const env = {
          ANTHROPIC_AUTH_TOKEN: "e2e-token",
          CLAUDE_CODE_MAX_RETRIES: "0",
          ...codeEnv(cfg),
        };
        await startClaudeTui(place, ccp.url, env, ["--allowedTools", "Bash"]);
        await typeLine(session, "run the steps");
        await waitForScreen(session, /Loop done: step0 step1/, 15_000);
        assert.equal(model.bodies.length, 3);
        assert.deepEqual(model.problems, []);

        // The last request's prompt: 8k new and 15k cached of 23k, in the window ccp code set.
        await typeLine(session, "/context");
        await waitForScreen(session, /claude-opus-5-5[\s\S]*23k\/128k tokens/, 10_000);
        await tmux("send-keys", "-t", session, "Escape");

        // The three answers' sums: 6k + 7k + 8k new, 3 × 15k cached, 51 + 52 + 53 out (thinking
        // within it). Cache hits counted as input too would read 66.0k; thinking added, 186.
        await typeLine(session, "/cost");
        await waitForScreen(
          session,
          /claude-opus-5-5:\s+21\.0k input, 156 output, 45\.0k cache read, 0 cache write/,
          10_000,
        );
      } finally {
        await place.close();
        await ccp.close();
        await model.close();
      }
    },
  });
}
