import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { resolveDeferredTools } from "../../src/upstream/cleaning/deferred_tools.ts";

const schema = { type: "object", properties: {} };

// What Claude Code 2.1.332 sends once ToolSearch has loaded WebFetch: its deferred placeholder,
// the loaded tool and one not loaded, and the search's result as a `tool_reference`.
function claudeCodeBody(): Record<string, unknown> {
  return {
    model: "claude-sonnet-4-5",
    max_tokens: 32000,
    stream: true,
    tools: [
      { name: "Bash", description: "Run a command", input_schema: schema },
      { name: "ToolSearch", description: "Find deferred tools", input_schema: schema },
      {
        name: "DeferredToolPlaceholder",
        description: "Never call this tool.",
        input_schema: schema,
        defer_loading: true,
      },
      { name: "WebFetch", description: "Fetch a URL", input_schema: schema, defer_loading: true },
      { name: "mcp__db__query", description: "Query", input_schema: schema, defer_loading: true },
    ],
    messages: [
      { role: "user", content: "fetch example.com" },
      {
        role: "assistant",
        content: [{
          type: "tool_use",
          id: "toolu_01",
          name: "ToolSearch",
          input: { query: "select:WebFetch" },
        }],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "toolu_01",
          content: [{ type: "tool_reference", tool_name: "WebFetch" }],
        }],
      },
    ],
  };
}

Deno.test("resolveDeferredTools: loaded deferred tools only, references as text", async (t) => {
  const body = claudeCodeBody();
  const before = JSON.stringify(body);
  const out = resolveDeferredTools(body);
  await t.step("the placeholder and the tool not loaded are left out; the flag goes", () => {
    assert.deepEqual(out.tools, [
      { name: "Bash", description: "Run a command", input_schema: schema },
      { name: "ToolSearch", description: "Find deferred tools", input_schema: schema },
      { name: "WebFetch", description: "Fetch a URL", input_schema: schema },
    ]);
  });
  await t.step("the search result says the tool is loaded", () => {
    const result = (out.messages as { content: unknown }[])[2]!.content as {
      content: unknown;
    }[];
    assert.deepEqual(result[0]!.content, [
      { type: "text", text: 'Tool "WebFetch" loaded: it is now available to call.' },
    ]);
  });
  await t.step("the input is not changed, and a body without either is the same object", () => {
    assert.equal(JSON.stringify(body), before);
    const plain = { model: "m", max_tokens: 1, tools: [{ name: "Bash" }], messages: [] };
    assert.equal(resolveDeferredTools(plain), plain);
  });
});

Deno.test("deferred tools reach a gateway without deferral resolved, and Anthropic as sent", async (t) => {
  for (
    const [preset, model, resolved] of [
      ["moonshot_anthropic", "m", true],
      ["deepseek", "m", true],
      ["zai", "m", true],
      ["minimax", "m", true],
      ["ollama", "m", true],
      ["llamacpp", "m", true],
      ["anthropic", "m", false],
      // OpenRouter serves both: Anthropic's models defer, the others answer 400.
      ["open_router", "moonshotai/kimi-k2", true],
      ["open_router", "openrouter/auto", true],
      ["open_router", "anthropic/claude-sonnet-4.5", false],
    ] as const
  ) {
    await t.step(`${preset} ${model}`, async () => {
      const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 1) }]);
      const ccp = startCcp(testConfig({
        providers: [provider("up", { preset, baseUrl: mock.url, apiKeys: ["sk-test-a1111"] })],
        routes: { default: `up/${model}` },
      }));
      try {
        const res = await postMessages(ccp.url, claudeCodeBody());
        assert.equal(res.status, 200, await res.text());
        const sent = JSON.stringify(mock.requests[0]?.body);
        assert.equal(sent.includes("defer_loading"), !resolved, sent.slice(0, 400));
        assert.equal(sent.includes("tool_reference"), !resolved);
        assert.equal(sent.includes("DeferredToolPlaceholder"), !resolved);
        assert.ok(sent.includes('"WebFetch"'), "the loaded tool is offered");
      } finally {
        await ccp.close();
        await mock.close();
      }
    });
  }
});

// OpenRouter's words for it (anthropics/claude-code#89211), from any gateway the catalog does not
// know to route to models without deferral.
const REFUSAL = {
  type: "error",
  error: {
    type: "invalid_request_error",
    message: "Deferred custom tools are only supported on Anthropic models and on " +
      "Anthropic-compatible provider endpoints that implement deferral. Other endpoints cannot " +
      "call tools omitted from tools[]. Received stealth/ox-alpha.",
  },
};

Deno.test("an undeclared gateway refusing deferred tools: sent again resolved, and so from then on", async (t) => {
  const mock = startAnthropicMock([
    { kind: "json", status: 400, body: REFUSAL },
    { kind: "stream", events: textTurn("m", 1) },
  ]);
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: mock.url, apiKeys: ["sk-test-a1111"] })],
    routes: { default: "gw/stealth/ox-alpha" },
  }));
  try {
    await t.step("the refused request is answered, sent once more without deferral", async () => {
      const res = await postMessages(ccp.url, claudeCodeBody());
      assert.equal(res.status, 200, await res.text());
      assert.equal(mock.requests.length, 2);
      assert.ok(JSON.stringify(mock.requests[0]!.body).includes("defer_loading"));
      const again = JSON.stringify(mock.requests[1]!.body);
      assert.equal(again.includes("defer_loading"), false, again.slice(0, 400));
      assert.equal(again.includes("tool_reference"), false);
      assert.ok(again.includes('"WebFetch"'), "the loaded tool is offered");
    });
    await t.step("the next request is sent resolved at once", async () => {
      const res = await postMessages(ccp.url, claudeCodeBody());
      assert.equal(res.status, 200, await res.text());
      assert.equal(mock.requests.length, 3);
      assert.equal(JSON.stringify(mock.requests[2]!.body).includes("defer_loading"), false);
    });
  } finally {
    await ccp.close();
    await mock.close();
  }
});

Deno.test("the deferral refusal's words on a request without deferred tools stay a 400", async () => {
  const mock = startAnthropicMock([{ kind: "json", status: 400, body: REFUSAL }]);
  const ccp = startCcp(testConfig({
    providers: [provider("gw", { baseUrl: mock.url, apiKeys: ["sk-test-a1111"] })],
    routes: { default: "gw/m" },
  }));
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-5",
      max_tokens: 100,
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    assert.equal(mock.requests.length, 1, "nothing to resolve: not sent again");
  } finally {
    await ccp.close();
    await mock.close();
  }
});
