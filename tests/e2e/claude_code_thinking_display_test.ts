/**
 * `thinking.display` on the Responses and Gemini paths, with the real Claude Code. In `-p` with
 * text or JSON output it asks for `display: "omitted"` and shows no thinking; stream-json asks for
 * `"updates"` and prints it. On these two paths the reasoning goes back to the model in the
 * thinking block's signature alone (the encrypted reasoning, the call's thought signature), never
 * as its text. So an omitted display asks the upstream for no summaries (Responses
 * `reasoning.summary`, Gemini `includeThoughts`) and the block comes with an empty text and its
 * signature, as Anthropic sends it; the next turn still carries what the model needs. Skipped when
 * `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace } from "../helpers/claude_print.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startScriptedModel } from "../mocks/scripted_model.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;
type Wire = "openai_responses" | "gemini";

const THOUGHT = /Writing the file\.|I should write the file\./;

function target(wire: Wire, url: string) {
  return wire === "gemini"
    ? {
      up: provider("up", {
        type: wire,
        baseUrl: url,
        authHeader: "x-goog-api-key",
        apiKeys: ["e2e-gemini-key"],
      }),
      model: "gemini-3.8-flash",
    }
    : {
      up: provider("up", { type: wire, baseUrl: `${url}/v1`, authHeader: "bearer" }),
      model: "m",
    };
}

/** What the first request asked of the model's thoughts: the summary setting, or includeThoughts. */
function askedThoughts(wire: Wire, body: Obj): unknown {
  if (wire === "openai_responses") return (body.reasoning as Obj | undefined)?.summary;
  const config = (body.generationConfig as Obj).thinkingConfig as Obj | undefined;
  return config?.includeThoughts;
}

/** Whether the request carries the model's reasoning back as its wire needs it. */
function carriesReasoning(wire: Wire, body: Obj): boolean {
  const text = JSON.stringify(body);
  return wire === "openai_responses"
    ? text.includes("gAAAA-scripted")
    : /thoughtSignature/.test(text);
}

async function transcriptOf(home: string): Promise<string> {
  let text = "";
  for await (const dir of Deno.readDir(`${home}/.claude/projects`)) {
    for await (const file of Deno.readDir(`${home}/.claude/projects/${dir.name}`)) {
      if (file.name.endsWith(".jsonl")) {
        text += await Deno.readTextFile(`${home}/.claude/projects/${dir.name}/${file.name}`);
      }
    }
  }
  return text;
}

for (const wire of ["openai_responses", "gemini"] as const) {
  for (const output of ["json", "stream-json"] as const) {
    Deno.test({
      name: `real Claude Code on ${wire}, --output-format ${output}: thought summaries only ` +
        "when it shows them, and the reasoning goes back either way",
      ignore: claude === undefined,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        await using ws = await claudeWorkspace("ccp-display-");
        const file = `${ws.work}/out.txt`;
        const model = startScriptedModel(file);
        const { up, model: name } = target(wire, model.url);
        await using stage = await claudeStage(
          ws,
          testConfig({
            providers: [up],
            routes: { default: `up/${name}` },
          }),
          { mocks: [model], guarded: true },
        );
        const { ccp } = stage;
        const flags = output === "json" ? ["--output-format", "json"] : [...STREAM_JSON];
        const run = await runClaude(
          [
            "-p",
            "write the file",
            ...flags,
            "--permission-mode",
            "acceptEdits",
            "--allowedTools",
            "Write",
          ],
          ws.work,
          claudeEnv(ws.home, ccp.url),
          90_000,
        );
        const printed = new TextDecoder().decode(run.stdout);
        assert.equal(run.code, 0, printed + new TextDecoder().decode(run.stderr));
        assert.match(printed, /Done: wrote the file\./);
        assert.equal(await Deno.readTextFile(file), "hello from ccp\n");
        const first = model.bodies[0]!;
        const shown = output === "stream-json";
        assert.equal(
          askedThoughts(wire, first),
          shown ? (wire === "gemini" ? true : "auto") : undefined,
        );
        // The thought text reaches what Claude Code prints and keeps only when it shows it.
        assert.equal(THOUGHT.test(printed), shown);
        assert.equal(THOUGHT.test(await transcriptOf(ws.home)), shown);
        // The turn after the call gave the model its reasoning back all the same.
        assert.ok(carriesReasoning(wire, model.bodies.at(-1)!), JSON.stringify(model.bodies));
      },
    });
  }
}
