/**
 * Claude Code reads a PDF (the Read tool's document block, inside a tool result) in a session
 * routed to a Chat Completions server that takes no documents: that server is sent the PDF's
 * text in place of a note, on every turn, and count_tokens counts that text.
 */

import assert from "node:assert/strict";
import { parseSse, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import {
  base64,
  buildPdf,
  flate,
  linesContent,
  simpleDocument,
} from "../translate/pdf_text/pdf_builder.ts";
import { textMessage } from "../mocks/anthropic_fixtures.ts";

function startChat() {
  const bodies: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    bodies.push(await req.json());
    const sse = (v: unknown) => `data: ${JSON.stringify(v)}\n\n`;
    return new Response(
      sse({ id: "c", choices: [{ index: 0, delta: { content: "It is a spec." } }] }) +
        sse({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) +
        "data: [DONE]\n\n",
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  return { bodies, url: `http://127.0.0.1:${server.addr.port}/v1`, close: () => server.shutdown() };
}

Deno.test("a Chat server without document support is sent the PDF's text, and it is counted", async () => {
  const pdf = buildPdf(simpleDocument([
    await flate(linesContent(["Widget protocol v2", "Frames are length-prefixed."])),
    await flate(linesContent(["Appendix: error codes"])),
  ]));
  const document = {
    type: "document",
    source: { type: "base64", media_type: "application/pdf", data: base64(pdf) },
  };
  const history = [
    { role: "user", content: "summarise spec.pdf" },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "r1", name: "Read", input: { file_path: "/w/spec.pdf" } }],
    },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "r1", content: [document] }] },
  ];
  const upstream = startChat();
  const ccp = startCcp(
    testConfig({
      providers: [provider("gw", {
        type: "openai",
        baseUrl: upstream.url,
        apiKeys: ["k"],
        authHeader: "bearer",
      })],
      routes: { default: "gw/m" },
    }),
    { countTokens: (body) => countRequestTokensAsync(body, {}) },
  ); // the real local count
  const post = (path: string, messages: unknown[], extra: Record<string, unknown> = {}) =>
    fetch(`${ccp.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-sonnet-4-6", messages, ...extra }),
    });
  const expected = [
    "[PDF document: its text, extracted by ccp because this model cannot read PDFs]",
    "--- page 1 ---",
    "Widget protocol v2",
    "Frames are length-prefixed.",
    "--- page 2 ---",
    "Appendix: error codes",
    "[end of PDF document]",
  ].join("\n");
  try {
    for (const turn of [1, 2]) {
      const res = await post("/v1/messages", history, { max_tokens: 100, stream: true });
      assert.equal(res.status, 200);
      const text = parseSse(await res.text())
        .filter((e) => e.event === "content_block_delta")
        .map((e) => (e.data as { delta: { text?: string } }).delta.text ?? "").join("");
      assert.equal(text, "It is a spec.");
      const sent = upstream.bodies[turn - 1] as { messages: { role: string; content: unknown }[] };
      const tool = sent.messages.find((m) => m.role === "tool");
      assert.equal(tool?.content, expected, `turn ${turn}: the tool message holds the text`);
      assert.ok(!JSON.stringify(sent).includes(base64(pdf).slice(0, 40)), "no PDF bytes");
    }
    // count_tokens counts the text sent, the same as a history holding that text itself.
    const count = async (messages: unknown[]) =>
      ((await (await post("/v1/messages/count_tokens", messages)).json()) as {
        input_tokens: number;
      }).input_tokens;
    const asText = structuredClone(history);
    (asText[2] as { content: { content: unknown }[] }).content[0]!.content = [
      { type: "text", text: expected },
    ];
    const [withPdf, withText] = [await count(history), await count(asText)];
    assert.equal(withPdf, withText);
    // Two pages sent as PDF pages would count far more than their few words.
    assert.ok(withText < 200, `${withText}`);
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("an Anthropic endpoint marked supports.documents false: Messages and count_tokens get the text", async () => {
  const seen: { path: string; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    seen.push({ path, body: await req.text() });
    if (path.endsWith("/count_tokens")) return Response.json({ input_tokens: 321 });
    return Response.json(textMessage("m", { input_tokens: 5, output_tokens: 1 }, "ok"));
  });
  const ccp = startCcp(testConfig({
    providers: [provider("plain", {
      baseUrl: `http://127.0.0.1:${server.addr.port}`,
      modelSettings: { "*": { supports: { documents: false } } },
    })],
    routes: { default: "plain/glm-4.6" },
  }));
  const pdf = buildPdf(simpleDocument([await flate(linesContent(["Anthropic-shaped text"]))]));
  const messages = [{
    role: "user",
    content: [
      {
        type: "document",
        title: "a.pdf",
        source: { type: "base64", media_type: "application/pdf", data: base64(pdf) },
      },
      { type: "text", text: "what does it say?" },
    ],
  }];
  const post = (path: string, extra: Record<string, unknown>) =>
    fetch(`${ccp.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-opus-4-5", messages, ...extra }),
    });
  try {
    const res = await post("/v1/messages", { max_tokens: 50 });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const count = await post("/v1/messages/count_tokens", {});
    assert.deepEqual(await count.json(), { input_tokens: 321 });
    assert.deepEqual(seen.map((s) => s.path), ["/v1/messages", "/v1/messages/count_tokens"]);
    for (const { body } of seen) {
      const first = (JSON.parse(body) as { messages: { content: { text?: string }[] }[] })
        .messages[0]!.content[0]!;
      assert.equal(
        first.text,
        '[PDF document "a.pdf": its text, extracted by ccp because this model cannot read PDFs]' +
          '\nAnthropic-shaped text\n[end of PDF document "a.pdf"]',
      );
    }
  } finally {
    await ccp.close();
    await server.shutdown();
  }
});
