/**
 * A model or gateway that refuses a PDF gets the request again with each document replaced by a
 * note, and from then on gets the note at once: Claude Code keeps a Read PDF in its history, so
 * without this every later turn of the session would fail the same way.
 */

import assert from "node:assert/strict";
import { askStreaming, startCcp } from "../helpers/ccp.ts";
import { chatAnswer } from "../helpers/chat_answer.ts";
import { provider, testConfig } from "../helpers/config.ts";
import {
  documentNote,
  refusesDocuments,
  withoutDocuments,
} from "../../src/upstream/http/refused_documents.ts";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { settingsFor } from "../../src/config/settings_merge.ts";
import { applyModelSettings } from "../../src/upstream/model_settings.ts";
import type { ModelSettings, ProviderConfig } from "../../src/config/types.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

const PDF = {
  type: "document",
  title: "spec.pdf",
  source: { type: "base64", media_type: "application/pdf", data: "JVBER" },
};
const note = (name?: string) => ({ type: "text", text: documentNote(name) });
/** The note as it appears inside a JSON body (its quotes escaped). */
// Without its closing bracket: "JVBER" is no readable PDF, and the note may say so before it.
const NOTE_IN_JSON = JSON.stringify(documentNote("spec.pdf")).slice(1, -2);

Deno.test("withoutDocuments: each protocol's document becomes a note in that protocol's shape", async (t) => {
  await t.step("Anthropic, also inside a tool result; text documents keep their text", () => {
    const textDoc = { type: "document", title: "a", source: { type: "text", data: "plain" } };
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "x" } };
    const body = {
      messages: [
        { role: "user", content: [{ type: "text", text: "read" }, PDF, textDoc] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "t", name: "Read", input: { type: "document" } }],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "t", content: [PDF, image] }],
        },
      ],
    };
    const out = withoutDocuments(body);
    assert.deepEqual(out.messages, [
      {
        role: "user",
        content: [{ type: "text", text: "read" }, note("spec.pdf"), {
          type: "text",
          text: "a\n\nplain",
        }],
      },
      body.messages[1],
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "t", content: [note("spec.pdf"), image] }],
      },
    ]);
    assert.equal(body.messages[0]!.content[1], PDF, "the input is not changed");
  });
  await t.step("Chat Completions file part", () => {
    const out = withoutDocuments({
      messages: [{
        role: "user",
        content: [{ type: "file", file: { filename: "x.pdf", file_data: "data:" } }],
      }],
    });
    assert.deepEqual(out.messages, [{ role: "user", content: [note("x.pdf")] }]);
  });
  await t.step("Responses input_file", () => {
    const out = withoutDocuments({
      input: [{ role: "user", content: [{ type: "input_file", file_data: "data:" }] }],
    });
    assert.deepEqual(out.input, [{
      role: "user",
      content: [{ type: "input_text", text: documentNote() }],
    }]);
  });
  await t.step("Gemini inlineData and fileData of a PDF (an image stays)", () => {
    const image = { inlineData: { mimeType: "image/png", data: "x" } };
    const out = withoutDocuments({
      contents: [{
        role: "user",
        parts: [
          { inlineData: { mimeType: "application/pdf", data: "x" } },
          { fileData: { mimeType: "application/pdf", fileUri: "https://x/a.pdf" } },
          image,
        ],
      }],
    });
    assert.deepEqual(out.contents, [{
      role: "user",
      parts: [{ text: documentNote() }, { text: documentNote() }, image],
    }]);
  });
  await t.step("a body without documents is returned as it is", () => {
    const body = { messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] };
    assert.equal(withoutDocuments(body), body);
  });
});

Deno.test("refusesDocuments: each server's wording, only when documents were sent", async (t) => {
  const sent = {
    messages: [{ role: "user", content: [{ type: "file", file: { file_data: "data:" } }] }],
  };
  const rows: Array<[string, number, string]> = [
    [
      "OpenAI Chat (a model without file input)",
      400,
      "Invalid Value: 'file'. Supported values are: 'text', 'image_url', 'input_audio', 'refusal', and 'audio'.",
    ],
    ["Azure OpenAI", 400, "Invalid Value: 'file'. This model does not support file content types."],
    [
      "DashScope (Qwen)",
      400,
      "Invalid value: file. Supported values are: 'text','image_url','video_url' and 'video'.",
    ],
    ["vLLM", 400, "Unsupported chat content part type: 'file'. Supported types: text, image_url"],
    ["older vLLM", 501, "Unknown part type: file"],
    [
      "DeepSeek",
      400,
      "Failed to deserialize the JSON body into the target type: messages[1]: unknown variant `file`, expected `text` at line 1 column 99",
    ],
    [
      "a pydantic server",
      422,
      "Input tag 'input_file' found using 'type' does not match any of the expected tags: 'input_text', 'input_image'",
    ],
    [
      "Azure behind LiteLLM",
      400,
      "litellm.BadRequestError: AzureException BadRequestError - Missing required parameter: 'messages[0].content[1].file.file_id'.",
    ],
    ["an Anthropic-compatible server", 400, "This model does not support PDF input."],
    ["other", 400, "document inputs are not supported by this endpoint"],
  ];
  for (const [name, status, message] of rows) {
    await t.step(name, () => assert.equal(refusesDocuments(status, message, sent), true));
  }
  await t.step("not without documents, not for a 429, a server fault or other refusals", () => {
    const text = "Invalid Value: 'file'. This model does not support file content types.";
    assert.equal(
      refusesDocuments(400, text, { messages: [{ role: "user", content: "hi" }] }),
      false,
    );
    assert.equal(refusesDocuments(429, text, sent), false);
    assert.equal(refusesDocuments(500, text, sent), false);
    assert.equal(refusesDocuments(400, "This model does not support image input", sent), false);
    assert.equal(refusesDocuments(400, "The model does not support file_search", sent), false);
    assert.equal(refusesDocuments(400, "unknown variant `input_audio`", sent), false);
  });
});

/** A Chat Completions server that refuses `file` parts in OpenAI's words and answers the rest. */
function startRefusingChat() {
  const bodies: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const text = await req.text();
    bodies.push(text);
    if (text.includes('"type":"file"')) {
      return Response.json({
        error: {
          message: "Invalid Value: 'file'. This model does not support file content types.",
          type: "invalid_request_error",
          param: "messages[1].content[0].type",
          code: "invalid_value",
        },
      }, { status: 400 });
    }
    return chatAnswer(true, { content: "a spec" }, "stop");
  });
  return { bodies, url: `http://127.0.0.1:${server.addr.port}/v1`, close: () => server.shutdown() };
}

function chatProvider(url: string, over: Partial<ProviderConfig> = {}) {
  return provider("gw", {
    type: "openai",
    baseUrl: url,
    apiKeys: ["k"],
    authHeader: "bearer",
    // A generic server reads no PDFs by default; this one is said to.
    modelSettings: { "*": { supports: { documents: true } } },
    ...over,
  });
}

// What Claude Code sends after a Read of a PDF: the document inside the tool result.
const READ_HISTORY = [
  { role: "user", content: "summarise spec.pdf" },
  {
    role: "assistant",
    content: [{ type: "tool_use", id: "r1", name: "Read", input: { file_path: "spec.pdf" } }],
  },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "r1", content: [PDF] }] },
];

Deno.test("a model that refuses PDFs gets notes instead, on this turn and the session's next", async () => {
  const upstream = startRefusingChat();
  const ccp = startCcp(testConfig({
    providers: [chatProvider(upstream.url)],
    routes: { default: "gw/o3-mini" },
  }));
  try {
    const first = await askStreaming(ccp.url, READ_HISTORY);
    assert.equal(first.status, 200);
    assert.equal(first.events.at(-1)!.event, "message_stop");
    assert.equal(upstream.bodies.length, 2, "refused once, then sent with a note");
    assert.ok(upstream.bodies[0]!.includes('"type":"file"'));
    assert.ok(upstream.bodies[1]!.includes(NOTE_IN_JSON));
    const next = await askStreaming(ccp.url, [
      ...READ_HISTORY,
      { role: "assistant", content: [{ type: "text", text: "a spec" }] },
      { role: "user", content: "thanks" },
    ]);
    assert.equal(next.status, 200);
    assert.equal(upstream.bodies.length, 3, "the next turn carries the note at once");
    assert.ok(!upstream.bodies[2]!.includes('"type":"file"'));
    assert.ok(upstream.bodies[2]!.includes(NOTE_IN_JSON));
    const health = await (await fetch(`${ccp.url}/health`)).json();
    assert.deepEqual(health.resilience.learned_params, { "gw/o3-mini": ["documents"] });
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("supports.documents on a generic openai server: true sends file parts, false notes", async (t) => {
  for (const documents of [true, false, undefined]) {
    await t.step(`documents: ${documents}`, async () => {
      const upstream = startRefusingChat();
      const modelSettings: Record<string, ModelSettings> = documents === undefined
        ? {}
        : { "*": { supports: { documents } } };
      const ccp = startCcp(testConfig({
        providers: [chatProvider(upstream.url, { modelSettings })],
        routes: { default: "gw/m" },
      }));
      try {
        await askStreaming(ccp.url, READ_HISTORY);
        const [sent] = upstream.bodies;
        assert.equal(sent!.includes('"type":"file"'), documents === true);
        assert.equal(sent!.includes(NOTE_IN_JSON), documents === false);
        if (documents === undefined) assert.match(sent!, /does not accept PDF documents[\];]/);
      } finally {
        await ccp.close();
        await upstream.close();
      }
    });
  }
});

/** An Anthropic-compatible gateway that refuses `document` blocks and counts everything else. */
function startRefusingAnthropic() {
  const seen: { path: string; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const body = await req.text();
    seen.push({ path, body });
    if (body.includes('"type":"document"')) {
      return Response.json({
        type: "error",
        error: { type: "invalid_request_error", message: "This model does not support PDF input." },
      }, { status: 400 });
    }
    if (path.endsWith("/count_tokens")) return Response.json({ input_tokens: 4242 });
    return Response.json(textMessage("m", { input_tokens: 5, output_tokens: 2 }, "a spec"));
  });
  return { seen, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("an Anthropic-compatible endpoint that refuses documents: learned, and counted so", async (t) => {
  const gateway = startRefusingAnthropic();
  const ccp = startCcp(testConfig({
    providers: [
      provider("gateway", { baseUrl: gateway.url }),
      provider("plain", {
        baseUrl: gateway.url,
        modelSettings: { "*": { supports: { documents: false } } },
      }),
    ],
    routes: { default: "gateway/glm-4.6" },
    aliases: { plain: "plain/glm-4.6" },
  }));
  const post = (path: string, body: Record<string, unknown>) =>
    fetch(`${ccp.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-opus-4-5", messages: READ_HISTORY, ...body }),
    });
  try {
    await t.step("Messages: refused once, then served with the note", async () => {
      const res = await post("/v1/messages", { max_tokens: 100 });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.equal(gateway.seen.length, 2);
      assert.ok(gateway.seen[1]!.body.includes(NOTE_IN_JSON));
    });
    await t.step("count_tokens: one request, with the note", async () => {
      gateway.seen.length = 0;
      const res = await post("/v1/messages/count_tokens", {});
      assert.deepEqual(await res.json(), { input_tokens: 4242 });
      assert.equal(gateway.seen.length, 1, "no refused round trip");
      assert.ok(gateway.seen[0]!.body.includes(NOTE_IN_JSON));
    });
    await t.step("supports.documents false: Messages and count_tokens never send one", async () => {
      gateway.seen.length = 0;
      const res = await post("/v1/messages", { model: "plain", max_tokens: 100 });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      const count = await post("/v1/messages/count_tokens", { model: "plain" });
      assert.deepEqual(await count.json(), { input_tokens: 4242 });
      assert.equal(gateway.seen.length, 2, "neither was refused");
      assert.ok(gateway.seen.every((s) => s.body.includes(NOTE_IN_JSON)));
    });
  } finally {
    await ccp.close();
    await gateway.close();
  }
});

Deno.test("the deepseek preset (its Anthropic endpoint drops documents silently) sends notes", () => {
  const config = configFromYaml({
    text:
      "providers:\n  ds: { preset: deepseek, api_key: k }\nroutes:\n  default: ds/deepseek-chat\n",
    file: "config.yaml",
    env: {},
  });
  const settings = settingsFor(config.providers.ds!, "deepseek-chat");
  const body = { model: "m", max_tokens: 10, messages: READ_HISTORY };
  const sent = JSON.stringify(applyModelSettings(body, settings, { protocol: "anthropic" }));
  assert.ok(!sent.includes('"type":"document"'));
  assert.ok(sent.includes(NOTE_IN_JSON));
});
