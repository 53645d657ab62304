/**
 * DeepSeek V4 in thinking mode over Chat Completions, through ccp, across the turns of a Claude
 * Code session. Between two user messages where the model called a tool, every assistant message
 * must carry a non-empty `reasoning_content` in every later request, the final answer's included;
 * an empty string counts as missing. The mock refuses as DeepSeek does.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { accumulateAnthropicEvents } from "../../src/translate/anthropic/accumulate.ts";
import type { AnthropicMessage, AnthropicStreamEvent } from "../../src/protocols/anthropic.ts";

type Obj = Record<string, unknown>;

const read = (name: string) =>
  Deno.readTextFileSync(new URL(`../fixtures/openai/${name}`, import.meta.url));
const TOOL_CALL = read("deepseek_v4_tool_call.sse");
const FINAL_ANSWER = read("deepseek_v4_final_answer.sse");

const REFUSAL = "The `reasoning_content` in the thinking mode must be passed back to the API.";

/** DeepSeek's check: the span rule, with an empty string taken for a missing field. */
function refused(messages: Obj[]): boolean {
  let span: Obj[] = [];
  const bad = (part: Obj[]) =>
    part.some((m) => m.role === "assistant" && Array.isArray(m.tool_calls)) &&
    part.some((m) =>
      m.role === "assistant" &&
      (typeof m.reasoning_content !== "string" || m.reasoning_content.length === 0)
    );
  for (const m of messages) {
    if (m.role === "user") {
      if (bad(span)) return true;
      span = [];
    } else span.push(m);
  }
  return bad(span);
}

function startDeepSeek() {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const thinking = (body.thinking as Obj | undefined)?.type !== "disabled";
    const messages = body.messages as Obj[];
    if (thinking && refused(messages)) {
      return Response.json({
        error: {
          message: REFUSAL,
          type: "invalid_request_error",
          param: null,
          code: "invalid_request_error",
        },
      }, { status: 400 });
    }
    const last = messages.at(-1)!;
    const sse = last.role === "tool" ? FINAL_ANSWER : TOOL_CALL;
    return new Response(sse, { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, bodies, close: () => server.shutdown() };
}

const TOOLS = [{
  name: "Bash",
  description: "Run a command",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
}];

Deno.test("DeepSeek V4 thinking mode: a session's tool spans keep their reasoning, answers included", async (t) => {
  const up = startDeepSeek();
  const ccp = startCcp(testConfig({
    providers: [provider("ds", {
      type: "openai",
      preset: "deepseek",
      baseUrl: up.url,
      apiKeys: ["sk-ds-0000000000"],
      authHeader: "bearer",
    })],
    routes: { default: "ds/deepseek-v4-pro" },
  }));
  const post = async (
    messages: unknown[],
  ): Promise<{ status: number; answer?: AnthropicMessage }> => {
    const res = await fetch(`${ccp.url}/v1/messages?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "claude-opus-5-5",
        max_tokens: 128000,
        stream: true,
        thinking: { type: "adaptive", display: "updates" },
        tools: TOOLS,
        messages,
      }),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return { status: res.status };
    }
    const events = parseSse(await res.text()).map((e) => e.data as unknown as AnthropicStreamEvent);
    return { status: 200, answer: accumulateAnthropicEvents(events) };
  };
  try {
    const ask = { role: "user", content: "run the tests" };
    let history: unknown[] = [ask];
    await t.step("a tool call, then its result, then the answer", async () => {
      const first = await post(history);
      assert.equal(first.status, 200);
      const call = first.answer!.content.find((b) => b.type === "tool_use");
      assert.ok(call?.type === "tool_use");
      assert.deepEqual(call.input, { command: "deno task test" });
      history = [...history, { role: "assistant", content: first.answer!.content }, {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: call.id, content: "ok | 42 passed" }],
      }];
      const second = await post(history);
      assert.equal(second.status, 200);
      assert.deepEqual(second.answer!.content.at(-1), { type: "text", text: "All 42 tests pass." });
      history = [...history, { role: "assistant", content: second.answer!.content }];
    });
    await t.step("the next prompt carries the reasoning of both turns of that span", async () => {
      const third = await post([...history, { role: "user", content: "thanks, now lint" }]);
      assert.equal(third.status, 200, "DeepSeek refused the history");
      const sent = (up.bodies.at(-1)!.messages as Obj[]).filter((m) => m.role === "assistant");
      assert.deepEqual(sent.map((m) => m.reasoning_content), [
        "The user wants the test suite run. I'll call Bash with deno task test.",
        "All 42 tests passed; report it.",
      ]);
    });
    await t.step("a span made on another provider gets a placeholder DeepSeek takes", async () => {
      // The same session's first span as Anthropic made it: its thinking is not DeepSeek's.
      const foreign = history.map((m) => {
        const msg = m as { role: string; content: unknown };
        if (msg.role !== "assistant" || !Array.isArray(msg.content)) return m;
        return {
          ...msg,
          content: msg.content.map((b: Obj) =>
            b.type === "thinking" ? { ...b, signature: "EuYBCkQYAiJA" } : b
          ),
        };
      });
      const res = await post([...foreign, { role: "user", content: "thanks, now lint" }]);
      assert.equal(res.status, 200, "DeepSeek refused the history");
      const sent = (up.bodies.at(-1)!.messages as Obj[]).filter((m) => m.role === "assistant");
      assert.deepEqual(sent.map((m) => m.reasoning_content), [" ", " "]);
      assert.ok(!JSON.stringify(up.bodies.at(-1)).includes("deno task test."), "not replayed");
    });
    await t.step("a span without a tool call sends no reasoning back", async () => {
      const chat = [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "Greet back.", signature: "EuYBCkQYAiJA" },
            { type: "text", text: "Hello." },
          ],
        },
        { role: "user", content: "run the tests" },
      ];
      assert.equal((await post(chat)).status, 200);
      const sent = (up.bodies.at(-1)!.messages as Obj[]).find((m) => m.role === "assistant")!;
      assert.equal("reasoning_content" in sent, false);
    });
  } finally {
    await ccp.close();
    await up.close();
  }
});
