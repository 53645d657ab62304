/**
 * Property: random, mostly well-formed conversations — every block type, with odd values
 * inside — get a 2xx or an Anthropic-shaped 4xx, never a 500, on every wire protocol.
 */

import { seeded } from "../helpers/random.ts";
import { app, assertAnswer, base, MODELS, ODD, post } from "./_fuzz_app.ts";

/** Random, mostly well-formed conversations: every block type, odd values inside. */
function conversation(random: () => number): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const odd = () => pick<unknown>([...ODD, "ccp:v1:!!!", "ccp:v1:e30", "data:,x", "%%%"]);
  const maybe = (value: () => unknown) => (random() < 0.3 ? odd() : value());
  const text = () => pick(["hi", "", " ", "<think>x</think>", "é😀", "\u0000", "a".repeat(3000)]);
  const base64 = () =>
    pick(["iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk", "!!!!", "", "JVBERi0x"]);
  const source = () =>
    pick([
      { type: "base64", media_type: maybe(() => "image/png"), data: maybe(base64) },
      { type: "url", url: maybe(() => pick(["https://x.test/a.png", "ftp://x", "not a url", ""])) },
      { type: "text", media_type: "text/plain", data: maybe(text) },
      { type: "content", content: maybe(() => [{ type: "text", text: text() }]) },
      { type: "file", file_id: maybe(() => "file_1") },
      { type: maybe(() => "weird") },
    ]);
  const id = () => maybe(() => pick(["toolu_1", "toolu_2", "", "x y"]));
  const userBlock = (): unknown =>
    pick([
      { type: "text", text: maybe(text), cache_control: maybe(() => ({ type: "ephemeral" })) },
      { type: "image", source: source() },
      { type: "document", source: source(), title: maybe(text), citations: maybe(() => ({})) },
      {
        type: "tool_result",
        tool_use_id: id(),
        content: maybe(() =>
          pick([
            text(),
            [{ type: "text", text: text() }],
            [{ type: "image", source: source() }],
            [{ type: "document", source: source() }],
            [{ type: "search_result", source: "s", title: "t", content: maybe(() => []) }],
            [{ type: "tool_reference", tool_name: maybe(() => "Bash") }],
            [odd(), odd()],
          ])
        ),
        is_error: maybe(() => true),
      },
      { type: "search_result", source: maybe(text), title: maybe(text), content: maybe(() => []) },
      { type: maybe(() => "container_upload"), file_id: maybe(() => "f") },
    ]);
  const assistantBlock = (): unknown =>
    pick([
      { type: "text", text: maybe(text), citations: maybe(() => [{ type: "x" }]) },
      {
        type: "thinking",
        thinking: maybe(text),
        signature: maybe(() => pick(["sig", "ccp:v1:x"])),
      },
      { type: "redacted_thinking", data: maybe(() => "abc") },
      {
        type: "tool_use",
        id: id(),
        name: maybe(() => pick(["Bash", "Read", "x".repeat(200)])),
        input: maybe(() => ({ a: 1 })),
      },
      {
        type: "server_tool_use",
        id: id(),
        name: maybe(() => "web_search"),
        input: maybe(() => ({ query: "q" })),
      },
      {
        type: "web_search_tool_result",
        tool_use_id: id(),
        content: maybe(
          () => [{
            type: "web_search_result",
            url: "https://x.test",
            title: "t",
            encrypted_content: "e",
          }],
        ),
      },
      {
        type: "web_fetch_tool_result",
        tool_use_id: id(),
        content: maybe(() => ({
          type: "web_fetch_result",
          url: "u",
          content: { type: "document" },
        })),
      },
    ]);
  const blocks = (make: () => unknown) =>
    random() < 0.2 ? text() : Array.from({ length: 1 + Math.floor(random() * 3) }, make);
  const messages = Array.from(
    { length: 1 + Math.floor(random() * 5) },
    (_, i) =>
      i % 2 === 0
        ? { role: pick(["user", "user", "system"]), content: blocks(userBlock) }
        : { role: "assistant", content: blocks(assistantBlock) },
  );
  const tool = () =>
    pick([
      {
        name: pick(["Bash", "Read", "a-b.c", "x".repeat(100)]),
        description: maybe(text),
        input_schema: maybe(() => ({
          type: "object",
          properties: { a: { type: pick(["string", "integer", ["null", "array"]]) } },
        })),
      },
      { type: "web_search_20250305", name: "web_search", max_uses: maybe(() => 2) },
      { type: "web_fetch_20250910", name: "web_fetch" },
      {
        type: "custom",
        name: "c",
        input_schema: { type: "object" },
        defer_loading: maybe(() => true),
      },
    ]);
  const extra = () =>
    pick<Record<string, unknown>>([
      { output_config: maybe(() => ({ effort: pick(["low", "max", "x"]) })) },
      {
        output_config: {
          format: maybe(() => ({ type: "json_schema", schema: maybe(() => ({ type: "object" })) })),
        },
      },
      { output_format: maybe(() => ({ type: "json_schema", schema: { type: "object" } })) },
      { stop_sequences: maybe(() => Array.from({ length: 10 }, text)) },
      { temperature: maybe(() => 0.5), top_p: maybe(() => 0.9), top_k: maybe(() => 5) },
      { metadata: maybe(() => ({ user_id: maybe(() => '{"session_id":"s"}') })) },
      { context_management: maybe(() => ({ edits: [{ type: "clear_thinking_20251015" }] })) },
      { max_tokens: pick([1, 16, 2 ** 31, 2 ** 53 - 1]) },
      { service_tier: maybe(() => "auto") },
    ]);
  return {
    ...extra(),
    messages,
    ...(random() < 0.5
      ? { tools: Array.from({ length: 1 + Math.floor(random() * 3) }, tool) }
      : {}),
    ...(random() < 0.3
      ? { tool_choice: pick([{ type: "any" }, { type: "tool", name: "Bash" }, { type: "none" }]) }
      : {}),
    ...(random() < 0.3
      ? {
        thinking: pick([{ type: "enabled", budget_tokens: 1024 }, { type: "adaptive" }, {
          type: "disabled",
        }]),
      }
      : {}),
    ...(random() < 0.3 ? { system: pick([text(), [{ type: "text", text: text() }]]) } : {}),
  };
}

Deno.test("property: random conversations with odd values inside get a 2xx or a 4xx", async (t) => {
  const server = app();
  for (const model of MODELS) {
    await t.step(model, async () => {
      const random = seeded(model.length * 104729 + model.charCodeAt(0));
      for (let run = 0; run < 150; run++) {
        const over = conversation(random);
        for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
          const stream = random() < 0.5;
          const { status, text } = await post(server, path, { ...base(model), stream, ...over });
          assertAnswer(status, text, `${path} ${JSON.stringify(over)}`);
        }
      }
    });
  }
});
