/**
 * A PDF whose `title` is free text ("Quarterly report") reaches OpenAI-style upstreams as a file
 * part named after it; upstreams that read a file's type from its name refuse a name without
 * `.pdf`, and ccp would then replace the PDF with a note for the rest of the session. The name
 * sent always ends in `.pdf`.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";

type Obj = Record<string, unknown>;

/** Chat Completions and Responses in one server that types files by their names, as OpenAI does. */
function startNameTypingUpstream() {
  const names: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    const text = JSON.stringify(body);
    const found = [...text.matchAll(/"filename":"([^"]*)"/g)].map((m) => m[1]!);
    names.push(...found);
    const bad = found.find((name) => !name.toLowerCase().endsWith(".pdf"));
    if (bad !== undefined) {
      return Response.json({
        error: {
          message: `Invalid file '${bad}': unsupported file type. Supported file types: .pdf`,
          type: "invalid_request_error",
          param: "file",
          code: "unsupported_file",
        },
      }, { status: 400 });
    }
    if (new URL(req.url).pathname.endsWith("/responses")) {
      return Response.json({
        id: "resp_1",
        object: "response",
        created_at: 1,
        status: "completed",
        model: body.model,
        output: [{
          id: "msg_1",
          type: "message",
          role: "assistant",
          status: "completed",
          content: [{ type: "output_text", text: "Read it.", annotations: [] }],
        }],
        usage: { input_tokens: 10, output_tokens: 3, total_tokens: 13 },
      });
    }
    return Response.json({
      id: "c",
      object: "chat.completion",
      created: 1,
      model: body.model,
      choices: [{
        index: 0,
        message: { role: "assistant", content: "Read it." },
        finish_reason: "stop",
      }],
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    names,
    close: () => server.shutdown(),
  };
}

const pdf = (title?: string) => ({
  model: "claude-sonnet-5",
  max_tokens: 1000,
  messages: [{
    role: "user",
    content: [
      {
        type: "document",
        ...(title !== undefined ? { title } : {}),
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQK" },
      },
      { type: "text", text: "Sum it up." },
    ],
  }],
});

for (
  const [type, preset, model] of [
    ["openai", "openai", "gpt-4.1"],
    ["openai", "open_router", "openai/gpt-4.1"],
    ["openai_responses", "openai_responses", "gpt-4.1"],
  ] as const
) {
  Deno.test(`a PDF titled without .pdf is sent as "<title>.pdf" (${preset})`, async () => {
    const up = startNameTypingUpstream();
    const ccp = startCcp(testConfig({
      providers: [provider("up", {
        type,
        preset,
        baseUrl: up.url,
        apiKeys: ["sk-test"],
        authHeader: "bearer",
        maxRetries: 0,
      })],
      routes: { default: `up/${model}` },
    }));
    try {
      const cases: Array<[string | undefined, string]> = [
        ["Quarterly report", "Quarterly report.pdf"],
        ["notes.PDF", "notes.PDF"],
        ["spec.pdf", "spec.pdf"],
        ["  ", "document.pdf"],
        [undefined, "document.pdf"],
      ];
      for (const [title, want] of cases) {
        up.names.length = 0;
        const res = await postMessages(ccp.url, pdf(title));
        assert.equal(res.status, 200, await res.clone().text());
        const message = await res.json() as { content: Obj[] };
        assert.equal(message.content[0]?.text, "Read it.");
        assert.deepEqual(up.names, [want], `title ${JSON.stringify(title)}`);
      }
    } finally {
      await ccp.close();
      await up.close();
    }
  });
}
