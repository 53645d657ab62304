/** Thinking on a generic OpenAI-compatible upstream, and parameters it refuses, through the server. */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

const OK_ANSWER = {
  id: "chatcmpl-1",
  object: "chat.completion",
  model: "local-model",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
};

/** A Chat Completions server that refuses `reasoning_effort` the way OpenAI's older models do. */
function startStrictServer() {
  const bodies: Array<Record<string, unknown>> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    if ("reasoning_effort" in body) {
      return Response.json({
        error: {
          message: "Unrecognized request argument supplied: reasoning_effort",
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      }, { status: 400 });
    }
    return Response.json({ ...OK_ANSWER, model: body.model });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/v1`, bodies, close: () => server.shutdown() };
}

const ask = (thinking: Record<string, unknown>) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 1000,
  thinking,
  messages: [{ role: "user", content: "hi" }],
});

Deno.test("a generic OpenAI-compatible upstream gets reasoning_effort; a refusal is learned once", async (t) => {
  const up = startStrictServer();
  const ccp = startCcp(testConfig({
    providers: [provider("local", { type: "openai", baseUrl: up.url, authHeader: "bearer" })],
    routes: { default: "local/local-model" },
  }));
  const post = (body: unknown) => postMessages(ccp.url, body);
  try {
    await t.step(
      "thinking asked for: reasoning_effort sent, refused, sent again without it",
      async () => {
        const res = await post(ask({ type: "enabled", budget_tokens: 20000 }));
        assert.equal(res.status, 200);
        assert.deepEqual((await res.json()).content, [{ type: "text", text: "hi" }]);
        assert.equal(up.bodies.length, 2);
        assert.equal(up.bodies[0]!.reasoning_effort, "high");
        assert.equal("reasoning_effort" in up.bodies[1]!, false);
        const { reasoning_effort: _, ...rest } = up.bodies[0]!;
        assert.deepEqual(up.bodies[1], rest, "nothing else changed");
      },
    );
    await t.step("the next request leaves it out at once: one upstream request", async () => {
      const res = await post(ask({ type: "adaptive" }));
      assert.equal(res.status, 200);
      assert.equal(up.bodies.length, 3);
      assert.equal("reasoning_effort" in up.bodies[2]!, false);
    });
    await t.step("logged once, and shown in /health", async () => {
      const lines = ccp.logs.filter((l) => l.includes('does not accept "reasoning_effort"'));
      assert.equal(lines.length, 1);
      const health = await (await fetch(`${ccp.url}/health`)).json();
      assert.deepEqual(health.resilience.learned_params, {
        "local/local-model": ["reasoning_effort"],
      });
    });
  } finally {
    await ccp.close();
    await up.close();
  }
});

Deno.test("adaptive thinking without an effort asks a generic upstream for medium", async () => {
  const bodies: Array<Record<string, unknown>> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    bodies.push(await req.json());
    return Response.json(OK_ANSWER);
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("local", {
        type: "openai",
        baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
        authHeader: "bearer",
      }),
    ],
    routes: { default: "local/m" },
  }));
  try {
    for (
      const [thinking, effort] of [[{ type: "adaptive" }, "medium"], [{
        type: "enabled",
        budget_tokens: 2000,
      }, "low"], [{ type: "disabled" }, undefined]] as const
    ) {
      const res = await postMessages(ccp.url, ask(thinking));
      await res.body?.cancel();
      assert.equal(bodies.at(-1)!.reasoning_effort, effort, JSON.stringify(thinking));
    }
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});

Deno.test("Kimi's fixed sampling refused through a generic entry: sent again without it", async () => {
  // Kimi's coding endpoint behind a plain `type: openai` entry: its models take only their own
  // temperature, and Claude Code's auto-mode check sends 1 with thinking off.
  const bodies: Array<Record<string, unknown>> = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    bodies.push(body);
    if ("temperature" in body && body.temperature !== 0.6) {
      return Response.json({
        error: {
          message: "invalid temperature: only 0.6 is allowed for this model",
          type: "invalid_request_error",
        },
      }, { status: 400 });
    }
    return Response.json({ ...OK_ANSWER, model: body.model });
  });
  const ccp = startCcp(testConfig({
    providers: [
      provider("kimicode", {
        type: "openai",
        baseUrl: `http://127.0.0.1:${server.addr.port}/coding/v1`,
        authHeader: "bearer",
      }),
    ],
    routes: { default: "kimicode/k3-256k" },
  }));
  try {
    const check = {
      model: "claude-sonnet-5",
      max_tokens: 64,
      temperature: 1,
      stop_sequences: ["</block>"],
      messages: [{ role: "user", content: "grade this" }],
    };
    const first = await postMessages(ccp.url, check);
    assert.equal(first.status, 200);
    assert.deepEqual((await first.json()).content, [{ type: "text", text: "hi" }]);
    assert.deepEqual(bodies.map((b) => b.temperature), [1, undefined]);
    const second = await postMessages(ccp.url, check);
    assert.equal(second.status, 200);
    await second.body?.cancel();
    assert.equal(bodies.length, 3, "learned: the next check is sent once");
    assert.equal("temperature" in bodies[2]!, false);
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});
