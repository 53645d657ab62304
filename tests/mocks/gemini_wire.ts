/**
 * The Gemini side of the scripted model: the scripted turns as `generateContent` JSON or
 * `streamGenerateContent?alt=sse` events, behind the strict request check of gemini_strict.ts.
 */

import { geminiRequestProblem } from "./gemini_strict.ts";

type Obj = Record<string, unknown>;

/** Gemini's error body and status for an invalid request. */
export function invalidArgument(message: string): Response {
  return Response.json(
    { error: { code: 400, message, status: "INVALID_ARGUMENT" } },
    { status: 400 },
  );
}

/** The signature the scripted model puts on its function call; it must come back unchanged. */
export const SCRIPTED_SIGNATURE = "Q2lNQjFHMnM4c2NyaXB0ZWQtZ2VtaW5pLXNpZw==";
/** The signature on the ToolSearch call, when the script makes one. */
export const SEARCH_SIGNATURE = "U0VBUkNILXNjcmlwdGVkLWdlbWluaQ==";

/** What the scripted model does next. */
type Step = "search" | "write" | "done";

/**
 * The script: when Claude Code defers its tools behind ToolSearch, first load WebFetch
 * through it; then write the file (two parallel calls); after the writes, answer text.
 */
function scriptedStep(body: Obj): Step {
  const last = (body.contents as Obj[]).at(-1);
  const answered = last?.role === "user"
    ? (last.parts as Obj[]).flatMap((p) =>
      isRecord(p.functionResponse) ? [p.functionResponse.name] : []
    )
    : [];
  if (answered.includes("Write")) return "done";
  const declared = ((body.tools ?? []) as Obj[])
    .flatMap((t) => (t.functionDeclarations ?? []) as Obj[]).map((d) => d.name);
  const searching = declared.includes("ToolSearch") && !declared.includes("WebFetch");
  return searching && !answered.includes("ToolSearch") ? "search" : "write";
}

const isRecord = (v: unknown): v is Obj => typeof v === "object" && v !== null;

/**
 * The scripted turn as Gemini answer chunks (the last one carries finishReason and usage). Its
 * thought summary comes only to a request that asked for thoughts (`includeThoughts`), as Gemini
 * sends one; the call's signature comes either way.
 */
function chunks(filePath: string, step: Step, model: string, thoughts: boolean): Obj[] {
  const done = step === "done";
  const usage = (out: number) => ({
    promptTokenCount: 900,
    candidatesTokenCount: out,
    thoughtsTokenCount: done ? 0 : 12,
    totalTokenCount: 900 + out + (done ? 0 : 12),
  });
  const chunk = (parts: Obj[], last: boolean) => ({
    candidates: [{
      content: { role: "model", parts },
      index: 0,
      ...(last ? { finishReason: "STOP" } : {}),
    }],
    ...(last ? { usageMetadata: usage(done ? 6 : 20) } : {}),
    modelVersion: model,
    responseId: "scripted-gemini",
  });
  if (done) return [chunk([{ text: "Done: wrote " }], false), chunk([{ text: "the file." }], true)];
  if (step === "search") {
    const args = { query: "select:WebFetch", max_results: 1 };
    const call = { functionCall: { name: "ToolSearch", args }, thoughtSignature: SEARCH_SIGNATURE };
    return [chunk([call], true)];
  }
  const write = (path: string) => ({
    functionCall: { name: "Write", args: { file_path: path, content: "hello from ccp\n" } },
  });
  // Two parallel calls: like Gemini, only the first carries the signature.
  return [
    ...(thoughts ? [chunk([{ text: "I should write the file.", thought: true }], false)] : []),
    chunk([{ ...write(filePath), thoughtSignature: SCRIPTED_SIGNATURE }], false),
    chunk([write(`${filePath}.copy`)], true),
  ];
}

/** Answers one Gemini request (`path` ends in `:generateContent` or `:streamGenerateContent`). */
export function geminiReply(req: Request, body: Obj, filePath: string): Response {
  const url = new URL(req.url);
  const action = /\/v1beta\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
  if (!action || !["generateContent", "streamGenerateContent"].includes(action[2]!)) {
    return Response.json({ error: { code: 404, message: "Not found", status: "NOT_FOUND" } }, {
      status: 404,
    });
  }
  if (!req.headers.get("x-goog-api-key")) {
    return Response.json({
      error: {
        code: 403,
        message: "Method doesn't allow unregistered callers",
        status: "PERMISSION_DENIED",
      },
    }, { status: 403 });
  }
  const model = decodeURIComponent(action[1]!);
  const problem = geminiRequestProblem(body, model);
  if (problem) return invalidArgument(problem);
  const config = isRecord(body.generationConfig) ? body.generationConfig.thinkingConfig : undefined;
  const thoughts = isRecord(config) && config.includeThoughts === true;
  const parts = chunks(filePath, scriptedStep(body), model, thoughts);
  if (action[2] === "generateContent") {
    const all = parts.flatMap((c) => ((c.candidates as Obj[])[0]!.content as Obj).parts as Obj[]);
    const last = parts.at(-1)!;
    const candidate = (last.candidates as Obj[])[0]!;
    return Response.json({
      ...last,
      candidates: [{ ...candidate, content: { role: "model", parts: all } }],
    });
  }
  if (url.searchParams.get("alt") !== "sse") {
    return invalidArgument("the scripted model streams only with alt=sse");
  }
  const sse = parts.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join("");
  return new Response(sse, { headers: { "content-type": "text/event-stream" } });
}
