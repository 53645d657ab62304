import assert from "node:assert/strict";
import { dropBetas, keepOnlyBetas, parseBetas } from "../../src/upstream/cleaning/betas.ts";
import { dropBillingHeader } from "../../src/upstream/cleaning/billing_header.ts";
import { stripCacheControl } from "../../src/upstream/cleaning/cache_control.ts";
import { foldSystemMessages } from "../../src/upstream/cleaning/system_messages.ts";
import {
  disableAbsentThinking,
  dropRedactedThinking,
  passBackToolTurnThinking,
} from "../../src/upstream/cleaning/thinking.ts";
import {
  dropSchemaKeywords,
  dropServerTools,
  dropToolFields,
} from "../../src/upstream/cleaning/tools.ts";
import { dropTopLevel, keepTopLevel } from "../../src/upstream/cleaning/top_level.ts";
import type { Body, BodyRule } from "../../src/upstream/cleaning/types.ts";

/** Deep-frozen, so a rule that mutates its input throws (modules run in strict mode). */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) frozen(child);
    Object.freeze(value);
  }
  return value;
}

const BILLING = "x-anthropic-billing-header: cc_version=2.1.330.f73; cc_entrypoint=sdk-cli;";

/** Everything Claude Code 2.1.x sends that some endpoint rejects. */
function claudeCodeBody(): Body {
  return frozen({
    model: "claude-opus-5-5",
    max_tokens: 128000,
    stream: true,
    system: [
      { type: "text", text: BILLING },
      { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
    ],
    messages: [
      {
        role: "user",
        content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }],
      },
      { role: "system", content: [{ type: "text", text: "# Environment" }] },
      {
        role: "assistant",
        content: [
          { type: "redacted_thinking", data: "EnCrYpTeD" },
          { type: "thinking", thinking: "t", signature: "EqSig" },
          { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} },
          { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] },
          { type: "tool_use", id: "toolu_1", name: "Bash", input: {} },
        ],
      },
      {
        role: "user",
        content: [{
          type: "tool_result",
          tool_use_id: "toolu_1",
          content: [{ type: "text", text: "ok", cache_control: { type: "ephemeral" } }],
          cache_control: { type: "ephemeral" },
        }],
      },
    ],
    tools: [
      {
        name: "Bash",
        input_schema: { type: "object" },
        cache_control: { type: "ephemeral" },
        eager_input_streaming: true,
      },
      { type: "web_search_20250305", name: "web_search", max_uses: 5 },
    ],
    tool_choice: { type: "auto" },
    thinking: { type: "adaptive" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "medium" },
    metadata: { user_id: "{}" },
  });
}

/** A body none of the rules has anything to do with. */
function plainBody(): Body {
  return frozen({
    model: "m",
    max_tokens: 10,
    system: "be brief",
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: [{ type: "text", text: "hello" }] },
    ],
    tools: [{ name: "Bash", input_schema: { type: "object" } }],
  });
}

const RULES: Record<string, BodyRule> = {
  dropTopLevel: dropTopLevel(["context_management", "output_config"]),
  keepTopLevel: keepTopLevel(["model", "max_tokens", "system", "messages", "tools"]),
  stripCacheControl,
  dropServerTools,
  dropToolFields: dropToolFields(["cache_control", "eager_input_streaming"]),
  dropRedactedThinking,
  foldSystemMessages,
  dropBillingHeader,
};

Deno.test("every rule: input untouched, same object back when there is nothing to do", async (t) => {
  for (const [name, rule] of Object.entries(RULES)) {
    await t.step(name, () => {
      const body = claudeCodeBody();
      const out = rule(body); // would throw on a mutation: the input is frozen
      assert.notEqual(out, body, "the Claude Code body has something for every rule");
      assert.deepEqual(body, claudeCodeBody(), "input unchanged");
      const plain = plainBody();
      assert.equal(rule(plain), plain, "identity when nothing to remove");
      assert.equal(rule(out), out, "idempotent: a second pass finds nothing");
    });
  }
});

Deno.test("dropTopLevel / keepTopLevel", () => {
  const body = claudeCodeBody();
  const dropped = dropTopLevel(["context_management", "output_config"])(body);
  assert.equal("context_management" in dropped, false);
  assert.equal("output_config" in dropped, false);
  assert.equal(dropped.messages, body.messages, "untouched fields are shared, not copied");
  const kept = keepTopLevel(["model", "messages", "max_tokens"])(body);
  assert.deepEqual(Object.keys(kept), ["model", "max_tokens", "messages"]);
});

Deno.test("betas: drop a list, keep only a list, identity when all stay", () => {
  const betas = frozen(
    parseBetas(" claude-code-20250219, context-management-2025-06-27,,effort-2025-11-24"),
  );
  assert.deepEqual(betas, [
    "claude-code-20250219",
    "context-management-2025-06-27",
    "effort-2025-11-24",
  ]);
  assert.deepEqual(dropBetas(["context-management-2025-06-27"])(betas), [
    "claude-code-20250219",
    "effort-2025-11-24",
  ]);
  assert.deepEqual(keepOnlyBetas(["claude-code-20250219"])(betas), ["claude-code-20250219"]);
  assert.equal(dropBetas(["other"])(betas), betas);
  assert.equal(keepOnlyBetas([...betas])(betas), betas);
  assert.deepEqual(parseBetas(null), []);
});

Deno.test("stripCacheControl reaches system, messages, nested tool_result content and tools", () => {
  const out = stripCacheControl({ ...claudeCodeBody(), cache_control: { type: "ephemeral" } });
  assert.equal(JSON.stringify(out).includes("cache_control"), false);
  const kept = out.messages as Array<{ content: unknown[] }>;
  assert.equal(kept[2]!.content.length, 5, "no block lost");
});

Deno.test("dropServerTools: definitions, a tool_choice that named one; history kept as text", () => {
  const body = { ...claudeCodeBody(), tool_choice: { type: "tool", name: "web_search" } };
  const out = dropServerTools(body);
  assert.deepEqual((out.tools as Array<{ name: string }>).map((t) => t.name), ["Bash"]);
  assert.equal("tool_choice" in out, false);
  const assistant = (out.messages as Array<{ content: Array<{ type: string; text?: string }> }>)[
    2
  ]!;
  assert.deepEqual(assistant.content.map((b) => b.type), [
    "redacted_thinking",
    "thinking",
    "text",
    "text",
    "tool_use",
  ]);
  assert.equal(assistant.content[2]!.text, "[web_search {}]");
  assert.equal(assistant.content[3]!.text, "[web_search: no results]");
  const onlyServer = dropServerTools(frozen({
    model: "m",
    messages: [],
    tools: [{ type: "web_search_20250305", name: "web_search" }],
    tool_choice: { type: "auto" },
  }));
  assert.equal("tools" in onlyServer || "tool_choice" in onlyServer, false);
  const custom = frozen({ model: "m", messages: [], tools: [{ type: "custom", name: "x" }] });
  assert.equal(dropServerTools(custom), custom, "type custom is a client tool");
});

Deno.test("dropServerTools keeps the tools Anthropic defines for the client, as ordinary tools", () => {
  const body = frozen({
    model: "m",
    messages: [],
    tools: [
      { type: "bash_20250124", name: "bash" },
      { type: "code_execution_20250825", name: "code_execution" },
      { type: "text_editor_20250124", name: "str_replace_editor" },
    ],
    tool_choice: { type: "tool", name: "bash" },
  });
  const out = dropServerTools(body);
  const tools = out.tools as Array<{ name: string; type?: string; input_schema: Body }>;
  assert.deepEqual(tools.map((t) => t.name), ["bash", "str_replace_editor"]);
  assert.ok(tools.every((t) => t.type === undefined && t.input_schema.type === "object"));
  const editor = tools[1]!.input_schema as { properties: Record<string, { enum?: string[] }> };
  assert.deepEqual(editor.properties.command!.enum, [
    "view",
    "create",
    "str_replace",
    "insert",
    "undo_edit",
  ]);
  assert.deepEqual(out.tool_choice, { type: "tool", name: "bash" }, "a forced one stays forced");
  assert.equal(dropServerTools(out), out, "idempotent");
});

Deno.test("dropToolFields strips only the named fields", () => {
  const body = claudeCodeBody();
  const out = dropToolFields(["cache_control", "eager_input_streaming"])(body);
  const [bash, search] = out.tools as unknown[];
  assert.deepEqual(bash, { name: "Bash", input_schema: { type: "object" } });
  assert.equal(search, (body.tools as unknown[])[1], "a tool without them is shared as is");
});

Deno.test("disableAbsentThinking: a request without thinking says it off; others are kept", () => {
  const untold = frozen({ model: "m", max_tokens: 32, messages: [] });
  assert.deepEqual(disableAbsentThinking(untold), { ...untold, thinking: { type: "disabled" } });
  for (const thinking of [{ type: "adaptive" }, { type: "disabled" }]) {
    const body = frozen({ model: "m", max_tokens: 32, messages: [], thinking });
    assert.equal(disableAbsentThinking(body), body);
  }
});

Deno.test("dropRedactedThinking keeps signed thinking; an emptied turn is removed", () => {
  const out = dropRedactedThinking(claudeCodeBody());
  const assistant = (out.messages as Array<{ content: Array<{ type: string }> }>)[2]!;
  assert.equal(assistant.content[0]!.type, "thinking");
  const only = frozen({
    model: "m",
    messages: [
      { role: "user", content: "q" },
      { role: "assistant", content: [{ type: "redacted_thinking", data: "x" }] },
      { role: "user", content: "again" },
    ],
  });
  assert.deepEqual(
    (dropRedactedThinking(only).messages as Array<{ role: string }>).map((m) => m.role),
    [
      "user",
      "user",
    ],
  );
});

Deno.test("passBackToolTurnThinking: an empty thinking block on each tool-call turn without one", () => {
  const call = { type: "tool_use", id: "call_00_a", name: "Bash", input: {} };
  const result = { type: "tool_result", tool_use_id: "call_00_a", content: "ok" };
  const own = { type: "thinking", thinking: "mine", signature: "ds-sig" };
  const body = frozen({
    model: "deepseek-v4-pro",
    thinking: { type: "adaptive" },
    messages: [
      { role: "user", content: "q" },
      { role: "assistant", content: [{ type: "text", text: "Running." }, call] },
      { role: "user", content: [result] },
      { role: "assistant", content: [{ type: "text", text: "done" }] },
      { role: "user", content: "again" },
      { role: "assistant", content: [own, call] },
      { role: "user", content: [result] },
      { role: "assistant", content: [{ type: "thinking", signature: "s" }, call] },
      { role: "user", content: [result] },
    ],
  });
  const out = passBackToolTurnThinking(body);
  const messages = out.messages as Array<{ content: unknown }>;
  const empty = { type: "thinking", thinking: "", signature: "" };
  assert.deepEqual(messages[1]!.content, [empty, { type: "text", text: "Running." }, call]);
  assert.equal(messages[3], (body.messages as unknown[])[3], "a turn without calls is untouched");
  assert.equal(messages[5], (body.messages as unknown[])[5], "its own thinking stays as it came");
  assert.deepEqual(messages[7]!.content, [
    { type: "thinking", signature: "s", thinking: "" },
    call,
  ]);
  assert.equal(passBackToolTurnThinking(out), out, "idempotent");
  const off = frozen({ ...body, thinking: { type: "disabled" } });
  assert.equal(passBackToolTurnThinking(off), off, "thinking off: nothing to pass back");
  const plain = plainBody();
  assert.equal(passBackToolTurnThinking(plain), plain);
});

Deno.test("dropBillingHeader: block form, string form, and nothing else", () => {
  const out = dropBillingHeader(claudeCodeBody());
  assert.deepEqual(out.system, [
    { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
  ]);
  const str = frozen({ model: "m", messages: [], system: `${BILLING}\nYou are Claude Code.` });
  assert.equal(dropBillingHeader(str).system, "You are Claude Code.");
  const only = frozen({ model: "m", messages: [], system: [{ type: "text", text: BILLING }] });
  assert.equal("system" in dropBillingHeader(only), false);
  const mention = frozen({ model: "m", messages: [], system: `Explain ${BILLING}` });
  assert.equal(dropBillingHeader(mention), mention, "only a leading attribution line counts");
});

Deno.test("foldSystemMessages: block content joins a block system, after the existing blocks", () => {
  const out = foldSystemMessages(claudeCodeBody());
  assert.deepEqual((out.messages as Array<{ role: string }>).map((m) => m.role), [
    "user",
    "assistant",
    "user",
  ]);
  assert.deepEqual(out.system, [
    { type: "text", text: BILLING },
    { type: "text", text: "You are a Claude agent.", cache_control: { type: "ephemeral" } },
    { type: "text", text: "# Environment" },
  ]);
});

Deno.test("foldSystemMessages: string content joins a string system; a later one stays in place", () => {
  const body = frozen({
    model: "m",
    system: "base",
    messages: [
      { role: "user", content: "q" },
      { role: "system", content: "env" },
      { role: "assistant", content: "a" },
      { role: "system", content: [{ type: "text", text: "later" }] },
    ],
  });
  const out = foldSystemMessages(body);
  assert.equal(out.system, "base\n\nenv");
  // One after the first answer stays in its place, so later requests begin as this one did.
  assert.deepEqual(out.messages, [{ role: "user", content: "q" }, {
    role: "assistant",
    content: "a",
  }, {
    role: "user",
    content: [{ type: "text", text: "<system-reminder>\nlater\n</system-reminder>" }],
  }]);
  const noSystem = foldSystemMessages(
    frozen({ model: "m", messages: [{ role: "system", content: "env" }] }),
  );
  assert.equal(noSystem.system, "env");
  const marked = foldSystemMessages(frozen({
    model: "m",
    system: "base",
    messages: [{
      role: "system",
      content: [{ type: "text", text: "env", cache_control: { type: "ephemeral" } }],
    }],
  }));
  assert.deepEqual(marked.system, [
    { type: "text", text: "base" },
    { type: "text", text: "env", cache_control: { type: "ephemeral" } },
  ], "a cache marker keeps its block");
});

Deno.test("dropSchemaKeywords: the keyword goes at any depth, a property so named stays", () => {
  const schema = {
    type: "object",
    properties: {
      pattern: { type: "string", pattern: "\\S" },
      list: { type: "array", items: { type: "string", pattern: "[a-z]" } },
    },
  };
  const plain = { type: "object", properties: { q: { type: "string" } } };
  const body = frozen({
    model: "m",
    messages: [],
    tools: [{ name: "a", input_schema: schema }, { name: "b", input_schema: plain }],
  });
  const out = dropSchemaKeywords(["pattern"])(body);
  const tools = out.tools as Array<{ input_schema: unknown }>;
  assert.deepEqual(tools[0]!.input_schema, {
    type: "object",
    properties: {
      pattern: { type: "string" },
      list: { type: "array", items: { type: "string" } },
    },
  });
  assert.equal(tools[1], body.tools[1], "a tool without the keyword is the same object");
  const none = frozen({ model: "m", messages: [], tools: [{ name: "b", input_schema: plain }] });
  assert.equal(dropSchemaKeywords(["pattern"])(none), none);
});
