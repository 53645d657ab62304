/**
 * A team lead's setup from the README: Claude Code on Anthropic with an API key, OpenRouter's Chat
 * Completions as the fallback (`{preset: open_router, type: openai}`) for when Anthropic answers
 * 429, and the real `claude -p` running a multi-turn task with Write, Edit and Bash. Halfway, the
 * key's rate limit is spent: Anthropic answers 429 as it does (`rate_limit_error` with "… or try
 * again later", `retry-after`, its rate-limit headers). The session goes on on OpenRouter, and
 * Anthropic is not asked again until the wait it stated is over; then it serves again, with a
 * history OpenRouter had a hand in that it accepts. The log, the status page and the 404 of
 * `/status` say what happened. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, printJson } from "../helpers/claude_print.ts";
import { startQuotaUpstreams, type Step } from "../mocks/quota_upstreams.ts";

const claude = await findClaude();

const ANTHROPIC_KEY = "sk-ant-api03-e2e-quota-key-0123456789abcdef-AAAA";
const OPENROUTER_KEY = "sk-or-v1-e2e0123456789abcdef0123456789abcdef0123456789abcdef-BBBB";
/**
 * How long Anthropic's key stays limited once spent: longer than task 2 takes on a loaded machine
 * (about a second alone), so the whole task meets the limit.
 */
const HOLD_MS = 8000;

function tasks(file: string): Record<string, Step[]> {
  return {
    task1: [
      { tool: "Write", input: { file_path: file, content: "alpha\n" } },
      { tool: "Edit", input: { file_path: file, old_string: "alpha", new_string: "beta" } },
      { tool: "Bash", input: { command: `cat ${file}`, description: "Show the notes" } },
      { text: "task1 done" },
    ],
    task2: [
      { tool: "Bash", input: { command: `echo two >> ${file}`, description: "Append" } },
      { tool: "Edit", input: { file_path: file, old_string: "beta", new_string: "gamma" } },
      { text: "task2 done" },
    ],
    task3: [
      { tool: "Bash", input: { command: `echo three >> ${file}`, description: "Append" } },
      { text: "task3 done" },
    ],
  };
}

/** The README's fallback config, as the team lead writes it, keys from the `.env`. */
function teamConfig(anthropicUrl: string, openRouterUrl: string) {
  const text = `
providers:
  anthropic: { preset: anthropic, api_key: "\${ANTHROPIC_API_KEY}", base_url: ${anthropicUrl} }
  openrouter: { preset: open_router, type: openai, api_key: "\${OPENROUTER_API_KEY}", base_url: ${openRouterUrl} }
routes:
  default: [anthropic/claude-sonnet-4-5, openrouter/anthropic/claude-sonnet-4.5]
`;
  const env = { ANTHROPIC_API_KEY: ANTHROPIC_KEY, OPENROUTER_API_KEY: OPENROUTER_KEY };
  return configFromYaml({ text, file: "config.yaml", path: "/abs/config.yaml", env });
}

Deno.test({
  name: "real Claude Code on an Anthropic key with OpenRouter as its quota fallback: 429 " +
    "mid-session, the fallback serves, Anthropic serves again once its wait is over",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-quota-");
    const notes = `${ws.work}/notes.txt`;
    const upstreams = startQuotaUpstreams(tasks(notes));
    await using stage = await claudeStage(
      ws,
      teamConfig(upstreams.anthropicUrl, upstreams.openRouterUrl),
      { mocks: [upstreams], guarded: true },
    );
    const { ccp } = stage;
    const seen = () => upstreams.log.map((l) => `${l.upstream} ${l.status}`);
    // Task 1 on Anthropic: four requests, then the key's limit is spent.
    upstreams.limitAfter(4, HOLD_MS);
    const first = await printJson(ws, ccp.url, ["-p", "[task1] write, edit and show notes"]);
    assert.equal(first.result, "task1 done", JSON.stringify(first));
    assert.equal(await Deno.readTextFile(notes), "beta\n");
    assert.deepEqual(seen(), Array(4).fill("anthropic 200"));

    // Task 2: Anthropic answers 429 once; OpenRouter serves the whole tool loop meanwhile.
    const second = await printJson(ws, ccp.url, ["--continue", "-p", "[task2] append, edit"]);
    assert.equal(second.result, "task2 done", JSON.stringify(second));
    assert.equal(await Deno.readTextFile(notes), "gamma\ntwo\n");
    assert.deepEqual(seen().slice(4), [
      "anthropic 429",
      "openrouter 200",
      "openrouter 200",
      "openrouter 200",
    ]);
    const logs = ccp.logs.join("");
    assert.match(
      logs,
      /provider "anthropic" model "claude-sonnet-4-5" key 1 \(…AAAA\): .*answered HTTP 429: This request would exceed the rate limit.* → next_target \(the key cools down for [78]s on this model\)/,
    );
    assert.match(
      logs,
      /→ openrouter\/anthropic\/claude-sonnet-4\.5 200 .*attempts=2 \(failed: anthropic\/claude-sonnet-4-5 429\)/,
    );
    // The status page says the key rests, and which request failed over.
    const limitedAt = upstreams.log.find((l) => l.status === 429)!.at;
    const askedAt = Date.now();
    const state = await (await fetch(`${ccp.url}/ui/state`)).json();
    const [main] = state.routes[0].targets;
    // On a loaded machine task 2 can outlast the rest; then the page must say nothing rests.
    if (askedAt < limitedAt + HOLD_MS - 500) {
      assert.match(main.reasons.join(), /key 1 cooling down after 429 until \d{4}-\d\d-\d\dT/);
    } else if (Date.now() > limitedAt + HOLD_MS + 500) {
      assert.deepEqual(main.reasons, []);
    }
    const failedOver = state.latest.filter((r: { failed?: string }) => r.failed);
    assert.deepEqual(failedOver.map((r: { failed: string }) => r.failed), [
      "anthropic/claude-sonnet-4-5 429",
    ]);
    // A person looking for the status page by another name is sent to it.
    const page = await (await fetch(`${ccp.url}/status`)).json();
    assert.match(page.error.message, /status page is GET \/ui/);

    // The wait is over: Anthropic serves again, with OpenRouter's turns in the history.
    const rest = limitedAt + HOLD_MS + 300 - Date.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, rest)));
    const third = await printJson(ws, ccp.url, ["--continue", "-p", "[task3] append three"]);
    assert.equal(third.result, "task3 done", JSON.stringify(third));
    assert.equal(await Deno.readTextFile(notes), "gamma\ntwo\nthree\n");
    assert.deepEqual(seen().slice(8), ["anthropic 200", "anthropic 200"]);
    // OpenRouter's thinking in task 2's answer is left out for Anthropic; the new prompt still
    // thinks, as Claude Code asked (a finished turn may go without its thinking).
    assert.deepEqual(upstreams.log.slice(8).map((l) => l.thinking), ["adaptive", "adaptive"]);
    assert.deepEqual(upstreams.problems, []);
    for (const line of ccp.logs) {
      assert.ok(!line.includes(ANTHROPIC_KEY) && !line.includes(OPENROUTER_KEY), "a key logged");
    }
  },
});
