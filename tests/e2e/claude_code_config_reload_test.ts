/**
 * ccp's config edited while a user works in the real, interactive Claude Code (driven in tmux)
 * through `ccp serve` (a process of its own, reloaded with SIGHUP as a user or a service manager
 * reloads it). Between turns the sonnet route moves to another provider with the old one as its
 * fallback, and the old provider's key changes; the reload lands while a turn's answer is still
 * streaming. That answer finishes on the provider it started on, the next turn goes to the new
 * target, ccp's log names what changed (never a key), and Claude Code shows no error. Then an
 * edit with a mistake (a route to a provider that does not exist): ccp names it and keeps the
 * config it runs, and the session goes on with it — the new target first, then the fallback with
 * the new key. Skipped without `claude` or `tmux`.
 */

import assert from "node:assert/strict";
import { childEnv, spawnCcp } from "../cli/helpers.ts";
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

const ready = await tmuxAndClaude();

type Obj = Record<string, unknown>;

/** A request an upstream got: its model, its key, and the user's last words. */
interface Seen {
  model: string;
  authorization: string;
  asked: string;
}

/**
 * A Chat Completions upstream named `name`. A prompt with "HOLD" in it is answered in two parts,
 * the second once `release()` is called; a prompt with "FAIL" gets a 503.
 */
function startUpstream(name: string) {
  const seen: Seen[] = [];
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let holding = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    const messages = body.messages as Array<{ role: string; content: unknown }>;
    const asked = JSON.stringify(messages.findLast((m) => m.role === "user")?.content ?? "");
    const main = Array.isArray(body.tools) && body.tools.length > 0;
    seen.push({
      model: String(body.model),
      authorization: req.headers.get("authorization") ?? "",
      asked: main ? asked : "",
    });
    const turn = /TURN(\d)/.exec(asked)?.[1];
    if (main && asked.includes("FAIL") && name === "beta") {
      return Response.json({ error: { message: "overloaded" } }, { status: 503 });
    }
    const chunk = (delta: Obj, finish: string | null, extra: Obj = {}) =>
      `data: ${
        JSON.stringify({
          id: "c",
          object: "chat.completion.chunk",
          model: body.model,
          choices: [{ index: 0, delta, finish_reason: finish }],
          ...extra,
        })
      }\n\n`;
    const usage = { prompt_tokens: 200, completion_tokens: 10, total_tokens: 210 };
    const words = main && turn ? `Reply ${turn} from ${name}/${body.model}` : "Title";
    const hold = main && asked.includes("HOLD");
    if (hold) holding = true;
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        const send = (text: string) => controller.enqueue(new TextEncoder().encode(text));
        send(chunk({ role: "assistant", content: hold ? "Streaming, " : "" }, null));
        if (hold) await held;
        send(chunk({ content: words }, null));
        send(chunk({}, "stop"));
        send(`data: ${JSON.stringify({ id: "c", choices: [], usage })}\n\ndata: [DONE]\n\n`);
        controller.close();
      },
    });
    return new Response(stream, { headers: { "content-type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    seen,
    holding: () => holding,
    release,
    close: async () => {
      release();
      await server.shutdown();
    },
  };
}

const KEY_A = "sk-alpha-first-0001";
const KEY_A2 = "sk-alpha-second-0002";
const KEY_B = "sk-beta-only-0003";

function yaml(alpha: string, beta: string, keyA: string, sonnet: string): string {
  return `server:
  auth_token: e2e
providers:
  alpha:
    type: openai
    base_url: ${alpha}
    api_key: ${keyA}
    max_retries: 0
  beta:
    type: openai
    base_url: ${beta}
    api_key: ${KEY_B}
    max_retries: 0
routes:
  default: alpha/alpha-small
  sonnet: ${sonnet}
`;
}

Deno.test({
  name: "real Claude Code in tmux while ccp's config is edited and reloaded with SIGHUP",
  ignore: !ready || Deno.build.os === "windows",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using tmp = await tempDir("ccp-reload-");
    const dir = tmp.path;
    const alpha = startUpstream("alpha");
    const beta = startUpstream("beta");
    const file = `${dir}/ccp.yaml`;
    const write = (keyA: string, sonnet: string) =>
      Deno.writeTextFile(file, yaml(alpha.url, beta.url, keyA, sonnet));
    await write(KEY_A, "alpha/alpha-big");
    const ccp = await spawnCcp(["serve", "--config", file, "--port", "0"], {
      cwd: dir,
      env: childEnv(dir),
    });
    const session = `ccp-reload-${Date.now()}`;
    const log = () => ccp.stderr();
    try {
      const [, url] = await ccp.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+) /);
      const { home, work } = await claudeDirs(dir);
      await startSession(session, work, { ...tuiEnv(home, url!), CLAUDE_CODE_MAX_RETRIES: "0" }, [
        "claude",
        "--model",
        "sonnet",
      ]);
      await waitForScreen(session, /❯/, 15_000);

      // 1. The route as it started.
      await typeLine(session, "TURN1 hello");
      await waitForScreen(session, /Reply 1 from alpha\/alpha-big/, 10_000);

      // 2. The config changes while the answer streams: the route to beta with alpha behind it,
      // and alpha's key replaced.
      await typeLine(session, "TURN2 HOLD this one");
      await until(alpha.holding, 10_000, "the held answer");
      await write(KEY_A2, "[beta/beta-model, alpha/alpha-big]");
      ccp.process.kill("SIGHUP");
      const [changed] = await ccp.waitForStderr(/Changed: .*\n/, 10_000);
      assert.match(changed!, /provider alpha: keys changed/, log());
      assert.match(changed!, /route sonnet changed/, log());
      alpha.release();
      await waitForScreen(session, /Reply 2 from alpha\/alpha-big/, 10_000);
      assert.ok(!beta.seen.some((s) => s.asked.includes("TURN2")), "the open turn moved");

      // 3. The next turn takes the new route.
      await typeLine(session, "TURN3 again");
      await waitForScreen(session, /Reply 3 from beta\/beta-model/, 10_000);

      // 4. An edit with a mistake is named in the log and changes nothing.
      await write(KEY_A2, "[gamma/model-x, alpha/alpha-big]");
      ccp.process.kill("SIGHUP");
      const [failed] = await ccp.waitForStderr(
        /Config reload failed; keeping the previous config\..*\n/,
        10_000,
      );
      assert.match(failed!, /gamma/, log());

      // 5. Still the reloaded config: beta first (which fails now), then alpha with its new key.
      await typeLine(session, "TURN4 FAIL over");
      await waitForScreen(session, /Reply 4 from alpha\/alpha-big/, 10_000);

      const text = await screen(session);
      assert.doesNotMatch(text, /API Error|error/i, text);
      const keys = (s: Seen[], turn: string) =>
        s.filter((x) => x.asked.includes(turn)).map((x) => x.authorization);
      assert.deepEqual(keys(alpha.seen, "TURN1"), [`Bearer ${KEY_A}`]);
      assert.deepEqual(keys(alpha.seen, "TURN2"), [`Bearer ${KEY_A}`]);
      assert.deepEqual(keys(beta.seen, "TURN3"), [`Bearer ${KEY_B}`]);
      assert.deepEqual(keys(beta.seen, "TURN4"), [`Bearer ${KEY_B}`]);
      assert.deepEqual(keys(alpha.seen, "TURN4"), [`Bearer ${KEY_A2}`]);
      for (const key of [KEY_A, KEY_A2, KEY_B]) assert.ok(!log().includes(key), "a key logged");
    } finally {
      await endSession(session);
      await ccp.kill();
      await alpha.close();
      await beta.close();
    }
  },
});
