/**
 * The real Claude Code with a `/model` pick of `claude-ccp/default` (given here as `--model`, as a
 * saved pick is sent) and a `think` scenario route configured. Claude Code asks every picked name
 * for high effort; ccp serves the pick by the route it names, not by the `think` route, while
 * a name not picked from ccp's list still goes to `think` for the same effort. Skipped when
 * `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { findClaude } from "../helpers/claude.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatChunk } from "../mocks/openai_mock.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** A Chat upstream that answers with the model it was asked for, and keeps what it got. */
function startChat() {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const sse = chatChunk({ role: "assistant", content: `served by ${body.model}` }) +
      chatChunk({}, "stop");
    return new Response(`${sse}data: [DONE]\n\n`, {
      headers: { "content-type": "text/event-stream" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    bodies,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "real Claude Code: a claude-ccp/default pick is served by the default route, not think",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const up = startChat();
    await using stage = await claudeStage(
      "ccp-pick-think-",
      testConfig({
        providers: [provider("up", { type: "openai", baseUrl: up.url, maxRetries: 0 })],
        routes: { default: "up/small-model", think: "up/think-model" },
        authToken: "e2e-token",
      }),
      { mocks: [up] },
    );
    const { ws, ccp } = stage;
    const picked = await printJson(ws, ccp.url, ["-p", "--model", "claude-ccp/default", "hi"], {
      ms: 60_000,
    });
    const context = `\n${JSON.stringify(picked)}\n${ccp.logs.join("")}`;
    assert.equal(picked.is_error, false, context);
    assert.equal(picked.result, "served by small-model", context);
    // What made the think route match: Claude Code asked the picked name for high effort.
    const log = ccp.logs.join("");
    assert.match(log, /claude-ccp\/default → up\/small-model 200 .*\[default\]/, context);
    assert.equal(up.bodies.at(-1)!.reasoning_effort, "high", context);

    // A name not picked from ccp's list, asked for the same effort, still goes by the scenario.
    const own = await printJson(ws, ccp.url, ["-p", "--model", "some-model-x", "hi"], {
      ms: 60_000,
    });
    assert.equal(own.result, "served by think-model", `\n${JSON.stringify(own)}\n${log}`);
  },
});
