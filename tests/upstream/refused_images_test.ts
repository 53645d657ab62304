/**
 * A model without vision that refuses an image gets the request again with each image replaced by
 * a note, and from then on gets the note at once: the image stays in Claude Code's history, so
 * without this every later turn of the session would fail the same way.
 */

import assert from "node:assert/strict";
import { askStreaming, startCcp } from "../helpers/ccp.ts";
import { chatAnswer } from "../helpers/chat_answer.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { IMAGE_PLACEHOLDER } from "../../src/upstream/model_settings.ts";
import { refusesImages, withoutImages } from "../../src/upstream/http/refused_images.ts";

const NOTE_TEXT = { type: "text", text: IMAGE_PLACEHOLDER };

Deno.test("withoutImages: each protocol's image becomes a note in that protocol's shape", async (t) => {
  await t.step("Anthropic, also inside a tool result; tool arguments are left alone", () => {
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "x" } };
    const body = {
      tools: [{ name: "Show", input_schema: { type: "object" } }],
      messages: [
        { role: "user", content: [{ type: "text", text: "look" }, image] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "t", name: "Show", input: { type: "image" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [image] }] },
      ],
    };
    const out = withoutImages(body);
    assert.deepEqual(out.messages, [
      { role: "user", content: [{ type: "text", text: "look" }, NOTE_TEXT] },
      body.messages[1],
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [NOTE_TEXT] }] },
    ]);
    assert.equal(out.tools, body.tools);
    assert.equal(body.messages[0]!.content[1], image, "the input is not changed");
  });
  await t.step("Chat Completions image_url", () => {
    const out = withoutImages({
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:" } }] }],
    });
    assert.deepEqual(out.messages, [{ role: "user", content: [NOTE_TEXT] }]);
  });
  await t.step("Responses input_image", () => {
    const out = withoutImages({
      input: [{ role: "user", content: [{ type: "input_image", image_url: "data:" }] }],
    });
    assert.deepEqual(out.input, [{
      role: "user",
      content: [{ type: "input_text", text: IMAGE_PLACEHOLDER }],
    }]);
  });
  await t.step("Gemini inlineData of an image (a PDF stays)", () => {
    const pdf = { inlineData: { mimeType: "application/pdf", data: "x" } };
    const out = withoutImages({
      contents: [{
        role: "user",
        parts: [{ inlineData: { mimeType: "image/png", data: "x" } }, pdf],
      }],
    });
    assert.deepEqual(out.contents, [{ role: "user", parts: [{ text: IMAGE_PLACEHOLDER }, pdf] }]);
  });
  await t.step("a body without images is returned as it is", () => {
    const body = { messages: [{ role: "user", content: "hi" }] };
    assert.equal(withoutImages(body), body);
  });
});

Deno.test("refusesImages: each server's wording, only when images were sent", async (t) => {
  const sent = { messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }] };
  const rows: Array<[string, number, string]> = [
    ["OpenRouter", 404, "No endpoints found that support image input"],
    [
      "DeepSeek",
      400,
      "Failed to deserialize the JSON body into the target type: messages[1]: unknown variant `image_url`, expected `text` at line 1 column 679",
    ],
    ["OpenAI", 400, "Invalid content type. image_url is only supported by certain models."],
    ["vLLM", 400, "Qwen/Qwen3-32B is not a multimodal model"],
    // llama-server without --mmproj: a 500 server_error, its multimodal check throwing.
    [
      "llama.cpp",
      500,
      "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj",
    ],
    ["llama.cpp, older", 500, "image input is not supported by this server"],
    // Ollama with a model that has no vision part (qwen3-coder): its runner's error, a 500.
    ["Ollama", 500, "this model is missing data required for image input"],
    ["Ollama, as a 400", 400, "this model is missing data required for image input"],
    ["LM Studio", 400, "Model does not support images. Please use a model that does."],
    ["other", 400, "This model does not support image input"],
  ];
  for (const [name, status, message] of rows) {
    await t.step(name, () => assert.equal(refusesImages(status, message, sent), true));
  }
  await t.step("not without images, not for a 429 or a server fault", () => {
    const text = "This model does not support image input";
    assert.equal(refusesImages(400, text, { messages: [{ role: "user", content: "hi" }] }), false);
    assert.equal(refusesImages(429, text, sent), false);
    assert.equal(refusesImages(500, text, sent), false);
    assert.equal(refusesImages(503, "image input is not supported", sent), false);
    assert.equal(refusesImages(400, "messages[1]: unknown variant `input_audio`", sent), false);
  });
});

Deno.test("a model that refuses images gets notes instead, on this turn and the session's next", async () => {
  const bodies: string[] = [];
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const text = await req.text();
      bodies.push(text);
      if (text.includes("image_url")) {
        return Response.json(
          { error: { message: "No endpoints found that support image input", code: 404 } },
          { status: 404 },
        );
      }
      return chatAnswer(true, { content: "a screenshot" }, "stop");
    },
  );
  const ccp = startCcp(testConfig({
    providers: [provider("or", {
      type: "openai",
      baseUrl: `http://127.0.0.1:${upstream.addr.port}/v1`,
      apiKeys: ["k"],
      authHeader: "bearer",
    })],
    routes: { default: "or/some/text-model" },
  }));
  const image = {
    type: "image",
    source: { type: "base64", media_type: "image/png", data: "iVBO" },
  };
  try {
    const history = [{ role: "user", content: [{ type: "text", text: "what is it?" }, image] }];
    const first = await askStreaming(ccp.url, history);
    assert.equal(first.status, 200);
    assert.equal(first.events.at(-1)!.event, "message_stop");
    assert.equal(bodies.length, 2, "refused once, then sent with a note");
    assert.ok(bodies[1]!.includes(IMAGE_PLACEHOLDER));
    const next = await askStreaming(ccp.url, [
      ...history,
      { role: "assistant", content: [{ type: "text", text: "a screenshot" }] },
      { role: "user", content: "thanks" },
    ]);
    assert.equal(next.status, 200);
    assert.equal(bodies.length, 3, "the next turn carries the note at once");
    assert.ok(!bodies[2]!.includes("image_url"));
  } finally {
    await ccp.close();
    await upstream.shutdown();
  }
});
