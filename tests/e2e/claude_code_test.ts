/**
 * Drives the real Claude Code CLI (`claude -p`) through ccp against a scripted upstream, once per
 * wire protocol. Skipped when `claude` is not installed (npm i -g @anthropic-ai/claude-code).
 * The Gemini upstream refuses what the real Gemini API refuses, so Claude Code's real tool
 * schemas check ccp's schema cleaning.
 */

import assert from "node:assert/strict";
import { startScriptedModel } from "../mocks/scripted_model.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { countRequestTokensAsync } from "../../src/tokens/mod.ts";
import type { ProviderConfig } from "../../src/config/types.ts";
import { SCRIPTED_SIGNATURE, SEARCH_SIGNATURE } from "../mocks/gemini_wire.ts";
import { schemaProblem } from "../mocks/gemini_strict.ts";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace } from "../helpers/claude_print.ts";

const claude = await findClaude();

type Wire = "anthropic" | "openai" | "openai_responses" | "gemini";

const GEMINI_MODEL = "gemini-3.8-flash";
const GEMINI_KEY = "e2e-gemini-key";

function upstream(type: Wire, url: string): { provider: ProviderConfig; model: string } {
  if (type === "gemini") {
    return {
      provider: provider("up", {
        type,
        baseUrl: url,
        authHeader: "x-goog-api-key",
        apiKeys: [GEMINI_KEY],
      }),
      model: GEMINI_MODEL,
    };
  }
  return {
    provider: provider("up", {
      type,
      baseUrl: type === "anthropic" ? url : `${url}/v1`,
      authHeader: "bearer",
    }),
    model: "scripted-model",
  };
}

type Obj = Record<string, unknown>;

/** Gemini-only checks of what the upstream received; `tools` must all be declared. */
function checkGeminiBodies(bodies: Obj[], tools: readonly string[]): void {
  for (const body of bodies) {
    const declarations = (body.tools as Obj[]).flatMap((t) => t.functionDeclarations as Obj[]);
    const names = declarations.map((d) => d.name);
    // Claude Code's own tools, with their real JSON Schemas, all reached the upstream.
    for (const name of tools) {
      assert.ok(names.includes(name), `${name} not declared: ${names.join(", ")}`);
    }
    for (const d of declarations) {
      const problem = d.parameters === undefined
        ? undefined
        : schemaProblem(d.parameters, `${d.name}.parameters`);
      assert.equal(problem, undefined, JSON.stringify(d.parameters));
    }
    // Claude Code's system prompt (and its mid-conversation system message) went to
    // systemInstruction, never into contents; its per-request billing line went nowhere.
    const system = ((body.systemInstruction as Obj).parts as Obj[]).map((p) => p.text).join("");
    assert.ok(system.length > 1000, system);
    const texts = (body.contents as Obj[]).flatMap((c) => c.parts as Obj[])
      .map((p) => typeof p.text === "string" ? p.text : "");
    const opening = system.slice(0, 200);
    assert.ok(texts.every((t) => !t.includes(opening)), "system prompt copied into contents");
    assert.ok(!JSON.stringify(body).includes("x-anthropic-billing-header"));
  }
  // The first parallel call's thoughtSignature came back unchanged, on the call's own part;
  // the second call had none and got none.
  const writes = modelCalls(bodies.at(-1)!).filter((p) => (p.functionCall as Obj).name === "Write");
  assert.deepEqual(writes.map((p) => p.thoughtSignature), [SCRIPTED_SIGNATURE, undefined]);
}

function modelCalls(body: Obj): Obj[] {
  return (body.contents as Obj[]).filter((c) => c.role === "model")
    .flatMap((c) => c.parts as Obj[]).filter((p) => p.functionCall);
}

const declared = (body: Obj) =>
  (body.tools as Obj[]).flatMap((t) => t.functionDeclarations as Obj[]).map((d) => d.name);

/**
 * Tools deferred behind ToolSearch: the scripted model first loads WebFetch through it, and
 * the next request declares WebFetch (Claude Code sends it with `defer_loading`).
 */
function checkToolSearch(bodies: Obj[]): void {
  const [first, second] = bodies as [Obj, Obj];
  assert.ok(declared(first).includes("ToolSearch"), declared(first).join(", "));
  assert.ok(!declared(first).includes("WebFetch"), "deferred WebFetch offered before loading");
  assert.ok(!declared(first).includes("DeferredToolPlaceholder"));
  assert.ok(declared(second).includes("WebFetch"), declared(second).join(", "));
  const search = modelCalls(second).find((p) => (p.functionCall as Obj).name === "ToolSearch");
  assert.equal(search?.thoughtSignature, SEARCH_SIGNATURE, JSON.stringify(modelCalls(second)));
  const answer = ((second.contents as Obj[]).at(-1)!.parts as Obj[])[0]!.functionResponse as Obj;
  assert.equal(answer.name, "ToolSearch");
  assert.match(JSON.stringify(answer.response), /WebFetch/);
}

/** One run per wire; Gemini twice: tools deferred behind ToolSearch (the default), and all up front. */
const RUNS: ReadonlyArray<{ type: Wire; allTools?: boolean }> = [
  { type: "anthropic" },
  { type: "openai" },
  { type: "openai_responses" },
  { type: "gemini" },
  { type: "gemini", allTools: true },
];

/** Tools the Gemini upstream must see declared: deferred ones only when sent up front. */
const CORE_TOOLS = ["Bash", "Edit", "Write", "Read", "Agent"];
const DEFERRED_TOOLS = ["WebFetch", "WebSearch", "NotebookEdit"];

for (const { type, allTools } of RUNS) {
  Deno.test({
    name: `real Claude Code writes a file through ccp (${type} upstream${
      allTools ? ", every tool up front" : ""
    })`,
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await using ws = await claudeWorkspace("ccp-e2e-");
      const { work, home } = ws;
      const target = `${work}/hello.txt`;
      const model = startScriptedModel(target);
      const up = upstream(type, model.url);
      // Bound as `ccp serve` binds it: Claude Code's requests pass the connection guard.
      await using stage = await claudeStage(
        ws,
        testConfig({
          providers: [up.provider],
          routes: { default: `up/${up.model}` },
          authToken: "e2e-token",
        }),
        {
          mocks: [model],
          guarded: true,
          over: { countTokens: (body) => countRequestTokensAsync(body) },
        },
      );
      const { ccp } = stage;
      const env = {
        ...claudeEnv(home, ccp.url),
        // Every tool up front (none deferred behind ToolSearch): all of Claude Code's real
        // schemas go through the Gemini schema cleaning.
        ...(allTools ? { ENABLE_TOOL_SEARCH: "false" } : {}),
      };
      const out = await runClaude(
        [
          "-p",
          `Write "hello from ccp" into ${target}`,
          ...STREAM_JSON,
          "--permission-mode",
          "acceptEdits",
          "--allowedTools",
          "Bash",
          "Write",
          "Edit",
          "Read",
        ],
        work,
        env,
        90_000,
      );
      const stdout = new TextDecoder().decode(out.stdout);
      const result = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((e) =>
        e.type === "result"
      );
      assert.ok(
        result,
        `no result line:\n${stdout}\n${new TextDecoder().decode(out.stderr)}\n${ccp.logs.join("")}`,
      );
      assert.equal(result.is_error, false, JSON.stringify(result));
      assert.equal(result.result, "Done: wrote the file.");
      assert.equal(await Deno.readTextFile(target), "hello from ccp\n");
      const searching = type === "gemini" && !allTools;
      assert.equal(model.bodies.length, searching ? 3 : 2, "one upstream request per agent turn");
      if (type === "openai_responses") {
        // Claude Code sent the thinking block back; its signature carried the encrypted reasoning.
        const input = model.bodies[1]!.input as Array<Record<string, unknown>>;
        const reasoning = input.find((item) => item.type === "reasoning");
        assert.equal(reasoning?.encrypted_content, "gAAAA-scripted", JSON.stringify(input));
      }
      if (type === "gemini") {
        assert.equal(await Deno.readTextFile(`${target}.copy`), "hello from ccp\n");
        checkGeminiBodies(
          model.bodies,
          allTools ? [...CORE_TOOLS, ...DEFERRED_TOOLS] : CORE_TOOLS,
        );
        if (searching) checkToolSearch(model.bodies);
      }
      assert.ok(ccp.logs.every((l) => !l.includes("e2e-token")), "token never logged");
      assert.ok(ccp.logs.every((l) => !l.includes(GEMINI_KEY)), "upstream key never logged");
    },
  });
}
