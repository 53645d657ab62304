/**
 * The real Claude Code (`claude -p`), logged in with a Claude plan (an OAuth login in its
 * credentials file, no ANTHROPIC_AUTH_TOKEN), through ccp whose route is the plan first
 * (`auth: passthrough`) and an OpenAI-type fallback second: the plan gets the login unchanged,
 * Claude Code still sees the plan's usage warning, and at the plan's limit the fallback serves
 * — at once on later turns. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { startGuardedCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type ClaudePlan, PLAN_ANSWER, startClaudePlan } from "../mocks/claude_plan.ts";
import { startOpenAIMock } from "../mocks/openai_mock.ts";
import { CLAUDE_QUIET, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { tempDir } from "../helpers/tmux.ts";

const claude = await findClaude();

const ACCESS = "sk-ant-oat01-FAKE-e2e-access-token-0123456789abcdef-PLAN";
const FALLBACK_KEY = "e2e-fallback-key-0123456789";
const FALLBACK_ANSWER = "Hello from the fallback.";

/** A Chat Completions stream that says {@link FALLBACK_ANSWER}. */
function fallbackSse(): string {
  const chunk = (delta: unknown, finish: string | null, usage?: unknown) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 1,
        model: "glm-4.7",
        choices: [{ index: 0, delta, finish_reason: finish }],
        ...(usage ? { usage } : {}),
      })
    }\n\n`;
  return chunk({ role: "assistant", content: FALLBACK_ANSWER }, null) +
    chunk({}, "stop", { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 }) +
    "data: [DONE]\n\n";
}

/** Makes `home` one where Claude Code is logged in with a Max plan (the token expires in a day). */
async function logIn(home: string): Promise<void> {
  await Deno.mkdir(`${home}/.claude`);
  await Deno.writeTextFile(
    `${home}/.claude/.credentials.json`,
    JSON.stringify({
      claudeAiOauth: {
        accessToken: ACCESS,
        refreshToken: "sk-ant-ort01-FAKE-e2e-refresh-token",
        expiresAt: Date.now() + 86_400_000,
        scopes: ["user:inference", "user:profile", "user:sessions:claude_code"],
        subscriptionType: "max",
      },
    }),
  );
}

type Line = Record<string, unknown>;

/** Runs one `claude -p` turn; returns its stream-json lines and the result line. */
async function turn(home: string, url: string, extra: Record<string, string> = {}) {
  const out = await runClaude(
    ["-p", "say hi", ...STREAM_JSON],
    home,
    {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: home,
      CLAUDE_CODE_TMPDIR: home,
      ANTHROPIC_BASE_URL: url,
      ...CLAUDE_QUIET,
      CLAUDE_CODE_MAX_RETRIES: "0",
      ...extra,
    },
    60_000,
  );
  const stdout = new TextDecoder().decode(out.stdout);
  const lines: Line[] = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
  const result = lines.find((l) => l.type === "result");
  assert.ok(result, `no result line:\n${stdout}\n${new TextDecoder().decode(out.stderr)}`);
  return { lines, result };
}

function planConfig(plan: ClaudePlan, fallbackUrl: string, authToken?: string) {
  return testConfig({
    providers: [
      provider("claude", {
        preset: "anthropic",
        type: "anthropic",
        auth: "passthrough",
        baseUrl: plan.url,
        apiKeys: [],
      }),
      provider("zai", {
        type: "openai",
        baseUrl: fallbackUrl,
        authHeader: "bearer",
        apiKeys: [FALLBACK_KEY],
      }),
    ],
    routes: { default: ["claude/claude-sonnet-4-5", "zai/glm-4.7"] },
    ...(authToken ? { authToken } : {}),
  });
}

/** The plan got the login exactly as Claude Code holds it, and never ccp's token. */
function assertLoginArrived(plan: ClaudePlan, ccpToken?: string): void {
  assert.ok(plan.requests.length > 0);
  for (const request of plan.requests) {
    assert.equal(request.headers.get("authorization"), `Bearer ${ACCESS}`);
    const betas = request.headers.get("anthropic-beta")?.split(",") ?? [];
    assert.ok(betas.includes("oauth-2025-04-20"), betas.join(","));
    assert.ok(betas.includes("claude-code-20250219"), betas.join(","));
    assert.equal(request.headers.get("x-api-key"), null);
    if (ccpToken) {
      for (const [name, value] of request.headers) assert.ok(!value.includes(ccpToken), name);
    }
  }
}

Deno.test({
  name: "real Claude Code on a Claude plan through ccp: the plan serves and its warning shows",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using homeDir = await tempDir("ccp-plan-home-");
    const home = homeDir.path;
    await logIn(home);
    const plan = startClaudePlan(ACCESS, "serve");
    const fallback = startOpenAIMock({ sse: fallbackSse() });
    const ccp = await startGuardedCcp(planConfig(plan, fallback.url));
    try {
      const { lines, result } = await turn(home, ccp.url);
      assert.equal(result.is_error, false, JSON.stringify(result));
      assert.equal(result.result, PLAN_ANSWER);
      assertLoginArrived(plan);
      assert.equal(plan.requests[0]!.body.model, "claude-sonnet-4-5");
      assert.equal(fallback.requests.length, 0);
      // The plan's usage headers reached Claude Code: it reports the 5-hour window at 91%.
      const event = lines.find((l) => l.type === "rate_limit_event");
      assert.ok(event, "no rate_limit_event: the usage headers did not reach Claude Code");
      const info = event.rate_limit_info as Record<string, unknown>;
      assert.equal(info.status, "allowed_warning");
      assert.equal(info.rateLimitType, "five_hour");
      assert.equal(info.utilization, 0.91);
      assert.equal(info.resetsAt, plan.reset);
      assert.ok(ccp.logs.every((l) => !l.includes(ACCESS.slice(0, 24))), "the login was logged");
    } finally {
      await ccp.close();
      await plan.close();
      await fallback.close();
    }
  },
});

Deno.test({
  name: "real Claude Code at its plan's limit: the fallback serves, at once on later turns " +
    "(ccp's own token in ANTHROPIC_CUSTOM_HEADERS)",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using homeDir = await tempDir("ccp-plan-home-");
    const home = homeDir.path;
    await logIn(home);
    const plan = startClaudePlan(ACCESS, "limit");
    const fallback = startOpenAIMock({ sse: fallbackSse() });
    const token = "e2e-ccp-token-0123456789";
    const ccp = await startGuardedCcp(planConfig(plan, fallback.url, token));
    // Claude Code keeps its login and sends ccp's token beside it, in x-api-key.
    const withToken = { ANTHROPIC_CUSTOM_HEADERS: `x-api-key: ${token}` };
    try {
      const first = await turn(home, ccp.url, withToken);
      assert.equal(first.result.is_error, false, JSON.stringify(first.result));
      assert.equal(first.result.result, FALLBACK_ANSWER);
      assertLoginArrived(plan, token);
      const refused = plan.requests.length;
      const served = fallback.requests.length;
      assert.ok(served > 0);
      // The next turn does not ask the spent plan again: ccp remembers its limit until it lifts.
      const second = await turn(home, ccp.url, withToken);
      assert.equal(second.result.result, FALLBACK_ANSWER);
      assert.equal(plan.requests.length, refused, "the spent plan was asked again");
      assert.ok(fallback.requests.length > served);
      // The fallback got its own key, never the plan's login or ccp's token.
      for (const request of fallback.requests) {
        assert.equal(request.headers.get("authorization"), `Bearer ${FALLBACK_KEY}`);
        for (const [name, value] of request.headers) {
          assert.ok(
            !value.includes(ACCESS.slice(0, 24)),
            `the login reached the fallback (${name})`,
          );
          assert.ok(!value.includes(token), `ccp's token reached the fallback (${name})`);
        }
      }
      const logs = ccp.logs.join("");
      assert.ok(!logs.includes(ACCESS.slice(0, 24)), "the login was logged");
      assert.match(logs, /client credential \(…PLAN\)/);
    } finally {
      await ccp.close();
      await plan.close();
      await fallback.close();
    }
  },
});
