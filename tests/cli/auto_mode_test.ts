import assert from "node:assert/strict";
import { autoModeEnv, autoModeLine, relaysServerCheck } from "../../src/cli/auto_mode.ts";
import { codeEnv } from "../../src/cli/code_setup.ts";
import { startupLines } from "../../src/cli/startup.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";

const config = (text: string) => configFromYaml({ file: "c.yaml", env: {}, text });

// Hosted addresses are never contacted: the rule reads only the config.
const DEEPSEEK = `providers:
  ds: { preset: deepseek, api_key: k }
routes:
  default: ds/deepseek-chat
`;

Deno.test("auto mode: ccp code has Claude Code check calls itself where no route passes the server's check", () => {
  const chat = config(`providers:
  or: { type: openai, base_url: "https://api.example.com/v1", api_key: k }
routes:
  default: or/big
`);
  assert.deepEqual(autoModeEnv(chat), { CLAUDE_CODE_AUTO_MODE_SERVER: "0" });
  assert.equal(codeEnv(chat).CLAUDE_CODE_AUTO_MODE_SERVER, "0");
  // An Anthropic-compatible endpoint whose cleaning drops `safeguards` cannot check either.
  assert.deepEqual(autoModeEnv(config(DEEPSEEK)), { CLAUDE_CODE_AUTO_MODE_SERVER: "0" });
});

Deno.test("auto mode: routes that all relay the check to Anthropic keep the server's check", () => {
  const anthropic = config(`providers:
  claude: { preset: anthropic, api_key: k }
routes:
  default: claude/claude-opus-5-5
`);
  assert.ok(relaysServerCheck(anthropic.providers.claude!));
  assert.deepEqual(autoModeEnv(anthropic), {});
  assert.equal(codeEnv(anthropic).CLAUDE_CODE_AUTO_MODE_SERVER, undefined);
  // One translated route among them is enough for requests to lose the check.
  const mixed = config(`providers:
  claude: { preset: anthropic, api_key: k }
  ds: { preset: deepseek, api_key: k }
routes:
  default: claude/claude-opus-5-5
  haiku: ds/deepseek-chat
`);
  assert.equal(relaysServerCheck(mixed.providers.ds!), false);
  assert.deepEqual(autoModeEnv(mixed), { CLAUDE_CODE_AUTO_MODE_SERVER: "0" });
});

Deno.test("auto mode: OpenRouter passes the check on for its anthropic/* models only", () => {
  const openRouter = (model: string) =>
    autoModeEnv(config(`providers:
  or: { preset: open_router, api_key: k }
routes:
  default: or/${model}
`));
  assert.deepEqual(openRouter("anthropic/claude-sonnet-5"), {});
  assert.deepEqual(openRouter("qwen/qwen3-coder"), { CLAUDE_CODE_AUTO_MODE_SERVER: "0" });
});

Deno.test("auto mode: a classifier served on this machine leaves Claude Code to ask", () => {
  // Each checked call would cost a local model a ~35k-token prompt.
  const local = config(`providers:
  ds: { preset: deepseek, api_key: k }
routes:
  default: ds/deepseek-chat
  sonnet: ollama/qwen3-coder
`);
  assert.deepEqual(autoModeEnv(local), {});
  const loopback = config(`providers:
  mine: { type: openai, base_url: "http://127.0.0.1:8000/v1" }
routes:
  default: mine/qwen
`);
  assert.deepEqual(autoModeEnv(loopback), {});
});

Deno.test("auto mode: the user's own CLAUDE_CODE_AUTO_MODE_SERVER wins in ccp code", () => {
  const env = codeEnv(config(DEEPSEEK), { CLAUDE_CODE_AUTO_MODE_SERVER: "1" });
  assert.equal(env.CLAUDE_CODE_AUTO_MODE_SERVER, undefined);
});

Deno.test("auto mode: the start-up line for Claude Code carries the variable when it is needed", () => {
  const line = (text: string) =>
    startupLines({
      config: config(text),
      listenUrl: "http://127.0.0.1:8082",
      clientUrl: "http://127.0.0.1:8082",
      startupMs: 1,
    }).at(-1)!.text;
  assert.equal(
    line(DEEPSEEK),
    "Use it with Claude Code: ANTHROPIC_BASE_URL=http://127.0.0.1:8082 ANTHROPIC_AUTH_TOKEN=ccp " +
      "CLAUDE_CODE_AUTO_MODE_SERVER=0 claude   (or run: ccp code)",
  );
  assert.doesNotMatch(
    line(`providers:\n  claude: { preset: anthropic, api_key: k }\nroutes:\n  default: claude/x\n`),
    /AUTO_MODE/,
  );
});

Deno.test("auto mode: ccp check says who checks risky tool calls, and through which route", () => {
  assert.match(
    autoModeLine(config(DEEPSEEK)),
    /^Claude Code auto mode: Claude Code checks risky tool calls itself through ds\/deepseek-chat \(a route that does not relay Anthropic's check gets no verdict; .*CLAUDE_CODE_AUTO_MODE_SERVER=0/,
  );
  assert.match(
    autoModeLine(config(`providers:
  ds: { preset: deepseek, api_key: k }
routes:
  default: ds/deepseek-chat
  sonnet: ollama/qwen3-coder
`)),
    /^Claude Code auto mode: Claude Code will ask you to approve risky tool calls \(only Anthropic answers its check; its own check, CLAUDE_CODE_AUTO_MODE_SERVER=0, would send a ~35k-token prompt per call to ollama\/qwen3-coder on this machine, so ccp code leaves it off\)$/,
  );
  assert.match(
    autoModeLine(config(`providers:
  claude: { preset: anthropic, api_key: k }
routes:
  default: claude/claude-opus-5-5
`)),
    /^Claude Code auto mode: Anthropic checks risky tool calls \(every route relays its check to Anthropic\)/,
  );
});
