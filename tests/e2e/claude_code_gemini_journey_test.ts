/**
 * A Claude Code agent session through ccp on Gemini (`streamGenerateContent?alt=sse`, behind the
 * strict request check of tests/mocks/gemini_strict.ts), three `claude -p` runs in all:
 * 1. a thinking model writes notes (Write), then calls Bash and Read of a PNG in parallel, then
 *    reads the notes back (Read) and answers; every `thoughtSignature` returns on the part it
 *    came on, every function call is answered by a function response in call order, and the
 *    picture reaches the model as inline data;
 * 2. `--continue` of that session: the whole history, signatures included, goes back again;
 * 3. `--continue` again, and the answer breaks off with an error chunk mid-stream: ccp ends it
 *    with an error event (no retry of its own), and Claude Code keeps the part that arrived and
 *    asks for the rest in a next request, which the model answers.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, PNG_1X1, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type JourneyStep as Step, journeyStep } from "../helpers/journey_step.ts";
import { geminiRequestProblem } from "../mocks/gemini_strict.ts";
import { invalidArgument } from "../mocks/gemini_wire.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const MODEL = "gemini-3.8-flash";
const KEY = "e2e-gemini-journey-key";

/** Signatures the model puts on parts; each must come back on the same part. */
const SIG = {
  write: "V1JJVEUtam91cm5leS1zaWduYXR1cmU=",
  parallel: "UEFSQUxMRUwtam91cm5leS1zaWc=",
  read: "UkVBRC1qb3VybmV5LXNpZ25hdHVyZQ==",
  answer: "QU5TV0VSLWpvdXJuZXktc2lnbmF0dXJl",
  again: "QUdBSU4tam91cm5leS1zaWduYXR1cmU=",
} as const;

const OVERLOADED = "The model is overloaded. Please try again later.";

/** What the model does next, read from the request's last (user) content. */
function stepOf(contents: Obj[]): Step {
  const parts = (contents.at(-1)?.parts ?? []) as Obj[];
  const answered = parts.flatMap((p) =>
    p.functionResponse ? [(p.functionResponse as Obj).name] : []
  );
  return journeyStep(answered, parts.map((p) => typeof p.text === "string" ? p.text : "").join(""));
}

const thought = (text: string): Obj => ({ text, thought: true });
const call = (name: string, args: Obj, sig?: string): Obj => ({
  functionCall: { name, args },
  ...(sig ? { thoughtSignature: sig } : {}),
});

/** The parts of each answer, one array per streamed chunk. */
function answerOf(step: Step, notes: string, png: string): Obj[][] {
  switch (step) {
    case "write":
      return [
        [thought("Start the notes with alpha.")],
        [call("Write", { file_path: notes, content: "alpha\n" }, SIG.write)],
      ];
    case "parallel": {
      const command = `cat ${notes} && echo beta >> ${notes}`;
      // Like Gemini, only the first of parallel calls carries the signature.
      return [
        [thought("Check the notes and look at the picture.")],
        [call("Bash", { command, description: "Show and extend the notes" }, SIG.parallel)],
        [call("Read", { file_path: png })],
      ];
    }
    case "read":
      return [[call("Read", { file_path: notes }, SIG.read)]];
    case "answer":
      // Streaming, Gemini puts a text answer's signature on a last part with no text.
      return [[thought("All three came back.")], [{ text: "Journey " }], [{ text: "done." }], [{
        text: "",
        thoughtSignature: SIG.answer,
      }]];
    case "again":
      // A one-part answer after a thought: its signature is on the first text, kept for it.
      return [[thought("Once more.")], [{ text: "Again done.", thoughtSignature: SIG.again }]];
    case "fail":
      return [[{ text: "Partial ans" }]];
    case "resume":
      return [[{ text: "wer, resumed." }]];
  }
}

/** A streaming Gemini model for the journey; it keeps every request body. */
function startGeminiJourney(notes: string, png: string) {
  const bodies: Obj[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const action = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/.exec(url.pathname);
    if (!action || url.searchParams.get("alt") !== "sse") {
      return Response.json({ error: { code: 404, message: "Not found", status: "NOT_FOUND" } }, {
        status: 404,
      });
    }
    if (req.headers.get("x-goog-api-key") !== KEY) {
      return Response.json(
        { error: { code: 400, message: "API key not valid.", status: "INVALID_ARGUMENT" } },
        { status: 400 },
      );
    }
    const body = await req.json() as Obj;
    bodies.push(body);
    const model = decodeURIComponent(action[1]!);
    const problem = geminiRequestProblem(body, model);
    if (problem) return invalidArgument(problem);
    const step = stepOf(body.contents as Obj[]);
    const chunks = answerOf(step, notes, png);
    const frames = chunks.map((parts, i) => {
      const last = i === chunks.length - 1 && step !== "fail";
      return {
        candidates: [{
          content: { role: "model", parts },
          index: 0,
          ...(last ? { finishReason: "STOP" } : {}),
        }],
        usageMetadata: last
          ? { promptTokenCount: 900, candidatesTokenCount: 12, totalTokenCount: 912 }
          : { promptTokenCount: 900, totalTokenCount: 900 },
        modelVersion: model,
        responseId: `journey-${bodies.length}`,
      };
    });
    const sse = frames.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`);
    if (step === "fail") {
      // What Gemini sends when the model fails after the answer began: an error object where
      // the next response chunk would be, then the end of the stream.
      const error = { error: { code: 503, message: OVERLOADED, status: "UNAVAILABLE" } };
      sse.push(`data: ${JSON.stringify(error)}\r\n\r\n`);
    }
    return new Response(sse.join(""), { headers: { "content-type": "text/event-stream" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    close: () => server.shutdown(),
  };
}

const modelContents = (body: Obj) => (body.contents as Obj[]).filter((c) => c.role === "model");
const partsOf = (content: Obj | undefined) => (content?.parts ?? []) as Obj[];
const callsOf = (content: Obj | undefined) =>
  partsOf(content).filter((p) => p.functionCall).map((p) => ({
    name: (p.functionCall as Obj).name,
    sig: p.thoughtSignature,
  }));
const responsesOf = (content: Obj | undefined) =>
  partsOf(content).filter((p) => p.functionResponse).map((p) => p.functionResponse as Obj);

/**
 * The history of the first run as the upstream must see it in `body`: each model turn with its
 * calls and their signatures, each followed by the user turn that answers them in order.
 */
function checkHistory(body: Obj, turns: number): void {
  const contents = body.contents as Obj[];
  const expected = [
    [{ name: "Write", sig: SIG.write }],
    [{ name: "Bash", sig: SIG.parallel }, { name: "Read", sig: undefined }],
    [{ name: "Read", sig: SIG.read }],
  ].slice(0, turns);
  const withCalls = contents.flatMap((c, i) => c.role === "model" && callsOf(c).length ? [i] : []);
  assert.deepEqual(withCalls.map((i) => callsOf(contents[i])), expected, JSON.stringify(contents));
  for (const i of withCalls) {
    const names = callsOf(contents[i]).map((c) => c.name);
    const answer = contents[i + 1];
    assert.equal(answer?.role, "user");
    assert.deepEqual(responsesOf(answer).map((r) => r.name), names, JSON.stringify(answer));
  }
  if (turns >= 2) {
    const [bash, read] = responsesOf(contents[withCalls[1]! + 1]);
    assert.match(JSON.stringify(bash!.response), /alpha/, "Bash printed the notes");
    assert.ok(read, "the Read of the picture was answered");
    // The picture itself follows the function responses, as inline data.
    const inline = partsOf(contents[withCalls[1]! + 1]).find((p) => p.inlineData)
      ?.inlineData as Obj | undefined;
    assert.equal(inline?.mimeType, "image/png", JSON.stringify(contents[withCalls[1]! + 1]));
    assert.equal(inline?.data, PNG_1X1, "the picture's bytes reached the model");
  }
  if (turns >= 3) {
    const [read] = responsesOf(contents[withCalls[2]! + 1]);
    assert.match(JSON.stringify(read!.response), /alpha[\s\S]*beta/, "Read saw Bash's append");
  }
}

Deno.test({
  name: "real Claude Code on Gemini: Write, parallel Bash + Read of a PNG, Read, with thought " +
    "signatures back on their parts; then --continue; then an error chunk mid-stream",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-gemini-journey-");
    const notes = `${ws.work}/notes.txt`;
    const png = `${ws.work}/dot.png`;
    await Deno.writeFile(png, Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)));
    const model = startGeminiJourney(notes, png);
    await using stage = await claudeStage(
      ws,
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
    const { ccp } = stage;
    const first = await printJson(ws, ccp.url, ["-p", `JOURNEY-START: keep notes in ${notes}`]);
    assert.equal(first.is_error, false, JSON.stringify(first) + ccp.logs.join(""));
    assert.equal(first.result, "Journey done.");
    assert.equal(await Deno.readTextFile(notes), "alpha\nbeta\n");
    assert.equal(model.bodies.length, 4, "one request per model turn");
    model.bodies.forEach((body, i) => checkHistory(body, i));
    // Claude Code thinks, and in `-p` shows none of it (`display: "omitted"`): ccp asks Gemini
    // for its level of thinking but no thought summaries.
    const thinking = (model.bodies[0]!.generationConfig as Obj).thinkingConfig as Obj;
    assert.equal(thinking.thinkingLevel, "medium", JSON.stringify(thinking));
    assert.equal(thinking.includeThoughts, undefined, JSON.stringify(thinking));

    const again = await printJson(ws, ccp.url, ["-p", "--continue", "JOURNEY-AGAIN"]);
    assert.equal(again.is_error, false, JSON.stringify(again) + ccp.logs.join(""));
    assert.equal(again.result, "Again done.");
    assert.equal(model.bodies.length, 5);
    const resumed = model.bodies[4]!;
    checkHistory(resumed, 3);
    // The answer went back as its text, without the empty part that carried its signature:
    // Gemini only asks for it back "for best performance" (no error without it), and the one
    // block that could carry it, a thinking block after the text, would be the message's last
    // block, which Claude Code takes as the answer (`claude -p` then prints nothing).
    assert.deepEqual(modelContents(resumed).at(-1), {
      role: "model",
      parts: [{ text: "Journey done." }],
    });

    const failed = await printJson(ws, ccp.url, ["-p", "--continue", "JOURNEY-FAIL"]);
    // Claude Code keeps what arrived before the error and asks for the rest, once.
    assert.equal(failed.is_error, false, JSON.stringify(failed));
    assert.equal(failed.result, "wer, resumed.");
    assert.equal(model.bodies.length, 7, "the failed answer was asked for once, then resumed");
    for (const body of model.bodies.slice(5)) {
      checkHistory(body, 3);
      // The signature on the first text of the answer to JOURNEY-AGAIN came back on it.
      const answered = modelContents(body).find((c) => partsOf(c)[0]?.text === "Again done.");
      assert.deepEqual(answered?.parts, [{ text: "Again done.", thoughtSignature: SIG.again }]);
    }
    const resume = (model.bodies[6]!.contents as Obj[]).slice(-2);
    assert.deepEqual(resume[0], { role: "model", parts: [{ text: "Partial ans" }] });
    assert.match(JSON.stringify(resume[1]), /cut off mid-stream/);
    assert.match(
      ccp.logs.join(""),
      /reported an error mid-stream: UNAVAILABLE: The model is overloaded/,
    );
    assert.ok(ccp.logs.every((l) => !l.includes(KEY)), "upstream key never logged");
  },
});
