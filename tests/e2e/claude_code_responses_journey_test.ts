/**
 * A Claude Code agent session through ccp on OpenAI's Responses API (tests/mocks/responses_mock.ts,
 * which refuses what the API refuses: unknown parameters, reasoning items sent back by id with
 * `store: false`, outputs of calls it never saw), three `claude -p` runs in all:
 * 1. a reasoning model writes notes (Write), then calls Bash and Read of a PNG in parallel, then
 *    reads the notes back (Read) and answers; each reasoning item's `encrypted_content` comes
 *    back before the calls it led to, every call's output comes back under its `call_id`, and the
 *    picture reaches the model as an `input_image`;
 * 2. `--continue` of that session: the whole history, reasoning included, goes back again;
 * 3. `--continue` again, and the answer fails mid-stream (`response.failed` after some text): ccp
 *    ends the answer with an error event (no retry of its own), and Claude Code keeps the part that
 *    arrived and asks for the rest in a next request, which the model answers.
 * Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, PNG_1X1, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type JourneyStep as Step, journeyStep } from "../helpers/journey_step.ts";
import { startResponsesMock } from "../mocks/responses_mock.ts";
import type { ResponsesScript } from "../mocks/responses_wire.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const MODEL = "gpt-5.3-codex";
const KEY = "sk-e2e-responses-journey";

/** The encrypted reasoning of each turn that reasons; each must come back unchanged. */
const ENC = {
  write: "gAAAAB-journey-write",
  parallel: "gAAAAB-journey-parallel",
  answer: "gAAAAB-journey-answer",
  again: "gAAAAB-journey-again",
} as const;

const SERVER_ERROR = "The server had an error processing your request. Sorry about that!";

/** The name of each call in `input`, by call_id. */
function callNames(input: Obj[]): Map<string, string> {
  return new Map(
    input.filter((i) => i.type === "function_call").map((i) => [String(i.call_id), String(i.name)]),
  );
}

/**
 * The outputs at the end of `input`, oldest first; messages after them (the picture, Claude
 * Code's notes) are skipped.
 */
function lastOutputs(input: Obj[]): Obj[] {
  const out: Obj[] = [];
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i]!;
    if (item.type === "function_call_output") out.unshift(item);
    else if (out.length > 0 || item.type !== "message") break;
  }
  return out;
}

const textOf = (item: Obj | undefined) =>
  ((item?.content ?? []) as Obj[]).map((c) => typeof c.text === "string" ? c.text : "").join("");

function stepOf(input: Obj[]): Step {
  const names = callNames(input);
  const answered = lastOutputs(input).map((o) => names.get(String(o.call_id)));
  // Claude Code's system message follows its first prompt, as a developer message.
  return journeyStep(
    answered,
    textOf(input.findLast((i) => i.type === "message" && i.role === "user")),
  );
}

/** What the model answers at `step`. */
function scriptOf(step: Step, notes: string, png: string): ResponsesScript {
  const args = (value: Obj) => JSON.stringify(value);
  const reasoning = (summary: string, encrypted: string) => ({
    kind: "reasoning" as const,
    summary: [summary],
    encrypted,
  });
  // Like the API's, every call_id is new: Claude Code drops a call whose id it has seen before.
  const call = (name: string, value: Obj) => ({
    kind: "call" as const,
    name,
    args: args(value),
    callId: `call_${step}_${name}`,
  });
  switch (step) {
    case "write":
      return {
        items: [
          reasoning("Start the notes with alpha.", ENC.write),
          call("Write", { file_path: notes, content: "alpha\n" }),
        ],
        usage: { input: 900, output: 40, reasoning: 12 },
      };
    case "parallel": {
      const command = `cat ${notes} && echo beta >> ${notes}`;
      return {
        items: [
          reasoning("Check the notes and look at the picture.", ENC.parallel),
          call("Bash", { command, description: "Show the notes" }),
          call("Read", { file_path: png }),
        ],
      };
    }
    case "read":
      return { items: [call("Read", { file_path: notes })] };
    case "answer":
      return {
        items: [reasoning("All three came back.", ENC.answer), {
          kind: "text",
          text: "Journey done.",
        }],
      };
    case "again":
      return {
        items: [reasoning("Once more.", ENC.again), { kind: "text", text: "Again done." }],
      };
    case "fail":
      return {
        items: [{ kind: "text", text: "Partial ans" }],
        end: { status: "failed", code: "server_error", message: SERVER_ERROR },
      };
    case "resume":
      return { items: [{ kind: "text", text: "wer, resumed." }] };
  }
}

/** Each call's name and the encrypted reasoning items sent just before it, in order. */
function turnsOf(input: Obj[]): Array<{ reasoning: string[]; calls: string[] }> {
  const turns: Array<{ reasoning: string[]; calls: string[] }> = [];
  let reasoning: string[] = [];
  let open: { reasoning: string[]; calls: string[] } | undefined;
  for (const item of input) {
    if (item.type === "reasoning") {
      reasoning.push(String(item.encrypted_content));
      open = undefined;
    } else if (item.type === "function_call") {
      if (!open) turns.push(open = { reasoning, calls: [] });
      open.calls.push(String(item.name));
      reasoning = [];
    } else open = undefined;
  }
  return turns;
}

/** The first run's history as the upstream must see it in `body`, after `turns` call turns. */
function checkHistory(body: Obj, turns: number): void {
  const input = body.input as Obj[];
  assert.equal(body.store, false);
  assert.deepEqual(body.include, ["reasoning.encrypted_content"], "Claude Code thinks");
  assert.deepEqual(
    turnsOf(input),
    [
      { reasoning: [ENC.write], calls: ["Write"] },
      { reasoning: [ENC.parallel], calls: ["Bash", "Read"] },
      { reasoning: [], calls: ["Read"] },
    ].slice(0, turns),
    JSON.stringify(input),
  );
  for (const item of input.filter((i) => i.type === "reasoning")) {
    assert.equal(item.id, undefined, "reasoning goes back without its id");
    assert.ok(Array.isArray(item.summary));
  }
  // Every call is answered, right after its turn, in call order.
  const calls = input.filter((i) => i.type === "function_call").map((i) => i.call_id);
  const outputs = input.filter((i) => i.type === "function_call_output").map((i) => i.call_id);
  assert.deepEqual(outputs, calls);
  if (turns >= 2) {
    const names = callNames(input);
    const output = (name: string, nth = 0) =>
      input.filter((i) =>
        i.type === "function_call_output" && names.get(String(i.call_id)) === name
      )[nth]!.output;
    assert.match(String(output("Bash")), /alpha/, "Bash printed the notes");
    assert.match(String(output("Read")), /image output follows/);
    const picture = input.flatMap((i) => i.type === "message" ? (i.content as Obj[]) : [])
      .find((c) => c.type === "input_image");
    assert.equal(picture?.image_url, `data:image/png;base64,${PNG_1X1}`);
    if (turns >= 3) assert.match(String(output("Read", 1)), /alpha[\s\S]*beta/);
  }
}

/** The answer `text` in `input` comes right after its reasoning, `encrypted`. */
function assertReasoningBefore(input: Obj[], text: string, encrypted: string): void {
  const at = input.findIndex((i) => i.role === "assistant" && textOf(i) === text);
  assert.ok(at > 0, JSON.stringify(input));
  const before = input[at - 1]!;
  assert.deepEqual({ type: before.type, encrypted: before.encrypted_content }, {
    type: "reasoning",
    encrypted,
  });
}

Deno.test({
  name: "real Claude Code on the Responses API: Write, parallel Bash + Read of a PNG, Read, with " +
    "encrypted reasoning back; then --continue; then response.failed mid-stream",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using ws = await claudeWorkspace("ccp-responses-journey-");
    const notes = `${ws.work}/notes.txt`;
    const png = `${ws.work}/dot.png`;
    await Deno.writeFile(png, Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0)));
    const model = startResponsesMock(
      (body) => scriptOf(stepOf(body.input as Obj[]), notes, png),
      { key: KEY },
    );
    const bodies = () => model.requests.map((r) => r.body);
    await using stage = await claudeStage(
      ws,
      testConfig({
        providers: [
          provider("oai", {
            type: "openai_responses",
            baseUrl: model.url,
            authHeader: "bearer",
            apiKeys: [KEY],
            maxRetries: 0,
          }),
        ],
        routes: { default: `oai/${MODEL}` },
        authToken: "e2e-token",
      }),
      { mocks: [model], guarded: true },
    );
    const { ccp } = stage;
    const first = await printJson(ws, ccp.url, ["-p", `JOURNEY-START: keep notes in ${notes}`]);
    assert.equal(first.is_error, false, JSON.stringify(first) + ccp.logs.join(""));
    assert.equal(first.result, "Journey done.");
    assert.equal(await Deno.readTextFile(notes), "alpha\nbeta\n");
    assert.equal(bodies().length, 4, "one request per model turn");
    bodies().forEach((body, i) => checkHistory(body, i));

    const again = await printJson(ws, ccp.url, ["-p", "--continue", "JOURNEY-AGAIN"]);
    assert.equal(again.is_error, false, JSON.stringify(again) + ccp.logs.join(""));
    assert.equal(again.result, "Again done.");
    assert.equal(bodies().length, 5);
    const resumed = bodies()[4]!.input as Obj[];
    checkHistory(bodies()[4]!, 3);
    // The answer's reasoning came back before the answer's text.
    assertReasoningBefore(resumed, "Journey done.", ENC.answer);

    const failed = await printJson(ws, ccp.url, ["-p", "--continue", "JOURNEY-FAIL"]);
    // Claude Code keeps what arrived before the failure and asks for the rest, once.
    assert.equal(failed.is_error, false, JSON.stringify(failed) + ccp.logs.join(""));
    assert.equal(failed.result, "wer, resumed.");
    assert.equal(bodies().length, 7, "the failed answer was asked for once, then resumed");
    for (const body of bodies().slice(5)) {
      checkHistory(body, 3);
      assertReasoningBefore(body.input as Obj[], "Journey done.", ENC.answer);
      assertReasoningBefore(body.input as Obj[], "Again done.", ENC.again);
    }
    const resume = (bodies()[6]!.input as Obj[]).slice(-2);
    assert.equal(resume[0]!.role, "assistant");
    assert.equal(textOf(resume[0]), "Partial ans");
    assert.match(textOf(resume[1]), /cut off mid-stream/);
    assert.match(ccp.logs.join(""), /failed: The server had an error/);
    assert.ok(ccp.logs.every((l) => !l.includes(KEY)), "upstream key never logged");
  },
});
