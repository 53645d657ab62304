/**
 * A Chat Completions model's reasoning goes back (as `reasoning_content`) only to the provider and
 * model family that made it. A reload that points the provider's name at another server must not
 * send that server the first one's reasoning: it was not made there, and a server may refuse or
 * misread reasoning of another (DeepSeek's is checked against its own thinking). It goes as any
 * other maker's reasoning does; the server that made it still gets it back.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startReasoningChat } from "../mocks/reasoning_chat.ts";

type Obj = Record<string, unknown>;

/** A DeepSeek-like Chat server: it reasons (`reasoning_content`) and calls a tool. */
function startServer(name: string) {
  return startReasoningChat((n) => ({ reasoning: `${name} reasons`, callId: `call_${name}_${n}` }));
}

const config = (baseUrl: string) =>
  testConfig({
    providers: [
      provider("chat", {
        type: "openai",
        preset: "deepseek",
        baseUrl,
        apiKeys: ["sk-chat-0123456789abcdef"],
        authHeader: "bearer",
        maxRetries: 0,
      }),
    ],
    routes: { default: "chat/deepseek-v4-pro" },
  });

const TOOLS = [{
  name: "Bash",
  description: "Runs a command",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
}];

/** One turn of the tool loop: `history` then the answer's blocks and a tool result. */
async function turn(url: string, history: Obj[]): Promise<Obj[]> {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 2000,
    thinking: { type: "enabled", budget_tokens: 1024 },
    tools: TOOLS,
    messages: history,
  });
  assert.equal(res.status, 200, await res.clone().text());
  const message = await res.json() as { content: Obj[] };
  const call = message.content.find((b) => b.type === "tool_use")!;
  return [
    ...history,
    { role: "assistant", content: message.content },
    {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: call.id, content: "a.txt" }],
    },
  ];
}

/** The reasoning each assistant message of a body carried. */
const reasoningOf = (body: Obj) =>
  (body.messages as Obj[]).filter((m) => m.role === "assistant").map((m) => m.reasoning_content);

Deno.test("a reload that re-points a Chat provider sends the new server none of the old one's reasoning", async () => {
  const first = startServer("first");
  const second = startServer("second");
  const ccp = startCcp(config(first.url));
  try {
    let history = await turn(ccp.url, [{ role: "user", content: "list the files" }]);
    // Back to the server that made it: its reasoning goes back with its tool call.
    history = await turn(ccp.url, history);
    assert.deepEqual(reasoningOf(first.bodies[1]!), ["first reasons"]);
    ccp.setConfig(config(second.url));
    await turn(ccp.url, history);
    const sent = reasoningOf(second.bodies[0]!);
    assert.equal(sent.length, 2);
    assert.ok(
      sent.every((r) => r !== "first reasons"),
      `the first server's reasoning reached the second: ${JSON.stringify(sent)}`,
    );
    // Pointed back, the first server gets its own reasoning again.
    ccp.setConfig(config(first.url));
    await turn(ccp.url, history);
    assert.deepEqual(reasoningOf(first.bodies[2]!), ["first reasons", "first reasons"]);
  } finally {
    await ccp.close();
    await first.close();
    await second.close();
  }
});

Deno.test("a reload that writes the same server's base URL another way still sends its reasoning back", async () => {
  const server = startServer("first");
  const { port } = new URL(server.url);
  const ccp = startCcp(config(`http://localhost:${port}/v1`));
  try {
    const history = await turn(ccp.url, [{ role: "user", content: "list the files" }]);
    // The same server: the host written in capitals, and a key in the query (rotated later) is a
    // credential, not another server.
    ccp.setConfig(config(`http://LocalHost:${port}/v1?key=q-0123456789`));
    await turn(ccp.url, history);
    assert.deepEqual(reasoningOf(server.bodies[1]!), ["first reasons"]);
  } finally {
    await ccp.close();
    await server.close();
  }
});
