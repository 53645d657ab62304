/**
 * What real Claude Code shows when Gemini withholds an answer. A recitation (output too close to
 * a published source) is no policy refusal: Claude Code prints ccp's note saying what happened and
 * the session goes on (`--continue` is answered). A safety stop stays a refusal, which Claude Code
 * counts as a safety stop. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";
import { invalidArgument } from "../mocks/gemini_wire.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const MODEL = "gemini-3.8-flash";
const KEY = "e2e-gemini-recitation-key";

/** The last chunk of each answer, as Gemini ends it, by the words of the last user turn. */
function endOf(text: string): Obj {
  if (text.includes("RECITE")) {
    return {
      content: { role: "model", parts: [] },
      finishReason: "RECITATION",
      index: 0,
      citationMetadata: {
        citationSources: [{ startIndex: 10, endIndex: 400, uri: "https://example.org/list.c" }],
      },
    };
  }
  if (text.includes("HARM")) {
    return {
      content: { role: "model", parts: [] },
      finishReason: "SAFETY",
      index: 0,
      safetyRatings: [
        { category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true },
      ],
    };
  }
  return { content: { role: "model", parts: [{ text: " still here." }] }, finishReason: "STOP" };
}

function startGemini() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const action = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/.exec(
      new URL(req.url).pathname,
    );
    if (!action || req.headers.get("x-goog-api-key") !== KEY) {
      return Response.json({ error: { code: 404, message: "Not found", status: "NOT_FOUND" } }, {
        status: 404,
      });
    }
    const body = await req.json() as Obj;
    const problem = geminiRequestProblem(body, decodeURIComponent(action[1]!));
    if (problem) return invalidArgument(problem);
    const last = (body.contents as Obj[]).at(-1)?.parts as Obj[] | undefined;
    const text = (last ?? []).map((p) => typeof p.text === "string" ? p.text : "").join("");
    const frames = [
      { candidates: [{ content: { role: "model", parts: [{ text: "Here it is:" }] }, index: 0 }] },
      {
        candidates: [endOf(text)],
        usageMetadata: { promptTokenCount: 500, candidatesTokenCount: 4, totalTokenCount: 504 },
        modelVersion: MODEL,
      },
    ];
    const sse = frames.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join("");
    return new Response(sse, { headers: { "content-type": "text/event-stream" } });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test({
  name: "real Claude Code on Gemini: a recitation shows what happened and the session goes on; " +
    "a safety stop is a refusal",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const model = startGemini();
    await using stage = await claudeStage(
      "ccp-gemini-recitation-",
      testConfig({
        providers: [
          provider("gem", {
            type: "gemini",
            baseUrl: model.url,
            authHeader: "x-goog-api-key",
            apiKeys: [KEY],
            maxRetries: 0,
          }),
        ],
        routes: { default: `gem/${MODEL}` },
        authToken: "e2e-token",
      }),
      { mocks: [model], guarded: true },
    );
    const { ws, ccp } = stage;
    const recited = await printJson(ws, ccp.url, ["-p", "RECITE the list code"]);
    assert.equal(recited.is_error, false, JSON.stringify(recited));
    assert.match(String(recited.result), /matched existing text or code/);
    assert.match(String(recited.result), /finishReason RECITATION/);
    assert.doesNotMatch(String(recited.result), /can't help|legal\/aup/);
    assert.equal(recited.safety_stops ?? 0, 0, "Claude Code saw no safety stop");

    const next = await printJson(ws, ccp.url, ["-p", "--continue", "Are you there?"]);
    assert.equal(next.is_error, false, JSON.stringify(next));
    assert.equal(next.result, "Here it is: still here.");

    // A refusal is a safety stop to Claude Code (it then tries the request again on its own).
    const refused = await printJson(ws, ccp.url, ["-p", "HARM please"]);
    assert.equal(refused.safety_stops, 1, JSON.stringify(refused));
    assert.ok(ccp.logs.every((l) => !l.includes(KEY)), "upstream key never logged");
  },
});
