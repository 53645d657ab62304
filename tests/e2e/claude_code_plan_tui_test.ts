/**
 * The real, interactive Claude Code (driven in tmux) logged in with a Claude plan (a fake OAuth
 * login in its credentials file), through ccp bound as `ccp serve` binds it, with the plan first
 * (`auth: passthrough`) and an OpenAI-type fallback second:
 * - the plan calls Bash, then reaches its limit: the call's result and the next turn are served
 *   by the fallback (the spent plan is not asked again), with a history a Chat API accepts, and
 *   the session shows the plan's earlier usage warning, never the limit as an error;
 * - the plan alone and spent: Claude Code shows exactly what it shows when Anthropic answers it
 *   directly (which limit, when it resets), asking once;
 * - `ccp code` keeps the login (ccp's token beside it), says so on stderr, and the plan serves
 *   the session.
 * Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { CLAUDE_QUIET } from "../helpers/claude.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  claudeHome,
  endSession,
  startSession,
  tempDir,
  tmuxAndClaude,
  typeLine,
  until,
  waitForScreen,
} from "../helpers/tmux.ts";
import { childEnv, MAIN, ROOT } from "../cli/helpers.ts";
import {
  type ClaudePlan,
  PLAN_ANSWER,
  PLAN_SIGNATURE,
  PLAN_TOOL_ID,
  type PlanMode,
  startClaudePlan,
} from "../mocks/claude_plan.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";

const ready = await tmuxAndClaude();

const ACCESS = "sk-ant-oat01-FAKE-tui-access-token-0123456789abcdef-PLAN";
const FALLBACK_ANSWER = "Hello from the fallback.";

type Obj = Record<string, unknown>;

/** A Chat Completions stream that says {@link FALLBACK_ANSWER}. */
function fallbackSse(): string {
  const chunk = (delta: Obj, finish: string | null) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1,
        model: "glm-4.7",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  return chunk({ role: "assistant", content: FALLBACK_ANSWER }, null) + chunk({}, "stop") +
    "data: [DONE]\n\n";
}

/**
 * In `dir`, a HOME where Claude Code is logged in with a Max plan and trusts `work`, where
 * `echo hi` may run without asking.
 */
async function loggedIn(dir: string): Promise<{ home: string; work: string }> {
  const home = `${dir}/home`;
  const work = `${dir}/work`;
  await Deno.mkdir(`${home}/.claude`, { recursive: true });
  await Deno.mkdir(`${work}/.claude`, { recursive: true });
  await claudeHome(home, work);
  await Deno.writeTextFile(
    `${home}/.claude/.credentials.json`,
    JSON.stringify({
      claudeAiOauth: {
        accessToken: ACCESS,
        refreshToken: "sk-ant-ort01-FAKE-tui-refresh-token",
        expiresAt: Date.now() + 86_400_000,
        scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
        subscriptionType: "max",
      },
    }),
  );
  await Deno.writeTextFile(
    `${work}/.claude/settings.json`,
    JSON.stringify({ permissions: { allow: ["Bash(echo hi)"] } }),
  );
  return { home, work };
}

/** Claude Code's environment: its own login (no ANTHROPIC_AUTH_TOKEN), talking to `url`. */
function claudeEnv(home: string, url: string): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: home,
    CLAUDE_CODE_TMPDIR: home,
    TERM: "xterm-256color",
    ANTHROPIC_BASE_URL: url,
    ...CLAUDE_QUIET,
  };
}

function planConfig(plan: ClaudePlan, fallbackUrl?: string) {
  const claude = provider("claude", {
    preset: "anthropic",
    type: "anthropic",
    auth: "passthrough",
    baseUrl: plan.url,
    apiKeys: [],
  });
  if (fallbackUrl === undefined) {
    return testConfig({ providers: [claude], routes: { default: "claude/claude-sonnet-4-5" } });
  }
  const zai = provider("zai", {
    type: "openai",
    baseUrl: fallbackUrl,
    authHeader: "bearer",
    apiKeys: ["tui-fallback-key-0123456789"],
  });
  return testConfig({
    providers: [claude, zai],
    routes: { default: ["claude/claude-sonnet-4-5", "zai/glm-4.7"] },
  });
}

/** Starts Claude Code in tmux on `url` and waits for its prompt. */
async function startClaude(session: string, home: string, work: string, url: string) {
  await startSession(session, work, claudeEnv(home, url), ["claude"]);
  await waitForScreen(session, /❯/, 15_000);
}

Deno.test({
  name: "Claude Code TUI on a plan: a Bash call, then the plan's limit: the fallback serves the " +
    "call's result and the next turn; the plan's warning shows, the session goes on",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-plan-tui-");
    const { home, work } = await loggedIn(tmp.path);
    const plan = startClaudePlan(ACCESS, "tool-then-limit");
    const fallback = startOpenAIMock({ sse: fallbackSse() });
    const ccp = await startGuardedCcp(planConfig(plan, fallback.url));
    const session = `ccp-plan-tui-${Date.now()}`;
    try {
      await startClaude(session, home, work, ccp.url);
      await typeLine(session, "run echo hi");
      // The plan answered the prompt with the call; the call's result found it spent.
      const first = await waitForScreen(session, new RegExp(FALLBACK_ANSWER), 10_000);
      assert.match(first, /ran 1 shell command/);
      assert.equal(plan.requests.length, 2, "the plan got the prompt and the call's result");
      assert.equal(fallback.requests.length, 1);

      // What crossed providers: the plan's call and its result, valid Chat, with nothing of the
      // plan's signed thinking (only Anthropic can check a signature).
      const messages = fallback.requests[0]!.body.messages as Obj[];
      assert.equal(chatHistoryProblem(messages), undefined, JSON.stringify(messages.slice(-3)));
      const call = messages.find((m) => m.tool_calls) as Obj;
      const fn = (call.tool_calls as Obj[])[0]!;
      assert.equal(fn.id, PLAN_TOOL_ID);
      assert.deepEqual(JSON.parse(String((fn.function as Obj).arguments)).command, "echo hi");
      assert.equal(messages.at(-1)!.role, "tool");
      assert.match(String(messages.at(-1)!.content), /hi/);
      const sent = JSON.stringify(fallback.requests[0]!.body);
      assert.ok(!sent.includes(PLAN_SIGNATURE), "the plan's signature reached the fallback");

      // The next turn goes straight to the fallback: the spent plan is not asked again.
      await typeLine(session, "and again");
      await until(() => fallback.requests.length === 2, 10_000, "the second fallback turn", 20);
      const second = await waitForScreen(session, /used 91% of your 5-hour limit/, 10_000);
      assert.equal(plan.requests.length, 2, "the spent plan was asked again");
      assert.equal(chatHistoryProblem(fallback.requests[1]!.body.messages as Obj[]), undefined);
      // The plan's warning (from its answer before the limit) shows; the limit itself does not
      // stop the session: no error, no wait for the reset.
      assert.doesNotMatch(second, /hit your|Usage limit reached|API Error|rror/);
      assert.equal(second.split(FALLBACK_ANSWER).length - 1, 2, second);
    } finally {
      await endSession(session);
      await ccp.close();
      await plan.close();
      await fallback.close();
    }
  },
});

/** The lines of `text` that speak of the usage limit. */
function limitLines(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => /limit|resets|ontinu/.test(l));
}

Deno.test({
  name: "Claude Code TUI on a spent plan, the only target: it shows what it shows when " +
    "Anthropic answers directly (which limit, when it resets), asking once",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-plan-tui-");
    const { home, work } = await loggedIn(tmp.path);
    const direct = startClaudePlan(ACCESS, "limit" satisfies PlanMode);
    const plan = startClaudePlan(ACCESS, "limit");
    const ccp = await startGuardedCcp(planConfig(plan));
    const viaCcp = `ccp-plan-spent-${Date.now()}`;
    const straight = `ccp-plan-direct-${Date.now()}`;
    try {
      // Both at once (the same HOME is fine: neither writes the login).
      await Promise.all([
        startClaude(viaCcp, home, work, ccp.url),
        startClaude(straight, home, work, direct.url),
      ]);
      await Promise.all([typeLine(viaCcp, "say hi"), typeLine(straight, "say hi")]);
      const shown = /You've hit your 5-hour limit · resets [^\n]*\n[^]*Usage limit reached/;
      const [through, reference] = await Promise.all([
        waitForScreen(viaCcp, shown, 10_000),
        waitForScreen(straight, shown, 10_000),
      ]);
      // The reset times agree: the plans reset within a second of each other.
      const norm = (lines: string[]) => lines.map((l) => l.replace(/\d+:\d\d[ap]m/g, "T"));
      assert.deepEqual(norm(limitLines(through)), norm(limitLines(reference)), through);
      assert.doesNotMatch(through, /API Error|rror/);
      // Claude Code does not retry a spent plan, through ccp either.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(plan.requests.length, 1);
      assert.equal(direct.requests.length, 1);
    } finally {
      await Promise.all([endSession(viaCcp), endSession(straight)]);
      await ccp.close();
      await plan.close();
      await direct.close();
    }
  },
});

Deno.test({
  name: "ccp code in tmux with a passthrough provider, a Claude login and ccp's own token: it " +
    "says it keeps the login, and the plan serves the session",
  ignore: !ready,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-plan-tui-");
    const dir = tmp.path;
    const { home, work } = await loggedIn(dir);
    const plan = startClaudePlan(ACCESS, "serve");
    const session = `ccp-code-plan-${Date.now()}`;
    const TOKEN = "tui-ccp-token-0123456789";
    try {
      await Deno.writeTextFile(
        `${dir}/c.yaml`,
        `server: { auth_token: ${TOKEN} }
providers:
  claude: { type: anthropic, base_url: "${plan.url}", auth: passthrough }
routes:
  default: claude/claude-sonnet-4-5
`,
      );
      // Claude Code gets the logged-in home; deno (ccp) keeps the real cache.
      const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
      const env = childEnv(dir, {
        HOME: home,
        CLAUDE_CODE_TMPDIR: home,
        DENO_DIR: denoDir,
        TERM: "xterm-256color",
        ...CLAUDE_QUIET,
      });
      const command = [
        Deno.execPath(),
        "run",
        "-A",
        "--config",
        `${ROOT}/deno.json`,
        MAIN,
        "code",
        "--config",
        `${dir}/c.yaml`,
        "--port",
        "0",
      ];
      // Claude Code draws over the terminal, so ccp code's stderr is kept in a file.
      const sh = ["sh", "-c", `exec "$@" 2>"${dir}/stderr.txt"`, "sh", ...command];
      await startSession(session, work, env, sh);
      await waitForScreen(session, /❯/, 20_000);
      await typeLine(session, "say hi");
      await waitForScreen(session, new RegExp(PLAN_ANSWER), 10_000);
      // Claude Code's status line (ccp statusline, wired in by ccp code) names the plan.
      await waitForScreen(session, /ccp ▸ claude\/claude-sonnet-4-5/, 10_000);
      // The plan gets the login; ccp's token, which Claude Code sent beside it, stays in ccp.
      const request = plan.requests.at(-1)!;
      assert.equal(request.headers.get("authorization"), `Bearer ${ACCESS}`);
      for (const [name, value] of request.headers) assert.ok(!value.includes(TOKEN), name);
      const stderr = await Deno.readTextFile(`${dir}/stderr.txt`);
      assert.match(
        stderr,
        /^ccp: Claude Code keeps its Claude login \(found in [^)]*\.credentials\.json\) for the auth: passthrough provider; ccp's token goes in ANTHROPIC_CUSTOM_HEADERS$/m,
        stderr,
      );
    } finally {
      await endSession(session);
      await plan.close();
    }
  },
});
