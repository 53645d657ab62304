/**
 * Files written and edited with CJK, emoji (astral, ZWJ sequences, flags, skin tones), combining
 * marks and CRLF line endings, through ccp on a thinking Chat model with DeepSeek's rules, with
 * the real `claude -p`. The model streams its calls' arguments as a real one does, a few
 * characters per chunk, so chunks end inside `\uXXXX` escapes and between a surrogate pair's
 * escapes, and the stream's bytes reach ccp in pieces that end inside a character's UTF-8
 * bytes. One turn calls Write (to a file whose name is Chinese) and Read of a CRLF file in
 * parallel, the next Edit on that file, the last answers. Claude Code gets each call's input
 * exactly as the model wrote it, the files on disk hold exactly the bytes asked for, and each
 * call goes back to the model with arguments that mean the same. Skipped when `claude` is not
 * installed.
 */

import assert from "node:assert/strict";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, printStreamJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { OPENAI_DIALECTS } from "../../src/translate/openai_chat/dialects.ts";
import { chatChunk } from "../mocks/openai_mock.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** What the model writes: CRLF lines of CJK, emoji, a combining accent, a tab, quotes. */
const NOTES = "# 笔记 📝\r\n\r\n日本語のテキスト、한국어, 中文。\r\n" +
  "emoji: 👩‍💻 🇯🇵 🚀 👋🏽\r\ncombining: e\u0301 — café\r\n" +
  '\ttab, "quotes" and \\backslash\\\r\n';
/** The CRLF file the test puts there, which the model reads and edits. */
const GREETING = "Hello 世界\r\nこんにちは 🌏\r\nbye\r\n";
const EDIT = { old_string: "こんにちは 🌏", new_string: "안녕하세요 🇰🇷 👋🏽" };
const ANSWER = "已完成 ✅ — notes written, greeting edited.";

/** The JSON of `args` with some characters written as escapes, as models sometimes write them. */
function escapedJson(args: Obj): string {
  return JSON.stringify(args)
    .replaceAll("é", "\\u00e9")
    .replaceAll("🚀", "\\ud83d\\ude80")
    .replaceAll("世", "\\u4e16");
}

/** `text` cut every `size` code points (never inside a character, often inside an escape). */
function pieces(text: string, size: number): string[] {
  const points = [...text];
  const out: string[] = [];
  for (let i = 0; i < points.length; i += size) out.push(points.slice(i, i + size).join(""));
  return out;
}

/** Chat chunks of `calls`, each call's arguments a few characters at a time. */
function callChunks(calls: { id: string; name: string; args: string }[]): string[] {
  return calls.flatMap((call, index) => [
    chatChunk({
      tool_calls: [{
        index,
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: "" },
      }],
    }),
    ...pieces(call.args, 3).map((part) =>
      chatChunk({ tool_calls: [{ index, function: { arguments: part } }] })
    ),
  ]);
}

/** `body` sent 7 bytes at a time, so reads end inside a character's UTF-8 bytes. */
function trickle(body: string): Response {
  const bytes = new TextEncoder().encode(body);
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + 7));
      at += 7;
      await new Promise((resolve) => setTimeout(resolve, 1));
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

/** The model: Write + Read, then Edit, then the answer; reasoning first each time. */
function startModel(work: string) {
  const bodies: Obj[] = [];
  const problems: string[] = [];
  const calls = [
    [
      { id: "call_w", name: "Write", args: { file_path: `${work}/笔记.md`, content: NOTES } },
      { id: "call_r", name: "Read", args: { file_path: `${work}/greeting.txt` } },
    ],
    [{ id: "call_e", name: "Edit", args: { file_path: `${work}/greeting.txt`, ...EDIT } }],
  ];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const messages = body.messages as Obj[];
    const problem = chatHistoryProblem(messages);
    if (problem) {
      problems.push(problem);
      return Response.json({ error: { message: problem, type: "invalid_request_error" } }, {
        status: 400,
      });
    }
    const turn = messages.filter((m) => m.role === "assistant").length;
    const parts = [chatChunk({ role: "assistant", reasoning_content: `思考 ${turn} 🤔` })];
    const these = calls[turn];
    if (these) {
      const wire = these.map((c) => ({ ...c, args: escapedJson(c.args) }));
      parts.push(...callChunks(wire), chatChunk({}, "tool_calls"));
    } else {
      parts.push(...pieces(ANSWER, 2).map((content) => chatChunk({ content })));
      parts.push(chatChunk({}, "stop"));
    }
    return trickle(`${parts.join("")}data: [DONE]\n\n`);
  });
  const up = provider("up", {
    type: "openai",
    baseUrl: `http://127.0.0.1:${server.addr.port}/v1`,
    apiKeys: ["deepseek-key"],
    authHeader: "bearer",
    maxRetries: 0,
    dialect: OPENAI_DIALECTS.deepseek!,
  });
  return { bodies, problems, calls, provider: up, close: () => server.shutdown() };
}

Deno.test({
  name: "real Claude Code through ccp: Write, Read and Edit of CJK, emoji and CRLF files on a " +
    "Chat model streaming its arguments in pieces write exactly the bytes asked for",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-unicode-");
    await Deno.writeTextFile(`${ws.work}/greeting.txt`, GREETING);
    const model = startModel(ws.work);
    await using stage = await claudeStage(
      ws,
      testConfig({
        providers: [model.provider],
        routes: { default: "up/deepseek-reasoner" },
        authToken: "e2e-token",
      }),
      { mocks: [model], guarded: true },
    );
    const { ccp } = stage;
    const run = await printStreamJson(ws, ccp.url, ["-p", "Write the notes, fix the greeting."], {
      tools: ["Write", "Read", "Edit"],
    });
    const context = `${run.output}\n${model.problems}\n${ccp.logs.join("")}`;
    assert.equal(run.result.is_error, false, context);
    assert.equal(run.result.result, ANSWER, context);
    assert.deepEqual(model.problems, [], context);
    assert.equal(model.bodies.length, 3, context);

    // Claude Code got each call's input exactly as the model wrote it (and fills in Edit's
    // `replace_all` itself).
    const uses = run.events.filter((e) => e.type === "assistant")
      .flatMap((e) => (e.message as Obj).content as Obj[])
      .filter((b) => b.type === "tool_use");
    const [write, readCall, edit] = model.calls.flat().map((c) => c.args);
    assert.deepEqual(
      uses.map((u) => u.input),
      [write, readCall, { ...edit, replace_all: false }],
      context,
    );

    // The bytes on disk.
    const notes = await Deno.readFile(`${ws.work}/笔记.md`);
    assert.deepEqual(notes, new TextEncoder().encode(NOTES));
    const greeting = await Deno.readTextFile(`${ws.work}/greeting.txt`);
    assert.equal(greeting, GREETING.replace(EDIT.old_string, EDIT.new_string));

    // What went back: each call's arguments mean what the model sent, the Read result holds
    // the greeting's words, and the reasoning is back on each call turn.
    const last = model.bodies[2]!.messages as Obj[];
    const sent = last.filter((m) => m.role === "assistant").flatMap((m) =>
      (m.tool_calls as Obj[]).map((c) => JSON.parse((c.function as Obj).arguments as string))
    );
    assert.deepEqual(sent, [write, readCall, { ...edit, replace_all: false }]);
    const reasoning = last.filter((m) => m.role === "assistant").map((m) => m.reasoning_content);
    assert.deepEqual(reasoning, ["思考 0 🤔", "思考 1 🤔"]);
    const read = last.filter((m) => m.role === "tool").map((m) => String(m.content));
    assert.ok(read.some((r) => r.includes("こんにちは 🌏")), read.join("\n"));
  },
});
