/**
 * gpt-5-pro reasons only at `high` and refuses any other effort with a 400, on the Responses API,
 * behind Chat Completions servers and through OpenRouter (`openai/gpt-5-pro`). Whatever thinking
 * Claude Code asks for (a budget, an effort, none at all), ccp must send `high` or nothing, so no
 * request is refused.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startResponsesCcp } from "../helpers/responses_ccp.ts";

type Obj = Record<string, unknown>;

/** Thinking requests as Claude Code sends them: budgets, adaptive with efforts, none, off. */
const THINKING: readonly Obj[] = [
  { thinking: { type: "enabled", budget_tokens: 2048 } },
  { thinking: { type: "enabled", budget_tokens: 10000 } },
  { thinking: { type: "enabled", budget_tokens: 31999 } },
  { thinking: { type: "adaptive" } },
  ...["low", "medium", "high", "xhigh", "max"].map((effort) => ({
    thinking: { type: "adaptive" },
    output_config: { effort },
  })),
  { thinking: { type: "disabled" } },
  {},
];

/**
 * The effort a Chat Completions body asks for: `reasoning_effort`, or OpenRouter's `reasoning`
 * object, where a token budget is turned into an effort upstream and switching reasoning off is
 * refused by a model that always reasons.
 */
function effortOf(body: Obj): unknown {
  const reasoning = body.reasoning as Obj | undefined;
  if (reasoning?.max_tokens !== undefined) return `a budget of ${reasoning.max_tokens} tokens`;
  if (reasoning?.enabled === false) return "none";
  return body.reasoning_effort ?? reasoning?.effort;
}

function ask(thinking: Obj, stream: boolean): Obj {
  return {
    model: "claude-opus-5",
    max_tokens: 32000,
    messages: [{ role: "user", content: "Prove it." }],
    ...thinking,
    ...(stream ? { stream: true } : {}),
  };
}

Deno.test("gpt-5-pro on the Responses API: every thinking request is sent as `high` or none", async () => {
  await using up = startResponsesCcp(
    () => ({ items: [{ kind: "text", text: "Done." }] }),
    "gpt-5-pro",
  );
  for (const thinking of THINKING) {
    for (const stream of [false, true]) {
      const res = await postMessages(up.ccp.url, ask(thinking, stream));
      assert.equal(res.status, 200, `${JSON.stringify(thinking)}: ${await res.clone().text()}`);
      await res.body?.cancel();
    }
  }
  const efforts = up.mock.requests.map((r) => (r.body.reasoning as Obj | undefined)?.effort);
  assert.equal(up.mock.requests.length, THINKING.length * 2, "no request was refused and resent");
  assert.deepEqual(new Set(efforts), new Set(["high", undefined]));
});

Deno.test("gpt-5-pro behind Chat Completions: reasoning_effort is `high` or absent", async () => {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const effort = effortOf(body);
    if (effort !== undefined && effort !== "high") {
      return Response.json({
        error: {
          message: `Unsupported value: '${effort}' is not supported with the 'gpt-5-pro' model. ` +
            "Supported values are: 'high'.",
          type: "invalid_request_error",
          param: "reasoning_effort",
          code: "unsupported_value",
        },
      }, { status: 400 });
    }
    const message = { role: "assistant", content: "Done." };
    const head = { id: "c", created: 1, model: "gpt-5-pro" };
    if (body.stream !== true) {
      return Response.json({
        ...head,
        object: "chat.completion",
        choices: [{ index: 0, message, finish_reason: "stop" }],
      });
    }
    const chunk = { ...head, object: "chat.completion.chunk" };
    const frames = [
      { ...chunk, choices: [{ index: 0, delta: message, finish_reason: null }] },
      { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
    ].map((f) => `data: ${JSON.stringify(f)}\n\n`).join("") + "data: [DONE]\n\n";
    return new Response(frames, { headers: { "content-type": "text/event-stream" } });
  });
  const url = `http://127.0.0.1:${server.addr.port}/v1`;
  try {
    for (
      const [preset, model] of [
        ["openai", "gpt-5-pro"],
        [undefined, "gpt-5-pro"],
        ["open_router", "openai/gpt-5-pro"],
      ] as const
    ) {
      bodies.length = 0;
      const ccp = startCcp(testConfig({
        providers: [provider("up", {
          type: "openai",
          ...(preset ? { preset } : {}),
          baseUrl: url,
          apiKeys: ["sk-test"],
          authHeader: "bearer",
          maxRetries: 0,
        })],
        routes: { default: `up/${model}` },
      }));
      try {
        for (const thinking of THINKING) {
          for (const stream of [false, true]) {
            const res = await postMessages(ccp.url, ask(thinking, stream));
            assert.equal(res.status, 200, `${preset} ${JSON.stringify(thinking)}`);
            await res.body?.cancel();
          }
        }
      } finally {
        await ccp.close();
      }
      assert.equal(bodies.length, THINKING.length * 2, `${preset}: none refused and resent`);
      assert.deepEqual(new Set(bodies.map(effortOf)), new Set(["high", undefined]), `${preset}`);
    }
  } finally {
    await server.shutdown();
  }
});
