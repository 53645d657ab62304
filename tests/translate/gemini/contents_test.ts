/**
 * Anthropic → Gemini request mapping of the conversation itself: turns and their parts
 * (text, images, documents, tool calls and results), and the turns ccp adds where Gemini
 * refuses how a history opens or ends.
 */

import assert from "node:assert/strict";
import { ClientRequestError } from "../../../src/core/errors.ts";
import { CONTINUE_MODEL_TURN } from "../../../src/translate/gemini/contents.ts";
import { req } from "../_request.ts";
import { map } from "./_map.ts";

Deno.test("contents", async (t) => {
  await t.step("roles user/model; empty text dropped; adjacent turns of one role merged", () => {
    const body = map(req({
      messages: [
        { role: "user", content: [{ type: "text", text: "" }, { type: "text", text: "one" }] },
        { role: "user", content: "two" },
        { role: "assistant", content: "" },
        { role: "assistant", content: [{ type: "text", text: "three" }] },
      ],
    }));
    assert.deepEqual(body.contents, [
      { role: "user", parts: [{ text: "one" }, { text: "two" }] },
      { role: "model", parts: [{ text: "three" }] },
    ]);
  });
  await t.step("images: base64 → inlineData, https → fileData, data: URL → inlineData", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBO" } },
          { type: "image", source: { type: "url", url: "https://example.com/cat.JPG" } },
          { type: "image", source: { type: "url", url: "https://example.com/render" } },
          { type: "image", source: { type: "url", url: "data:image/webp;base64,UklG" } },
        ],
      }],
    }));
    assert.deepEqual(body.contents[0]?.parts, [
      { inlineData: { mimeType: "image/png", data: "iVBO" } },
      { fileData: { fileUri: "https://example.com/cat.JPG", mimeType: "image/jpeg" } },
      { fileData: { fileUri: "https://example.com/render" } },
      { inlineData: { mimeType: "image/webp", data: "UklG" } },
    ]);
  });
  await t.step("images Gemini cannot read are a clear 400", () => {
    for (
      const source of [
        { type: "file" as const, file_id: "file_011" },
        { type: "url" as const, url: "ftp://example.com/a.png" },
      ]
    ) {
      assert.throws(
        () => map(req({ messages: [{ role: "user", content: [{ type: "image", source }] }] })),
        (e: unknown) =>
          e instanceof ClientRequestError && e.status === 400 && /provider "gem"/.test(e.message),
      );
    }
  });
  await t.step("documents: PDF inline, text as text, URL as fileData", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [
          {
            type: "document",
            source: { type: "base64", media_type: "application/pdf", data: "JVBE" },
          },
          { type: "document", title: "Notes", source: { type: "text", data: "plain" } },
          { type: "document", source: { type: "url", url: "https://example.com/paper" } },
        ],
      }],
    }));
    assert.deepEqual(body.contents[0]?.parts, [
      { inlineData: { mimeType: "application/pdf", data: "JVBE" } },
      { text: "Notes\n\nplain" },
      { fileData: { fileUri: "https://example.com/paper", mimeType: "application/pdf" } },
    ]);
  });
  await t.step(
    "tool_use → functionCall; tool_result → functionResponse named after the call",
    () => {
      const body = map(req({
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [
              { type: "text", text: "Running." },
              { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "ls" } },
              { type: "tool_use", id: "toolu_2", name: "Read", input: { file_path: "/x" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "text", text: "<system-reminder>note</system-reminder>" },
              { type: "tool_result", tool_use_id: "toolu_1", content: "a.txt" },
              {
                type: "tool_result",
                tool_use_id: "toolu_2",
                is_error: true,
                content: [{ type: "text", text: "ENOENT" }, { type: "text", text: "no file" }],
              },
            ],
          },
        ],
      }));
      assert.deepEqual(body.contents[1], {
        role: "model",
        parts: [
          { text: "Running." },
          { functionCall: { name: "Bash", args: { command: "ls" } } },
          { functionCall: { name: "Read", args: { file_path: "/x" } } },
        ],
      });
      assert.deepEqual(body.contents[2], {
        role: "user",
        parts: [
          { functionResponse: { name: "Bash", response: { result: "a.txt" } } },
          { functionResponse: { name: "Read", response: { error: "ENOENT\nno file" } } },
          { text: "<system-reminder>note</system-reminder>" },
        ],
      });
    },
  );
  await t.step(
    "parallel results come back in the calls' order, whatever order the client sent them in",
    () => {
      // Claude Code lists parallel results in the order the tools finished; Gemini pairs a
      // response with its call by position, so two Bash calls would get each other's output.
      const body = map(req({
        messages: [
          { role: "user", content: "go" },
          {
            role: "assistant",
            content: [
              { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "echo one" } },
              { type: "tool_use", id: "toolu_2", name: "Bash", input: { command: "echo two" } },
            ],
          },
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_2", content: "two" },
              { type: "tool_result", tool_use_id: "toolu_1", content: "one" },
            ],
          },
        ],
      }));
      assert.deepEqual(body.contents[2]?.parts, [
        { functionResponse: { name: "Bash", response: { result: "one" } } },
        { functionResponse: { name: "Bash", response: { result: "two" } } },
      ]);
    },
  );
  await t.step("images inside a tool result follow the responses as inlineData", () => {
    const body = map(req({
      messages: [
        { role: "user", content: "Take a screenshot" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Shot", input: {} }] },
        {
          role: "user",
          content: [{
            type: "tool_result",
            tool_use_id: "t1",
            content: [
              { type: "text", text: "captured" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } },
            ],
          }],
        },
      ],
    }));
    assert.deepEqual(body.contents[2]?.parts, [
      { functionResponse: { name: "Shot", response: { result: "captured" } } },
      { inlineData: { mimeType: "image/png", data: "AA" } },
    ]);
  });
  await t.step("a tool result without its call becomes text", () => {
    const body = map(req({
      messages: [{
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "gone", content: "old output" }],
      }],
    }));
    assert.deepEqual(body.contents[0]?.parts, [{ text: "[result of tool call gone]\nold output" }]);
  });
  await t.step("a non-object tool input becomes empty args", () => {
    const body = map(req({
      messages: [{ role: "user", content: "Go" }, {
        role: "assistant",
        content: [{ type: "tool_use", id: "t", name: "X", input: "s" }],
      }],
    }));
    assert.deepEqual(body.contents[1]?.parts, [{ functionCall: { name: "X", args: {} } }]);
  });
});

Deno.test("a history that opens with a function call gets a user turn before it", () => {
  // Gemini answers 400 "Please ensure that function call turn comes immediately after a user
  // turn or after a function response turn" when a trimmed history starts with a call.
  const body = map(req({
    messages: [
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "text" }] },
    ],
  }));
  assert.deepEqual(body.contents.map((c) => c.role), ["user", "model", "user"]);
  assert.deepEqual(body.contents[0]?.parts, [{ text: "[earlier conversation omitted]" }]);
  assert.deepEqual(body.contents[1]?.parts, [{ functionCall: { name: "Read", args: {} } }]);
  // A history that opens with plain model text is left as it is.
  const text = map(req({
    messages: [{ role: "assistant", content: "Hello." }, { role: "user", content: "Hi" }],
  }));
  assert.deepEqual(text.contents.map((c) => c.role), ["model", "user"]);
});

Deno.test("a history ending on a model turn, for models that refuse one", async (t) => {
  // Gemini 3.5 Flash-Lite, 3.6 Flash and later answer 400 "Requests ending with a model turn
  // are not supported"; Claude Code ends on an assistant turn to resume an interrupted answer.
  const prefill = req({
    messages: [{ role: "user", content: "Count to five" }, {
      role: "assistant",
      content: "One, two,",
    }],
  });
  // gemini-3.5-flash and gemini-3-flash-preview are now served by 3.6 Flash.
  for (
    const model of [
      "gemini-3.6-flash",
      "gemini-3.8-flash",
      "gemini-3.5-flash-lite",
      "gemini-3.5-flash",
      "gemini-3-flash-preview",
    ]
  ) {
    await t.step(`${model}: a user turn asks to continue`, () => {
      const body = map(prefill, model);
      assert.deepEqual(body.contents.map((c) => c.role), ["user", "model", "user"]);
      assert.deepEqual(body.contents[1]?.parts, [{ text: "One, two," }]);
      assert.deepEqual(body.contents[2]?.parts, [{ text: CONTINUE_MODEL_TURN }]);
    });
  }
  for (const model of ["gemini-2.5-flash", "gemini-3-pro-preview", "gemini-3.1-pro-preview"]) {
    await t.step(`${model} continues the model turn itself`, () => {
      const body = map(prefill, model);
      assert.deepEqual(body.contents.map((c) => c.role), ["user", "model"]);
    });
  }
  await t.step("a history ending on a user turn is left alone", () => {
    const body = map(req(), "gemini-3.6-flash");
    assert.deepEqual(body.contents.map((c) => c.role), ["user"]);
  });
});
