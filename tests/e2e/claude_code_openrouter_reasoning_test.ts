/**
 * Claude Code on a Gemini 3 model through OpenRouter's Chat Completions API (the `open_router`
 * preset with `type: openai`), with the real `claude -p`, then `--continue`: the model reasons
 * and calls Bash twice in parallel each turn. OpenRouter streams the reasoning as `reasoning`
 * text with `reasoning_details` items, the call's thought signature among them as a
 * `reasoning.encrypted` item keyed by the first call's id, and wants those items back unchanged
 * on the tool-call turn: without them Gemini refuses the turn, and OpenRouter relays its 400
 * ("Provider returned error", Gemini's words in `metadata.raw`). The mock refuses as OpenRouter
 * does, and the user sees both commands run and the answers. Skipped when `claude` is not
 * installed.
 */

import assert from "node:assert/strict";
import { findClaude } from "../helpers/claude.ts";
import { claudeStage, printJson } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { chatHistoryProblem } from "../helpers/chat_history.ts";
import { chatChunk, chatStreamAnswer } from "../mocks/openai_mock.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

const FORMAT = "google-gemini-v1";
const PROMPTS = ["run both", "again"];

const chunk = (delta: Obj, finish: string | null = null) => chatChunk(delta, finish, "gen-1");
const reasoning = (text: string): Obj => ({
  reasoning: text,
  reasoning_details: [{ type: "reasoning.text", text, format: FORMAT, index: 0 }],
});

/** The signature OpenRouter hands out for the `n`th answer's calls. */
const signatureOf = (n: number) => btoa(`gemini-thought-${n}`);

/** What OpenRouter relays of Gemini's refusal of `messages`, or undefined. */
function refusal(messages: Obj[], issued: Map<string, string>): string | undefined {
  const problem = chatHistoryProblem(messages);
  if (problem) return problem;
  for (const m of messages.filter((m) => (m.tool_calls as Obj[] | undefined)?.length)) {
    const first = (m.tool_calls as Obj[])[0]!.id as string;
    const details = (m.reasoning_details ?? []) as Obj[];
    const sig = details.find((d) => d.type === "reasoning.encrypted" && d.id === first);
    if (!sig || sig.data !== issued.get(first) || sig.format !== FORMAT) {
      return "Function call is missing a thought_signature in functionCall parts. This is " +
        "required for tools to work correctly";
    }
  }
  return undefined;
}

function startOpenRouter() {
  const bodies: Obj[] = [];
  const refusals: string[] = [];
  const issued = new Map<string, string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json() as Obj;
    bodies.push(body);
    const n = bodies.length;
    const messages = body.messages as Obj[];
    const raw = refusal(messages, issued);
    if (raw) {
      refusals.push(raw);
      const metadata = { raw, provider_name: "Google AI Studio" };
      const error = { message: "Provider returned error", code: 400, metadata };
      return Response.json({ error, user_id: "user_2abc" }, { status: 400 });
    }
    const prompt = messages.findLastIndex((m) =>
      m.role === "user" && PROMPTS.some((p) => JSON.stringify(m.content).includes(p))
    );
    const parts = [chunk({ role: "assistant", content: "" })];
    if (messages.slice(prompt + 1).some((m) => m.role === "tool")) {
      const results = messages.slice(prompt + 1).filter((m) => m.role === "tool");
      parts.push(chunk(reasoning("Both ran.")));
      parts.push(chunk({ content: `saw ${results.map((r) => r.content).sort().join(" ")}` }));
      parts.push(chunk({}, "stop"));
    } else {
      parts.push(chunk(reasoning("Two commands at once.")));
      for (const [index, word] of ["one", "two"].entries()) {
        const id = `tool_Bash_${word}${n}`;
        const args = JSON.stringify({ command: `echo ${word}`, description: word });
        const delta: Obj = {
          tool_calls: [{
            index,
            id,
            type: "function",
            function: { name: "Bash", arguments: args },
          }],
        };
        if (index === 0) {
          issued.set(id, signatureOf(n));
          delta.reasoning_details = [
            { type: "reasoning.encrypted", data: signatureOf(n), id, format: FORMAT, index: 1 },
          ];
        }
        parts.push(chunk(delta));
      }
      parts.push(chunk({}, "tool_calls"));
    }
    return chatStreamAnswer(parts, { prompt_tokens: 1500, completion_tokens: 40, cost: 0.001 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/api/v1`,
    bodies,
    refusals,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name: "real Claude Code on Gemini 3 through OpenRouter's Chat API: parallel Bash calls, " +
    "reasoning_details back unchanged on every tool-call turn, then --continue",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const openRouter = startOpenRouter();
    await using stage = await claudeStage(
      "ccp-openrouter-reasoning-",
      testConfig({
        providers: [
          provider("or", {
            preset: "open_router",
            type: "openai",
            baseUrl: openRouter.url,
            authHeader: "bearer",
            apiKeys: ["sk-or-v1-test"],
            maxRetries: 0,
          }),
        ],
        routes: { default: "or/google/gemini-3-pro-preview" },
        authToken: "e2e-token",
      }),
      { mocks: [openRouter], guarded: true },
    );
    const { ws, ccp } = stage;
    for (const prompt of PROMPTS) {
      const args = prompt === PROMPTS[0] ? ["-p", prompt] : ["-p", "--continue", prompt];
      const out = await printJson(ws, ccp.url, args, { ms: 40_000, tools: ["Bash"] });
      const why = JSON.stringify(out) + openRouter.refusals.join("\n");
      assert.equal(out.is_error, false, why);
      assert.equal(out.result, "saw one two", why);
    }
    assert.deepEqual(openRouter.refusals, []);
    assert.equal(openRouter.bodies.length, 4, "one request per model turn");
    // The last request holds both tool-call turns, each with the reasoning it came with.
    const last = openRouter.bodies[3]!.messages as Obj[];
    const turns = last.filter((m) => m.tool_calls);
    assert.equal(turns.length, 2);
    for (const [k, turn] of turns.entries()) {
      const n = k === 0 ? 1 : 3;
      assert.equal(turn.reasoning, "Two commands at once.");
      assert.deepEqual(turn.reasoning_details, [
        { type: "reasoning.text", text: "Two commands at once.", format: FORMAT, index: 0 },
        {
          type: "reasoning.encrypted",
          data: signatureOf(n),
          id: `tool_Bash_one${n}`,
          format: FORMAT,
          index: 1,
        },
      ]);
      assert.deepEqual((turn.tool_calls as Obj[]).map((c) => c.id), [
        `tool_Bash_one${n}`,
        `tool_Bash_two${n}`,
      ]);
    }
    assert.ok(!JSON.stringify(openRouter.bodies).includes("ccp:v1:"), "ccp's signature leaked");
  },
});
