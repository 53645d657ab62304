/**
 * A PDF read from disk in a session whose model cannot read documents, through ccp with the real
 * `claude -p`: the model (a Chat model with DeepSeek's rules, no file parts) calls Read on a PDF
 * built here; Claude Code returns it as a document block in the tool result, and the model is
 * sent the PDF's text in the tool message, with no PDF bytes; `--continue` sends the same text
 * again. Skipped when `claude` is not installed.
 */

import assert from "node:assert/strict";
import { claudeEnv, findClaude, runClaude, STREAM_JSON } from "../helpers/claude.ts";
import { claudeStage } from "../helpers/claude_print.ts";
import { testConfig } from "../helpers/config.ts";
import { type Move, startAgentModel, type View } from "../mocks/two_wire_agent.ts";
import {
  buildPdf,
  flate,
  linesContent,
  simpleDocument,
} from "../translate/pdf_text/pdf_builder.ts";

const claude = await findClaude();

type Obj = Record<string, unknown>;

/** Read the PDF; with its text in a tool result, quote it; asked again, quote it again. */
function model(view: View): Move {
  const read = view.results.find((r) => r.includes("extracted by ccp"));
  if (read) {
    const line = read.split("\n").find((l) => l.startsWith("Frames are")) ?? "no text";
    return { think: "Quote it.", text: `The spec says: ${line}` };
  }
  return { think: "Read it.", call: { name: "Read", args: { file_path: "spec.pdf" } } };
}

async function run(work: string, home: string, url: string, args: string[]): Promise<Obj> {
  const out = await runClaude(
    [...args, ...STREAM_JSON, "--permission-mode", "acceptEdits", "--allowedTools", "Read"],
    work,
    claudeEnv(home, url),
    45_000,
  );
  const stdout = new TextDecoder().decode(out.stdout);
  const result = stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Obj)
    .findLast((e) => e.type === "result");
  assert.ok(result, `no result:\n${stdout}\n${new TextDecoder().decode(out.stderr)}`);
  return result;
}

Deno.test({
  name: "real Claude Code through ccp: a PDF read on a model without document support reaches " +
    "it as the PDF's text",
  ignore: claude === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const pdf = buildPdf(simpleDocument([
      await flate(linesContent(["Widget protocol v2", "Frames are length-prefixed."])),
      await flate(linesContent(["Appendix: error codes"])),
    ]));
    const main = startAgentModel("chat", model);
    await using stage = await claudeStage(
      "ccp-pdf-text-",
      testConfig({
        providers: [main.provider],
        routes: { default: main.target },
        authToken: "e2e-token",
      }),
      { mocks: [main], guarded: true },
    );
    const { ws, ccp } = stage;
    await Deno.writeFile(`${ws.work}/spec.pdf`, pdf);
    const first = await run(ws.work, ws.home, ccp.url, ["-p", "What does spec.pdf say?"]);
    const context = () => `${JSON.stringify(first)}\n${main.problems}\n${ccp.logs.join("")}`;
    assert.equal(first.is_error, false, context());
    assert.equal(first.result, "The spec says: Frames are length-prefixed.", context());
    assert.deepEqual(main.problems, [], context());
    assert.equal(main.bodies.length, 2, context());
    const pdfBytes = pdf.toBase64().slice(0, 40);
    const result = main.views[1]!.results.find((r) => r.includes("extracted by ccp"))!;
    assert.match(result, /--- page 1 ---\nWidget protocol v2\nFrames are length-prefixed\./);
    assert.match(result, /--- page 2 ---\nAppendix: error codes\n\[end of PDF document/);
    assert.ok(!main.views[1]!.raw.includes(pdfBytes), "PDF bytes reached the model");

    const again = await run(ws.work, ws.home, ccp.url, ["-p", "--continue", "again?"]);
    assert.equal(again.result, "The spec says: Frames are length-prefixed.", context());
    assert.equal(main.bodies.length, 3, context());
    assert.equal(main.views[2]!.results.find((r) => r.includes("extracted by ccp")), result);
  },
});
