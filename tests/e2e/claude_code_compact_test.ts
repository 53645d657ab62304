/**
 * Long Claude Code sessions through ccp on translated providers (OpenAI Chat Completions, then
 * Gemini), against a mock that refuses what those APIs refuse:
 * - in the interactive Claude Code (tmux), `/compact` after a turn with Bash and Write calls,
 *   then auto-compaction when the reported usage fills the window that `ccp code` tells Claude
 *   Code about: each summarisation request reaches the upstream as a valid Chat history with
 *   room for the summary within the model's output limit, Claude Code takes the summary, and
 *   the turn after it starts from the summary;
 * - `claude -p --continue` and `--resume` of a session whose history has tool calls and
 *   thinking, on a model whose small window ccp's token count already fills, and `/compact` in
 *   a resumed `-p` session whose first summarisation request is refused as too long;
 * - a session begun on Chat, resumed and compacted on Gemini.
 * No thinking signature ever reaches the upstream. Skipped without `claude` (and `tmux` for
 * the interactive test).
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  claudeDirs,
  endSession,
  screen,
  startSession,
  tempDir,
  tmuxAndClaude,
  tuiEnv,
  typeLine,
  until,
  waitForScreen,
} from "../helpers/tmux.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import {
  type CompactingModel,
  MOCK_MAX_OUTPUT,
  startCompactingModel,
  SUMMARY_MARKER,
  SUMMARY_REQUEST,
} from "../mocks/compacting_model.ts";
import { codeEnv } from "../../src/cli/code_setup.ts";
import type { Config } from "../../src/config/types.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";

const claude = await findClaude();
const tui = await tmuxAndClaude();

type Obj = Record<string, unknown>;

/** ccp with the mock as a Chat provider whose `model_settings` give the model's `window`. */
function config(mock: CompactingModel, window: number): Config {
  const up = provider("up", {
    type: "openai",
    baseUrl: `${mock.url}/v1`,
    authHeader: "bearer",
    maxRetries: 0,
    modelSettings: {
      "small-model": { contextWindow: window, maxOutputTokens: MOCK_MAX_OUTPUT },
    },
  });
  return testConfig({ providers: [up], routes: { default: "up/small-model" } });
}

function textOf(message: Obj | undefined): string {
  if (!message) return "";
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return "";
  return (message.content as Obj[]).map((p) => typeof p.text === "string" ? p.text : "").join("");
}

const isSummaryRequest = (body: Obj) =>
  textOf((body.messages as Obj[]).at(-1)).includes(SUMMARY_REQUEST);

/** The conversation of a body, without its system messages. */
const turns = (body: Obj) => (body.messages as Obj[]).filter((m) => m.role !== "system");

/** Every request the mock got was valid Chat, and none carried a thinking signature. */
function checkAll(mock: CompactingModel): void {
  assert.deepEqual(mock.refusals, []);
  for (const body of mock.bodies) {
    assert.equal(chatHistoryProblem(body.messages as Obj[]), undefined);
    const sent = JSON.stringify(body);
    assert.ok(!/"signature"|ccp:v1:/.test(sent), "a thinking signature reached the upstream");
  }
}

/** A summarisation request as it reached the upstream: the whole history, then the ask. */
function checkSummaryRequest(body: Obj, history: readonly string[]): void {
  const messages = turns(body);
  const sent = JSON.stringify(messages);
  for (const text of history) {
    assert.ok(sent.includes(text), `${text} missing from the summary request`);
  }
  // Room for a summary, within the model's output limit.
  const max = Number(body.max_tokens);
  assert.ok(max >= 1024 && max <= MOCK_MAX_OUTPUT, String(body.max_tokens));
}

/** The first request after a compaction starts from the summary. */
function checkAfterSummary(body: Obj, prompt: string): void {
  const [first] = turns(body);
  assert.equal(first!.role, "user");
  assert.match(textOf(first), /continued from a previous conversation/);
  assert.ok(textOf(first).includes(SUMMARY_MARKER), textOf(first));
  assert.ok(textOf(turns(body).at(-1)).includes(prompt));
}

/** In `dir`, a HOME where Claude Code trusts `work` and may run `echo hi`. */
async function place(dir: string): Promise<{ home: string; work: string }> {
  const { home, work } = await claudeDirs(dir);
  await Deno.mkdir(`${work}/.claude`);
  await Deno.writeTextFile(
    `${work}/.claude/settings.json`,
    JSON.stringify({ permissions: { allow: ["Bash(echo hi)"] } }),
  );
  return { home, work };
}

Deno.test({
  name: "Claude Code TUI through ccp on a 64k Chat model: /compact after Bash and Write, then " +
    "auto-compaction at the window ccp code sets; summaries taken, the session goes on",
  ignore: !tui,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-compact-");
    const { home, work } = await place(tmp.path);
    const mock = startCompactingModel(work);
    // A 64k model: ccp code makes Claude Code compact at 32k.
    const cfg = config(mock, 64_000);
    const ccp = await startGuardedCcp(cfg);
    const session = `ccp-compact-${Date.now()}`;
    try {
      const env = {
        ...tuiEnv(home, ccp.url),
        CLAUDE_CODE_MAX_RETRIES: "0",
        // What `ccp code` sets for this config: the model's window, and the percentage that
        // makes Claude Code compact inside it.
        ...codeEnv(cfg),
      };
      await startSession(session, work, env, ["claude", "--permission-mode", "acceptEdits"]);
      await waitForScreen(session, /❯/, 15_000);

      // A turn with Bash and Write, then /compact.
      await typeLine(session, "run echo hi and write notes");
      await waitForScreen(session, /Answer 3\./, 10_000);
      assert.equal(await Deno.readTextFile(`${work}/notes.txt`), "notes\n");
      await typeLine(session, "/compact");
      await waitForScreen(session, /Compacted/, 10_000);
      assert.equal(mock.bodies.length, 4);
      checkSummaryRequest(mock.bodies[3]!, ["run echo hi and write notes", "call_bash_1", "hi"]);

      // The next turn starts from the summary; its answer says the context is nearly full.
      mock.promptTokens = 40_000;
      await typeLine(session, "second prompt");
      await waitForScreen(session, /Answer 5\./, 10_000);
      checkAfterSummary(mock.bodies[4]!, "second prompt");

      // The context now looks 40k full, past where ccp code's settings compact a 64k window:
      // the next prompt is summarised first, then sent after the summary.
      mock.promptTokens = 1200;
      await typeLine(session, "third prompt");
      await until(() => mock.bodies.length >= 7, 10_000, "auto-compaction and the third turn", 20);
      await waitForScreen(session, /Answer 7\./, 10_000);
      assert.ok(isSummaryRequest(mock.bodies[5]!), "no auto-compaction before the third turn");
      checkSummaryRequest(mock.bodies[5]!, ["second prompt", "Answer 5."]);
      checkAfterSummary(mock.bodies[6]!, "third prompt");
      checkAll(mock);
      assert.doesNotMatch(await screen(session), /API Error|rror:/);
    } finally {
      await endSession(session);
      await ccp.close();
      await mock.close();
    }
  },
});

/** One `claude -p` run in `work`; its stream-json events. */
async function print(home: string, work: string, url: string, args: string[]): Promise<Obj[]> {
  const out = await runClaude(
    [
      ...args,
      ...STREAM_JSON,
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "Bash",
      "Write",
    ],
    work,
    claudeEnv(home, url),
    20_000,
  );
  const stdout = new TextDecoder().decode(out.stdout);
  const events = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Obj);
  const result = events.find((e) => e.type === "result");
  assert.ok(result, `no result:\n${stdout}\n${new TextDecoder().decode(out.stderr)}`);
  assert.equal(result.is_error, false, JSON.stringify(result));
  return events;
}

Deno.test({
  name: "claude -p --continue and --resume through ccp (Chat upstream, a 16k window) of a " +
    "session with tool calls and thinking; /compact in a resumed -p session, refused once as too long",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-compact-");
    const { home, work } = await place(tmp.path);
    const mock = startCompactingModel(work);
    // A 16k window (a small local model), which ccp's count of Claude Code's prompt already
    // fills: the summary still gets room, the model's own count decides.
    const ccp = await startGuardedCcp(config(mock, 16_000), {
      countTokens: (body) => countRequestTokensAsync(body),
    });
    try {
      const first = await print(home, work, ccp.url, ["-p", "run echo hi and write notes"]);
      const sessionId = String(first.find((e) => e.type === "result")!.session_id);
      assert.equal(mock.bodies.length, 3);
      // Claude Code kept the thinking blocks it was given (they come back to ccp, not upstream).
      assert.ok(first.some((e) => JSON.stringify(e).includes('"type":"thinking"')));

      await print(home, work, ccp.url, ["-p", "--continue", "what did you do"]);
      assert.equal(mock.bodies.length, 4);
      const continued = JSON.stringify(turns(mock.bodies[3]!));
      for (const id of ["call_bash_1", "call_write_2"]) assert.ok(continued.includes(id), id);

      // The first summarisation request is refused as too long for the window: in Anthropic's
      // words through ccp, so Claude Code tries again.
      mock.overflowSummaries = 1;
      await print(home, work, ccp.url, ["-p", "--resume", sessionId, "/compact"]);
      const summaries = mock.bodies.filter(isSummaryRequest);
      assert.equal(summaries.length, 2);
      for (const summary of summaries) {
        checkSummaryRequest(summary, ["run echo hi and write notes", "what did you do"]);
      }

      const before = mock.bodies.length;
      await print(home, work, ccp.url, ["-p", "--resume", sessionId, "go on"]);
      assert.equal(mock.bodies.length, before + 1);
      checkAfterSummary(mock.bodies.at(-1)!, "go on");
      checkAll(mock);
    } finally {
      await ccp.close();
      await mock.close();
    }
  },
});

Deno.test({
  name: "a session begun on a Chat upstream, resumed and compacted through ccp on Gemini: " +
    "every request is one Gemini accepts, and the next turn starts from the summary",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-compact-");
    const { home, work } = await place(tmp.path);
    const mock = startCompactingModel(work);
    const chat = config(mock, 64_000);
    const gem = provider("gem", {
      type: "gemini",
      baseUrl: mock.url,
      authHeader: "x-goog-api-key",
      apiKeys: ["e2e-gemini-key"],
      maxRetries: 0,
    });
    const ccp = await startGuardedCcp(chat);
    try {
      await print(home, work, ccp.url, ["-p", "run echo hi and write notes"]);
      assert.equal(mock.bodies.length, 3);
      ccp.setConfig(
        testConfig({
          providers: [...Object.values(chat.providers), gem],
          routes: { default: "gem/gemini-3.8-flash" },
        }),
      );
      await print(home, work, ccp.url, ["-p", "--continue", "/compact"]);
      await print(home, work, ccp.url, ["-p", "--continue", "go on"]);
      // The mock checks each Gemini request as Gemini does (roles, call/response pairing,
      // thought signatures, schemas) and records what it refused.
      assert.deepEqual(mock.refusals, []);
      assert.equal(mock.bodies.length, 5);
      const [summary, next] = mock.bodies.slice(3) as [Obj, Obj];
      const text = (c: Obj) => (c.parts as Obj[]).map((p) => p.text ?? "").join("");
      const asked = (summary.contents as Obj[]).at(-1)!;
      assert.ok(text(asked).includes(SUMMARY_REQUEST), text(asked));
      const first = (next.contents as Obj[])[0]!;
      assert.equal(first.role, "user");
      assert.ok(text(first).includes(SUMMARY_MARKER), text(first));
      assert.ok(!JSON.stringify(mock.bodies).includes("ccp:v1:"), "ccp's signature leaked");
    } finally {
      await ccp.close();
      await mock.close();
    }
  },
});
