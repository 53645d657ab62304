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

/** True when the last user content answers a call. */
export function sawFunctionResponse(body: Obj): boolean {
  const last = (body.contents as Obj[]).at(-1);
  return last?.role === "user" &&
    (last.parts as Obj[]).some((p) => p.functionResponse !== undefined);
}

/** The scripted turn as Gemini answer chunks (the last one carries finishReason and usage). */
function chunks(filePath: string, done: boolean, model: string): Obj[] {
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
  const write = (path: string) => ({
    functionCall: { name: "Write", args: { file_path: path, content: "hello from ccp\n" } },
  });
  // Two parallel calls: like Gemini, only the first carries the signature.
  return [
    chunk([{ text: "I should write the file.", thought: true }], false),
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
  const parts = chunks(filePath, sawFunctionResponse(body), model);
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
