/**
 * A Jupyter notebook edited through ccp with the real `claude -p --output-format json
 * --json-schema …`, on Gemini (behind the strict request check of tests/mocks/gemini_strict.ts)
 * and on a thinking Chat model with DeepSeek's rules: the model reads the `.ipynb` (Claude Code
 * hands it the cells, the printed output and the plotted picture), loads the deferred NotebookEdit
 * tool with ToolSearch, replaces a code cell by its id, and ends with the StructuredOutput call
 * that becomes the result's `structured_output`. Every request is one the provider accepts
 * (NotebookEdit's schema included), the picture reaches Gemini as an image and the Chat model
 * (no vision) as a note, and the notebook on disk holds the new source. Skipped when `claude` is
 * not installed.
 */

import assert from "node:assert/strict";
import { claudeEnv, findClaude, runClaude } from "../helpers/claude.ts";
import { claudeStage, claudeWorkspace, PNG_1X1 } from "../helpers/claude_print.ts";
import { startAgentModel, type View, WIRES } from "../mocks/two_wire_agent.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** A notebook of a markdown cell and a code cell that printed 42 and drew a picture. */
const NOTEBOOK = {
  cells: [
    { cell_type: "markdown", id: "intro", metadata: {}, source: ["# Analysis\n"] },
    {
      cell_type: "code",
      id: "calc",
      execution_count: 1,
      metadata: {},
      source: ["print(6 * 7)\n"],
      outputs: [
        { output_type: "stream", name: "stdout", text: ["42\n"] },
        {
          output_type: "display_data",
          data: { "image/png": PNG_1X1, "text/plain": ["<Figure>"] },
          metadata: {},
        },
      ],
    },
  ],
  metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
  nbformat: 4,
  nbformat_minor: 5,
};

/** What the structured answer must hold. */
const SCHEMA = {
  type: "object",
  properties: { cell: { type: "string" }, old: { type: "integer" } },
  required: ["cell", "old"],
  additionalProperties: false,
};

/** Read the notebook, load NotebookEdit, replace the code cell, report in the schema's shape. */
function script(path: string) {
  return (view: View) => {
    const steps = [
      { name: "Read", args: { file_path: path } },
      { name: "ToolSearch", args: { query: "select:NotebookEdit", max_results: 1 } },
      {
        name: "NotebookEdit",
        args: {
          notebook_path: path,
          cell_id: "calc",
          new_source: "print(6 * 9)",
          cell_type: "code",
          edit_mode: "replace",
        },
      },
      { name: "StructuredOutput", args: { cell: "calc", old: 42 } },
    ];
    const call = steps[view.results.length];
    return call ? { think: `Step ${view.results.length}.`, call } : { think: "?", text: "over" };
  };
}

/** The names of the tools a request offered, on either wire. */
function offered(body: Obj): string[] {
  const tools = (body.tools ?? []) as Obj[];
  return tools.flatMap((t) =>
    Array.isArray(t.functionDeclarations)
      ? (t.functionDeclarations as Obj[]).map((f) => String(f.name))
      : [String((t.function as Obj | undefined)?.name)]
  );
}

for (const wire of WIRES) {
  Deno.test({
    name: `real Claude Code through ccp on ${wire}: NotebookEdit on a .ipynb, with --json-schema`,
    ignore: claude === undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      await using ws = await claudeWorkspace(`ccp-notebook-${wire}-`);
      const path = `${ws.work}/analysis.ipynb`;
      await Deno.writeTextFile(path, JSON.stringify(NOTEBOOK, null, 1));
      const model = startAgentModel(wire, script(path));
      await using stage = await claudeStage(ws, model.config, {
        mocks: [model],
        guarded: true,
      });
      const { ccp } = stage;
      const tools = ["Read", "NotebookEdit", "ToolSearch"];
      const args = ["-p", "fix the notebook", "--output-format", "json"];
      const out = await runClaude(
        [
          ...args,
          "--json-schema",
          JSON.stringify(SCHEMA),
          "--permission-mode",
          "acceptEdits",
          "--allowedTools",
          ...tools,
        ],
        ws.work,
        claudeEnv(ws.home, ccp.url),
        30_000,
      );
      const text = new TextDecoder().decode(out.stdout);
      const result = JSON.parse(text) as Obj;
      assert.equal(result.is_error, false, text + model.problems.join("\n"));
      assert.deepEqual(result.structured_output, { cell: "calc", old: 42 });
      assert.deepEqual(model.problems, []);
      assert.equal(model.bodies.length, 4);

      // The Read result: the cells, the printed output, and the picture in the provider's form.
      const read = model.views[1]!.results[0]!;
      assert.match(read, /<cell id="calc">print\(6 \* 7\)[\s\S]*42/);
      const second = JSON.stringify(model.bodies[1]);
      if (wire === "gemini") {
        assert.ok(second.includes(`"data":"${PNG_1X1}"`), "the picture reached Gemini");
      } else {
        // The note for the picture stays in the Read result, with nothing said to follow it.
        const messages = model.bodies[1]!.messages as Obj[];
        const tool = String(messages.findLast((m) => m.role === "tool")?.content);
        assert.match(tool, /\[image omitted: provider "up" \(model deepseek-reasoner\)/);
        assert.ok(!tool.includes("follows in the next message"), tool);
        assert.equal(messages.at(-1)?.role, "tool");
      }
      // NotebookEdit offered once ToolSearch loaded it, and its edit on disk.
      assert.ok(!offered(model.bodies[1]!).includes("NotebookEdit"));
      assert.ok(offered(model.bodies[2]!).includes("NotebookEdit"));
      assert.equal(model.views[3]!.results[2], "Updated cell calc with print(6 * 9)");
      const saved = JSON.parse(await Deno.readTextFile(path));
      assert.equal(saved.cells[1].source, "print(6 * 9)");
      assert.deepEqual(saved.cells[0], NOTEBOOK.cells[0]);
    },
  });
}
