/**
 * A model's reasoning goes back natively to the server that made it, through a saved config's
 * reload: a provider renamed (the same server) still gets its own reasoning back, and a Responses
 * provider pointed at another server is not sent the old one's encrypted reasoning (which it
 * would refuse, costing a round trip). The reasoning's signature records a tag of its server.
 */

import assert from "node:assert/strict";
import { postMessages } from "../helpers/ccp.ts";
import { startAccountResponses } from "../mocks/responses_wire.ts";
import { withServed } from "./saved_reload.ts";
import { startReasoningChat } from "../mocks/reasoning_chat.ts";

type Obj = Record<string, unknown>;

/** A DeepSeek-like Chat server: it reasons (`reasoning_content`) and calls a tool. */
function startChat() {
  return startReasoningChat((n) => ({ reasoning: `reasons ${n}`, callId: `call_${n}` }));
}

/** A Responses server that encrypts its reasoning as `account` and decrypts no other's. */
function startResponses(account: string) {
  return startAccountResponses(() => account);
}

function yaml(id: string, type: string, baseUrl: string, model: string, extra = ""): string {
  return `providers:\n  ${id}:\n    type: ${type}\n${extra}    base_url: ${baseUrl}\n` +
    `    api_key: sk-test-0123456789abcdef\n    auth_header: bearer\n    max_retries: 0\n` +
    `routes:\n  default: ${id}/${model}\n`;
}

const TOOLS = [{
  name: "Bash",
  description: "Runs a command",
  input_schema: { type: "object", properties: { command: { type: "string" } } },
}];

/** One turn: `history`, then the answer and (for a tool call) its result, appended to it. */
async function turn(url: string, history: Obj[]): Promise<void> {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 4000,
    thinking: { type: "enabled", budget_tokens: 2000 },
    tools: TOOLS,
    messages: history,
  });
  const answer = await res.json() as { content: Obj[] };
  assert.equal(res.status, 200, JSON.stringify(answer));
  history.push({ role: "assistant", content: answer.content });
  const call = answer.content.find((b) => b.type === "tool_use");
  history.push({
    role: "user",
    content: call ? [{ type: "tool_result", tool_use_id: call.id, content: "a.txt" }] : "go on",
  });
}

Deno.test("a Chat provider renamed by a save still gets its own reasoning back", async () => {
  const chat = startChat();
  try {
    // DeepSeek's reasoning goes back with its tool calls (it refuses them without).
    const first = yaml("ds", "openai", chat.url, "deepseek-v4-pro", "    preset: deepseek\n");
    await withServed(first, async (server, save) => {
      const history: Obj[] = [{ role: "user", content: "list the files" }];
      await turn(server.url, history);
      assert.match(await save(first.replaceAll("ds", "chat")), /provider chat added/);
      await turn(server.url, history);
      const assistant = (chat.bodies[1]!.messages as Obj[]).filter((m) => m.role === "assistant");
      assert.deepEqual(assistant.map((m) => m.reasoning_content), ["reasons 1"]);
    });
  } finally {
    await chat.close();
  }
});

const reasoningSent = (body: Obj) =>
  (body.input as Obj[]).filter((i) => i.type === "reasoning").map((i) => i.encrypted_content);

Deno.test("a Responses provider renamed by a save still gets its own encrypted reasoning back", async () => {
  const up = startResponses("acct1");
  try {
    const first = yaml("oai", "openai_responses", up.url, "gpt-5.5");
    await withServed(first, async (server, save) => {
      const history: Obj[] = [{ role: "user", content: "one" }];
      await turn(server.url, history);
      assert.match(await save(first.replaceAll("oai", "codex")), /provider codex added/);
      await turn(server.url, history);
      assert.deepEqual(reasoningSent(up.bodies[1]!), ["acct1:1"]);
    });
  } finally {
    await up.close();
  }
});

Deno.test("a Responses provider pointed at another server by a save costs no refused round trip", async () => {
  const one = startResponses("acct1");
  const other = startResponses("acct2");
  try {
    await withServed(yaml("oai", "openai_responses", one.url, "gpt-5.5"), async (server, save) => {
      const history: Obj[] = [{ role: "user", content: "one" }];
      await turn(server.url, history);
      const moved = await save(yaml("oai", "openai_responses", other.url, "gpt-5.5"));
      assert.match(moved, /provider oai: now openai_responses at/);
      await turn(server.url, history);
      // Sent once, without the reasoning the first server made; its own then goes back.
      assert.equal(other.refused(), 0);
      assert.deepEqual(other.bodies.map(reasoningSent), [[]]);
      await turn(server.url, history);
      assert.deepEqual(reasoningSent(other.bodies[1]!), ["acct2:1"]);
    });
  } finally {
    await one.close();
    await other.close();
  }
});
