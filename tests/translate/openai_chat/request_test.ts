import assert from "node:assert/strict";
import { ClientRequestError } from "../../../src/core/errors.ts";
import type { MessagesRequest } from "../../../src/protocols/anthropic.ts";
import type { ChatCompletionRequest } from "../../../src/protocols/openai_chat.ts";
import {
  DEFAULT_OPENAI_DIALECT,
  type OpenAIDialect,
} from "../../../src/translate/openai_chat/dialect.ts";
import { OPENAI_DIALECTS } from "../../../src/translate/openai_chat/dialects.ts";
import { toOpenAIChatRequest } from "../../../src/translate/openai_chat/request.ts";
import { req } from "../_request.ts";

/** A message's content as text: its text parts joined. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  return (content as { text?: string }[]).map((p) => p.text ?? "").join("\n");
}

function map(
  request: MessagesRequest,
  dialect: OpenAIDialect = DEFAULT_OPENAI_DIALECT,
  extra: {
    model?: string;
    provider?: string;
    maxOutputTokens?: number;
    contextWindow?: number;
    inputTokens?: number;
  } = {},
): ChatCompletionRequest {
  return toOpenAIChatRequest(request, { dialect, model: "up-model", provider: "prov", ...extra });
}

Deno.test("system prompt", async (t) => {
  await t.step("a string becomes one system message", () => {
    assert.deepEqual(map(req({ system: "Be brief." })).messages[0], {
      role: "system",
      content: "Be brief.",
    });
  });
  await t.step("blocks are joined; cache_control and the billing header are dropped", () => {
    const body = map(req({
      system: [
        { type: "text", text: "x-anthropic-billing-header: cc_version=1; cc_entrypoint=cli;" },
        { type: "text", text: "A", cache_control: { type: "ephemeral" } },
        { type: "text", text: "B" },
      ],
    }));
    assert.deepEqual(body.messages[0], { role: "system", content: "A\n\nB" });
    assert.ok(!JSON.stringify(body).includes("cache_control"));
  });
});

Deno.test("role: system inside messages", async (t) => {
  const request = req({
    system: "Top.",
    messages: [
      { role: "user", content: "Q" },
      { role: "system", content: [{ type: "text", text: "# Environment" }] },
      { role: "assistant", content: "A" },
      { role: "system", content: "Later note" },
    ],
  });
  await t.step("merged into the leading system message when the provider wants it first", () => {
    const roles = map(request).messages.map((m) => m.role);
    assert.deepEqual(roles, ["system", "user", "assistant", "user"]);
    assert.equal(map(request).messages[0]?.content, "Top.\n\n# Environment");
    // One after the first answer stays in its place, so later requests begin as this one did.
    assert.deepEqual(
      map(request).messages[3]?.content,
      "<system-reminder>\nLater note\n</system-reminder>",
    );
  });
  await t.step("kept in place where the provider accepts it mid-conversation", () => {
    const messages = map(request, OPENAI_DIALECTS.openai).messages;
    assert.deepEqual(messages.map((m) => m.role), [
      "system",
      "user",
      "system",
      "assistant",
      "system",
    ]);
    assert.equal(messages[2]?.content, "# Environment");
  });
});

Deno.test("user blocks", async (t) => {
  await t.step("text blocks become text parts (one block: a plain string)", () => {
    const one = map(req({ messages: [{ role: "user", content: [{ type: "text", text: "x" }] }] }));
    assert.deepEqual(one.messages[0], { role: "user", content: "x" });
    const two = map(req({
      messages: [{
        role: "user",
        content: [{ type: "text", text: "a" }, { type: "text", text: "b" }],
      }],
    }));
    assert.deepEqual(two.messages[0], {
      role: "user",
      content: [{ type: "text", text: "a" }, { type: "text", text: "b" }],
    });
  });
  await t.step("images: base64 → data URL, url → url", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
          { type: "image", source: { type: "url", url: "https://x/y.png" } },
        ],
      }],
    }));
    assert.deepEqual(body.messages[0], {
      role: "user",
      content: [
        { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
        { type: "image_url", image_url: { url: "https://x/y.png" } },
      ],
    });
  });
  await t.step("Groq: only its Llama 4 models get images; gpt-oss and the rest a note", () => {
    const picture = req({
      messages: [{
        role: "user",
        content: [{
          type: "image",
          source: { type: "base64", media_type: "image/png", data: "QQ" },
        }],
      }],
    });
    const sent = (model: string) =>
      JSON.stringify(map(picture, OPENAI_DIALECTS.groq, { model }).messages[0]?.content);
    assert.match(sent("openai/gpt-oss-120b"), /image omitted: provider \\"prov\\"/);
    assert.doesNotMatch(sent("openai/gpt-oss-120b"), /image_url/);
    assert.match(sent("meta-llama/llama-4-scout-17b-16e-instruct"), /image_url/);
  });
  await t.step("images to a provider without vision become a clear placeholder", () => {
    const body = map(
      req({
        messages: [{
          role: "user",
          content: [{ type: "image", source: { type: "url", url: "u" } }],
        }],
      }),
      OPENAI_DIALECTS.deepseek,
    );
    assert.match(String(body.messages[0]?.content), /image omitted: provider "prov"/);
  });
  const pdfRequest = (source: Record<string, string>) =>
    req({
      messages: [{
        role: "user",
        content: [
          { type: "text", text: "Summarise it" },
          { type: "document", title: "report.pdf", source } as never,
        ],
      }],
    });
  const base64Pdf = { type: "base64", media_type: "application/pdf", data: "JVBE" };
  await t.step("a PDF goes as a file part where the provider reads PDFs (OpenAI too)", () => {
    for (const name of ["openrouter", "openai"] as const) {
      const body = map(pdfRequest(base64Pdf), OPENAI_DIALECTS[name], { model: "gpt-4.1" });
      assert.deepEqual(body.messages[0]?.content, [
        { type: "text", text: "Summarise it" },
        {
          type: "file",
          file: { filename: "report.pdf", file_data: "data:application/pdf;base64,JVBE" },
        },
      ], name);
    }
  });
  await t.step("a PDF to a provider without PDF support is a placeholder, never a 400", () => {
    // Claude Code keeps the PDF its Read tool returned in the history: a 400 would fail every
    // later turn of the session, as it would for an image.
    for (const dialect of [DEFAULT_OPENAI_DIALECT, OPENAI_DIALECTS.deepseek]) {
      const body = map(pdfRequest(base64Pdf), dialect);
      const text = contentText(body.messages[0]?.content);
      assert.match(text, /Summarise it/);
      assert.match(text, /\[document "report.pdf" omitted: provider "prov" \(model up-model\)/);
      assert.doesNotMatch(text, /JVBE/);
    }
  });
  await t.step("a PDF by URL: a file part on OpenRouter, else a placeholder naming the URL", () => {
    const url = { type: "url", url: "https://x/a.pdf" };
    const routed = map(pdfRequest(url), OPENAI_DIALECTS.openrouter);
    assert.deepEqual((routed.messages[0]?.content as unknown[])[1], {
      type: "file",
      file: { filename: "report.pdf", file_data: "https://x/a.pdf" },
    });
    const body = map(pdfRequest(url), OPENAI_DIALECTS.openai, { model: "gpt-4.1" });
    assert.match(
      contentText(body.messages[0]?.content),
      /\[document "report.pdf" at https:\/\/x\/a\.pdf omitted: .* does not fetch documents by URL/,
    );
  });
  await t.step("a Files API document is still a 400: no other provider can read it", () => {
    assert.throws(
      () => map(pdfRequest({ type: "file", file_id: "file_1" }), OPENAI_DIALECTS.openrouter),
      (e: unknown) => e instanceof ClientRequestError && e.status === 400,
    );
  });
  await t.step("text documents are inlined as text", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [{
          type: "document",
          title: "notes",
          source: { type: "text", media_type: "text/plain", data: "n" },
        }],
      }],
    }));
    assert.deepEqual(body.messages[0], { role: "user", content: "notes\n\nn" });
  });
});

Deno.test("tool results", async (t) => {
  const history: MessagesRequest["messages"] = [
    { role: "user", content: "go" },
    {
      role: "assistant",
      content: [
        { type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } },
        { type: "tool_use", id: "t2", name: "Read", input: { file_path: "/a.png" } },
      ],
    },
  ];
  await t.step(
    "become tool messages before the turn's text; is_error stays visible; images follow",
    () => {
      const body = map(req({
        messages: [...history, {
          role: "user",
          content: [
            { type: "text", text: "and then?" },
            { type: "tool_result", tool_use_id: "t1", content: "boom", is_error: true },
            {
              type: "tool_result",
              tool_use_id: "t2",
              content: [
                { type: "text", text: "read ok" },
                { type: "image", source: { type: "base64", media_type: "image/png", data: "QQ" } },
              ],
            },
          ],
        }],
      }));
      assert.deepEqual(body.messages.slice(2), [
        { role: "tool", tool_call_id: "t1", content: "Error: boom" },
        {
          role: "tool",
          tool_call_id: "t2",
          content: "read ok\n[image output follows in the next message]",
        },
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/png;base64,QQ" } },
            { type: "text", text: "and then?" },
          ],
        },
      ]);
    },
  );
  await t.step("for a model without vision, the image's note stays in the tool's text", () => {
    const body = map(
      req({
        messages: [...history, {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "t1", content: "listed" },
            {
              type: "tool_result",
              tool_use_id: "t2",
              content: [
                { type: "text", text: "read ok" },
                { type: "image", source: { type: "base64", media_type: "image/png", data: "QQ" } },
              ],
            },
          ],
        }],
      }),
      OPENAI_DIALECTS.deepseek,
    );
    // Nothing follows the tool messages: no note promising an image, no user message of notes.
    assert.deepEqual(body.messages.slice(2), [
      { role: "tool", tool_call_id: "t1", content: "listed" },
      {
        role: "tool",
        tool_call_id: "t2",
        content:
          'read ok\n[image omitted: provider "prov" (model up-model) does not accept images]',
      },
    ]);
  });
  await t.step("a PDF that follows is named as one, not as an image", () => {
    const pdf = {
      type: "document" as const,
      source: { type: "base64" as const, media_type: "application/pdf" as const, data: "JVB" },
    };
    const image = {
      type: "image" as const,
      source: { type: "base64" as const, media_type: "image/png" as const, data: "QQ" },
    };
    const toolText = (content: (typeof pdf | typeof image)[]) =>
      map(
        req({
          messages: [...history, {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: "t2", content }],
          }],
        }),
        OPENAI_DIALECTS.openai!,
      ).messages.find((m) => m.role === "tool" && m.tool_call_id === "t2")?.content;
    assert.equal(toolText([pdf]), "[PDF document output follows in the next message]");
    assert.equal(
      toolText([image, pdf]),
      "[image and PDF document output follow in the next message]",
    );
  });
  await t.step(
    "Claude Code's own <tool_use_error> is not wrapped twice; empty output is said",
    () => {
      const body = map(req({
        messages: [...history, {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "t1",
              content: "<tool_use_error>nope</tool_use_error>",
              is_error: true,
            },
            { type: "tool_result", tool_use_id: "t2", content: "" },
          ],
        }],
      }));
      assert.equal(body.messages[2]?.content, "<tool_use_error>nope</tool_use_error>");
      assert.equal(body.messages[3]?.content, "(no output)");
    },
  );
});

Deno.test("assistant blocks", async (t) => {
  const turn: MessagesRequest["messages"][number] = {
    role: "assistant",
    content: [
      { type: "thinking", thinking: "secret", signature: "EuYBCkQYAiJA" },
      { type: "redacted_thinking", data: "xx" },
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "c1", name: "Bash", input: { command: "pwd" } },
    ],
  };
  await t.step(
    "text → content, tool_use → tool_calls, foreign thinking and redacted_thinking dropped",
    () => {
      const body = map(req({ messages: [{ role: "user", content: "q" }, turn] }));
      assert.deepEqual(body.messages[1], {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [{
          id: "c1",
          type: "function",
          function: { name: "Bash", arguments: '{"command":"pwd"}' },
        }],
      });
    },
  );
  await t.step(
    "tool-only turns get null content, or a space where the provider needs content",
    () => {
      const only: MessagesRequest["messages"][number] = {
        role: "assistant",
        content: [{ type: "tool_use", id: "c1", name: "ListAgents", input: {} }],
      };
      assert.equal(
        map(req({ messages: [{ role: "user", content: "q" }, only] })).messages[1]?.content,
        null,
      );
      const nim = map(
        req({ messages: [{ role: "user", content: "q" }, only] }),
        OPENAI_DIALECTS.nvidia_nim,
      );
      assert.equal(nim.messages[1]?.content, " ");
    },
  );
  await t.step("foreign reasoning can be kept as plain text when the dialect says so", () => {
    const body = map(req({ messages: [{ role: "user", content: "q" }, turn] }), {
      ...DEFAULT_OPENAI_DIALECT,
      foreignReasoning: "text",
    });
    assert.match(
      String(body.messages[1]?.content),
      /^<previous_reasoning>\nsecret\n<\/previous_reasoning>/,
    );
  });
});

Deno.test("the input request is never mutated", () => {
  const request = req({
    system: [{ type: "text", text: "S", cache_control: { type: "ephemeral" } }],
    tools: [{ name: "T", input_schema: { $schema: "x", type: "object", properties: {} } }],
    messages: [{
      role: "user",
      content: [{ type: "text", text: "q", cache_control: { type: "ephemeral" } }],
    }],
  });
  const before = structuredClone(request);
  map(request, OPENAI_DIALECTS.mistral);
  map(request, OPENAI_DIALECTS.deepseek);
  assert.deepEqual(request, before);
});

Deno.test("messages must be an array", () => {
  assert.throws(
    () => map({ model: "m", max_tokens: 1 } as unknown as MessagesRequest),
    ClientRequestError,
  );
});

Deno.test("Mistral: a user message never follows tool results", async (t) => {
  // Mistral answers 400 "Unexpected role 'user' after role 'tool'" (code 3230) for such a list.
  const refusedOrder = (messages: readonly { role: string }[]) =>
    messages.findIndex((m, i) => m.role === "user" && messages[i - 1]?.role === "tool");
  // Claude Code's turn after a tool ran: the result, then a system reminder in the same turn.
  const history = req({
    messages: [
      { role: "user", content: "Run the tests" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Running them." },
          { type: "tool_use", id: "toolu_01A", name: "Bash", input: { command: "deno test" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_01A", content: "ok | 3 passed | 0 failed" },
          {
            type: "text",
            text: "<system-reminder>\nThe TodoWrite tool hasn't been used recently.\n" +
              "</system-reminder>",
          },
        ],
      },
    ],
  });
  await t.step("an empty assistant message goes between them", () => {
    const messages = map(history, OPENAI_DIALECTS.mistral).messages;
    assert.equal(refusedOrder(messages), -1);
    assert.deepEqual(messages.map((m) => m.role), [
      "user",
      "assistant",
      "tool",
      "assistant",
      "user",
    ]);
    assert.deepEqual(messages[3], { role: "assistant", content: " " });
    assert.match(contentText(messages[4]?.content), /TodoWrite/);
  });
  await t.step("also before the image a tool returned", () => {
    const image = req({
      messages: [
        { role: "user", content: "Look at the screenshot" },
        {
          role: "assistant",
          content: [{
            type: "tool_use",
            id: "toolu_01B",
            name: "Read",
            input: { file_path: "a.png" },
          }],
        },
        {
          role: "user",
          content: [{
            type: "tool_result",
            tool_use_id: "toolu_01B",
            content: [{
              type: "image",
              source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" },
            }],
          }],
        },
      ],
    });
    const messages = map(image, OPENAI_DIALECTS.mistral).messages;
    assert.equal(refusedOrder(messages), -1);
    assert.equal(messages.at(-1)?.role, "user");
  });
  await t.step("Mistral's models served by NIM or a local vLLM get the same", () => {
    for (
      const [dialect, model] of [
        [OPENAI_DIALECTS.nvidia_nim, "mistralai/mistral-small-4-119b-2603"],
        [OPENAI_DIALECTS.local, "mistralai/Devstral-Small-2-24B-Instruct-2512"],
        [OPENAI_DIALECTS.openrouter, "mistralai/magistral-medium-2506"],
      ] as const
    ) {
      const messages = map(history, dialect, { model }).messages;
      assert.equal(refusedOrder(messages), -1, model);
    }
  });
  await t.step("a provider without a preset gets the same for Mistral's models", () => {
    const model = "mistralai/Devstral-Small-2507";
    assert.equal(refusedOrder(map(history, DEFAULT_OPENAI_DIALECT, { model }).messages), -1);
  });
  await t.step("a model's patch adds the bridge and keeps the dialect's own quirks", () => {
    // A dialect with ids of its own to fix: the bridge must not take their place.
    const dialect = { ...DEFAULT_OPENAI_DIALECT, quirks: ["mistral_tool_call_ids"] } as const;
    const messages = map(history, dialect, { model: "codestral-latest" }).messages;
    assert.equal(refusedOrder(messages), -1);
    const tool = messages.find((m) => m.role === "tool");
    assert.match(tool?.role === "tool" ? tool.tool_call_id : "", /^[A-Za-z0-9]{9}$/);
  });
  await t.step("other providers and models keep the order as it was", () => {
    const roles = ["user", "assistant", "tool", "user"];
    assert.deepEqual(map(history).messages.map((m) => m.role), roles);
    assert.deepEqual(map(history, OPENAI_DIALECTS.openai).messages.map((m) => m.role), roles);
    const kimi = map(history, OPENAI_DIALECTS.nvidia_nim, { model: "moonshotai/kimi-k2.5" });
    assert.deepEqual(kimi.messages.map((m) => m.role), roles);
  });
});
