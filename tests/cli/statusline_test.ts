import assert from "node:assert/strict";
import { runCli } from "../../src/cli/run.ts";
import { startServer } from "../../src/cli/serve.ts";
import { runStatusline, statusText } from "../../src/cli/statusline.ts";
import { zeroCounters } from "../../src/usage/totals.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { codeEnv } from "../../src/cli/code_setup.ts";
import { testContext } from "./helpers.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { within } from "../helpers/within.ts";
import { postMessages } from "../helpers/ccp.ts";

/** A session's latest request: 12 tokens in, 1 out, served by `p/<model>`. */
function servedBy(model: string) {
  return {
    id: "req_1",
    at: 0,
    client: "default",
    provider: "p",
    model,
    status: 200,
    error: false,
    stream: true,
    inputTokens: 12,
    outputTokens: 1,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    durationMs: 1,
  };
}

Deno.test("statusline: the provider/model that served the session's latest request, its tokens and cost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_statusline_" });
  const answer = (model: string) => ({
    kind: "json" as const,
    body: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 1500, output_tokens: 300, cache_read_input_tokens: 40_000 },
    },
  });
  const mock = startAnthropicMock([answer("a"), answer("b")]);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
providers:
  anth:
    type: anthropic
    base_url: "${mock.url}"
    api_key: sk-ant-status-0123456789
    model_settings: { "*": { price: { input: 3, output: 15, cache_read: 0.3 } } }
routes:
  default: anth/main-model
  haiku: anth/small-model
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      for (const model of ["claude-sonnet-4-5", "claude-haiku-4-5"]) {
        const res = await postMessages(server.url, {
          model,
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }, { "x-claude-code-session-id": "sess-42" });
        await res.body?.cancel();
      }
      // The ledger writes its records in batches: wait until both are in (a loaded machine takes
      // longer than any fixed pause).
      await within(
        (async () => {
          for (;;) {
            const res = await fetch(`${server.url}/v1/ccp/usage/session/sess-42`);
            if ((await res.json()).totals?.requests === 2) return;
            await new Promise((r) => setTimeout(r, 20));
          }
        })(),
        10_000,
        "the ledger's write of both records",
      );
      // While the server runs, from another reader of the same ledger.
      const ctx = testContext(dir);
      const input = JSON.stringify({ session_id: "sess-42", model: { display_name: "Sonnet" } });
      assert.equal(await runStatusline(ctx, { config: "c.yaml" }, input), 0);
      assert.deepEqual(ctx.io.stdout, [
        `ccp ▸ anth/small-model · 3.0k in (+80.0k cached) / 600 out · 2 req · $${
          ((3000 * 3 + 600 * 15 + 80_000 * 0.3) / 1e6).toFixed(4)
        }`,
      ]);
      const other = testContext(dir);
      await runStatusline(other, { config: "c.yaml" }, JSON.stringify({ session_id: "new" }));
      assert.deepEqual(other.io.stdout, ["ccp · no requests yet in this session"]);
    } finally {
      await server.stop();
    }
    const broken = testContext(dir);
    assert.equal(await runStatusline(broken, { config: "c.yaml" }, "not json"), 0);
    assert.deepEqual(broken.io.stdout, ["ccp · no session id from Claude Code"]);
    const help = testContext(dir);
    assert.equal(await runCli(["statusline", "--help"], help), 0);
    assert.match(
      help.io.stdout.join("\n"),
      /"statusLine": \{ "type": "command", "command": "ccp statusline" \}/,
    );
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ccp code's environment: model discovery, and the default model's context window", () => {
  const config = (settings: string) =>
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k${settings} }
routes:
  default: p/big
`,
    });
  assert.deepEqual(codeEnv(config("")), { CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1" });
  assert.deepEqual(codeEnv(config(", model_settings: { big: { context_window: 128k } }")), {
    CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1",
    CLAUDE_CODE_AUTO_COMPACT_WINDOW: "128000",
  });
});

Deno.test("ccp code: the compaction window is the smallest of the main loop's routes (opus, sonnet, default)", () => {
  const env = (routes: string) =>
    codeEnv(configFromYaml({
      file: "c.yaml",
      env: {},
      text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k,
       model_settings: { big: { context_window: 1m }, mid: { context_window: 200k },
                         small: { context_window: 128k }, tiny: { context_window: 32k } } }
routes:
${routes}
`,
    })).CLAUDE_CODE_AUTO_COMPACT_WINDOW;
  // Claude Code's main model is an opus or a sonnet name: either route may carry the session.
  assert.equal(env("  default: p/big\n  sonnet: p/small\n  opus: p/mid"), "128000");
  assert.equal(env("  default: p/big\n  opus: p/mid"), "200000");
  // The haiku route runs side requests and subagents, not the session Claude Code compacts.
  assert.equal(env("  default: p/big\n  haiku: p/tiny"), "1000000");
  // A route whose window is unknown leaves the decision to those that are known.
  assert.equal(env("  default: p/unknown\n  sonnet: p/mid"), "200000");
  // A chain's window is its largest: a prompt too long for the first goes on to a larger one.
  assert.equal(env("  default: [p/tiny, p/big]"), "1000000");
  assert.equal(env("  default: [p/mid, p/tiny]\n  sonnet: [p/tiny, p/small]"), "128000");
  // A target that declares none may hold more than any declared: the window is unknown.
  assert.equal(env("  default: [p/tiny, p/unknown]"), undefined);
});

Deno.test("ccp code: a window below Claude Code's 100k minimum gets a compaction percentage", () => {
  // Claude Code 2.1.330 reads CLAUDE_CODE_AUTO_COMPACT_WINDOW=64000 as 100k and says so at every
  // start ("reads as 64,000 tokens, so Claude Code treats it as the 100k minimum. Set it to a
  // size of at least 100k … or unset it"); measured, it then compacts at (100k - 20k) ×
  // CLAUDE_AUTOCOMPACT_PCT_OVERRIDE / 100. So ccp sets the 100k it reads, and no warning shows.
  const env = (window: string) =>
    codeEnv(configFromYaml({
      file: "c.yaml",
      env: {},
      text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k,
       model_settings: { small: { context_window: ${window} } } }
routes:
  default: p/small
`,
    }));
  assert.deepEqual(env("64k"), {
    CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1",
    CLAUDE_CODE_AUTO_COMPACT_WINDOW: "100000",
    CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: "40", // compacts at 32k, half the model's window
  });
  assert.equal(env("90k").CLAUDE_AUTOCOMPACT_PCT_OVERRIDE, "71"); // at 57k: 90k less 33k
  assert.equal(env("8k").CLAUDE_AUTOCOMPACT_PCT_OVERRIDE, "5");
  assert.equal(env("100k").CLAUDE_CODE_AUTO_COMPACT_WINDOW, "100000");
  assert.equal(env("100k").CLAUDE_AUTOCOMPACT_PCT_OVERRIDE, undefined);
});

Deno.test("ccp code: variables the user set win over ccp's, and the compaction pair goes together", () => {
  const config = configFromYaml({
    file: "c.yaml",
    env: {},
    text: `providers:
  p: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: k,
       model_settings: { small: { context_window: 64k } } }
routes:
  default: p/small
`,
  });
  assert.deepEqual(codeEnv(config, { CLAUDE_CODE_AUTO_COMPACT_WINDOW: "200000" }), {
    CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1",
  });
  assert.deepEqual(codeEnv(config, { CLAUDE_AUTOCOMPACT_PCT_OVERRIDE: "70" }), {
    CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "1",
  });
  assert.deepEqual(
    Object.keys(codeEnv(config, { CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY: "0" })),
    ["CLAUDE_CODE_AUTO_COMPACT_WINDOW", "CLAUDE_AUTOCOMPACT_PCT_OVERRIDE"],
  );
});

Deno.test("statusline: a cost too small for four decimals is not shown as $0.0000", () => {
  const line = (costNanoUsd: number) =>
    statusText({
      latest: servedBy("m"),
      totals: { ...zeroCounters(), requests: 1, inputTokens: 12, costNanoUsd, priced: 1 },
    });
  assert.match(line(30_000), / · <\$0\.0001$/); // $0.00003: a few tokens of a cheap model
  assert.match(line(0), / · \$0$/); // a free model priced at 0
  assert.match(line(123_400_000), / · \$0\.1234$/);
  assert.match(line(2_345_000_000), / · \$2\.35$/);
  // Thousands separators, as the status page and ccp usage write them.
  assert.match(line(1_234_567_891_000_000), / · \$1,234,567\.89$/);
});

Deno.test("statusline: a model name with control characters stays one plain line", () => {
  const line = statusText({
    latest: servedBy("m\n\x1b[31mred\u202e"),
    totals: { ...zeroCounters(), requests: 1, inputTokens: 12 },
  });
  // The right-to-left override would have drawn the tokens and cost backwards.
  assert.match(line, /^ccp \u25b8 p\/m\\x0a\\x1b\[31mred\\u202e · /);
});

Deno.test("statusline --port: asks the ccp running there, and says what it cannot", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_statusline_ask_" });
  let answer = (): Response => new Response("", { status: 404 });
  const seen: { path: string; auth: string | null }[] = [];
  const fake = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push({ path: new URL(req.url).pathname, auth: req.headers.get("authorization") });
    return answer();
  });
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: tok-status }
providers: { up: { type: openai, base_url: "http://127.0.0.1:9/v1", api_key: sk-test-123456789 } }
routes: { default: up/m }
`,
    );
    const port = fake.addr.port;
    const line = async () => {
      const ctx = testContext(dir);
      await runStatusline(ctx, { config: "c.yaml", port }, JSON.stringify({ session_id: "s/1" }));
      return ctx.io.stdout.join("\n");
    };
    const url = `http://127.0.0.1:${port}`;
    assert.equal(
      await line(),
      `ccp · the proxy at ${url} is an older ccp: no session usage (update it)`,
    );
    assert.deepEqual(seen[0], { path: "/v1/ccp/usage/session/s%2F1", auth: "Bearer tok-status" });
    answer = () => Response.json({ error: {} }, { status: 503 });
    assert.equal(await line(), `ccp · usage ledger unavailable at ${url}`);
    answer = () => Response.json({ error: {} }, { status: 401 });
    assert.equal(await line(), `ccp · the proxy at ${url} refuses this ccp's token`);
    answer = () => Response.json(["not", "a", "session"]);
    assert.equal(await line(), `ccp · the proxy at ${url} answered 200`);
    answer = () =>
      Response.json({
        latest: { route: "default", provider: "up", model: "m" },
        totals: { ...zeroCounters(), requests: 2, inputTokens: 1200, outputTokens: 30 },
      });
    assert.equal(await line(), "ccp ▸ up/m · 1.2k in / 30 out · 2 req");
  } finally {
    await fake.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("statusline: a fallback serving because the first target was passed says which and until when", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_statusline_passed_" });
  const limited = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (r) => {
    await r.text();
    return Response.json({
      type: "error",
      error: { type: "rate_limit_error", message: "This request would exceed the rate limit" },
    }, { status: 429, headers: { "retry-after": "30" } });
  });
  const other = startAnthropicMock([{
    kind: "json",
    body: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [{ type: "text", text: "hi" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 2 },
    },
  }]);
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { data_dir: data }
providers:
  claude: { type: anthropic, base_url: "http://127.0.0.1:${limited.addr.port}", api_key: sk-ant-a-0000 }
  other: { type: anthropic, base_url: "${other.url}", api_key: sk-other-0000 }
routes:
  default: [claude/claude-opus-5-5, other/m]
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    try {
      let sent = 0;
      for (let i = 0; i < 2; i++) {
        const res = await postMessages(server.url, {
          model: "claude-opus-5-5",
          max_tokens: 10,
          messages: [{ role: "user", content: "hi" }],
        }, { "x-claude-code-session-id": "sess-passed" });
        await res.body?.cancel();
        if (i === 1) sent = Date.now();
      }
      await within(
        (async () => {
          for (;;) {
            const res = await fetch(`${server.url}/v1/ccp/usage/session/sess-passed`);
            if ((await res.json()).totals?.requests === 2) return;
            await new Promise((r) => setTimeout(r, 20));
          }
        })(),
        10_000,
        "the ledger's write of both records",
      );
      const input = JSON.stringify({ session_id: "sess-passed" });
      const line =
        /^ccp ▸ other\/m · .* · instead of claude\/claude-opus-5-5 \(key cooling until (?:[\d-]+ )?(\d\d:\d\d:\d\d)\)$/;
      // From the ledger, and from the running ccp.
      for (const flags of [{ config: "c.yaml" }, { config: "c.yaml", port: server.port }]) {
        const ctx = testContext(dir);
        await runStatusline(ctx, flags, input);
        const shown = line.exec(ctx.io.stdout[0] ?? "");
        assert.ok(shown, ctx.io.stdout.join("\n"));
        // The wait the 429 named, from about when the request was sent, on this machine's clock.
        const [h, m, s] = shown[1]!.split(":").map(Number);
        const until = new Date(sent);
        until.setHours(h!, m!, s!, 0);
        // Past midnight the line names the next day: the clock time is what is compared.
        const off = ((until.getTime() - sent) / 1000 + 86_400) % 86_400;
        assert.ok(off > 26 && off <= 31, `${shown[1]} is ${off}s after the request`);
      }
    } finally {
      await server.stop();
    }
  } finally {
    await limited.shutdown();
    await other.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("statusline: a long passed target's reason follows the totals, which a narrow line keeps", () => {
  const passed = {
    target: "anthropic-work-account/claude-opus-4-5-20251101",
    why: "2 keys cooling",
    until: new Date(2026, 0, 2, 14, 32, 5).getTime(),
  };
  const line = statusText({
    latest: { provider: "openrouter", model: "anthropic/claude-sonnet-4.5", passed },
    totals: { ...zeroCounters(), requests: 3, inputTokens: 1200, outputTokens: 40 },
  }, new Date(2026, 0, 2, 14, 30, 0));
  assert.equal(
    line,
    "ccp ▸ openrouter/anthropic/claude-sonnet-4.5 · 1.2k in / 40 out · 3 req · instead of " +
      "anthropic-work-account/claude-opus-4-5-20251101 (2 keys cooling until 14:32:05)",
  );
});
