/**
 * Documents (PDFs) a model does not take become notes: Claude Code keeps a Read PDF in its
 * history, so a refused one would fail every later turn of the session.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { documentNote, withoutDocuments } from "../../src/upstream/http/refused_documents.ts";
import type { ModelSettings, ProviderConfig } from "../../src/config/types.ts";

const PDF = {
  type: "document",
  title: "spec.pdf",
  source: { type: "base64", media_type: "application/pdf", data: "JVBER" },
};
const note = (name?: string) => ({ type: "text", text: documentNote(name) });
/** The note as it appears inside a JSON body (its quotes escaped). */
const NOTE_IN_JSON = JSON.stringify(documentNote("spec.pdf")).slice(1, -1);

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
    const sse = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
    return new Response(
      sse({ id: "c", choices: [{ index: 0, delta: { content: "a spec" } }] }) +
        sse({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) +
        "data: [DONE]\n\n",
      { headers: { "content-type": "text/event-stream" } },
    );
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

async function ask(url: string, messages: unknown[]) {
  const res = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 100, stream: true, messages }),
  });
  return { status: res.status, events: parseSse(await res.text()) };
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
        await ask(ccp.url, READ_HISTORY);
        const [sent] = upstream.bodies;
        assert.equal(sent!.includes('"type":"file"'), documents === true);
        assert.equal(sent!.includes(NOTE_IN_JSON), documents === false);
        if (documents === undefined) assert.match(sent!, /does not accept PDF documents\]/);
      } finally {
        await ccp.close();
        await upstream.close();
      }
    });
  }
});
