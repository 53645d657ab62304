/**
 * A PDF's stand-in for a model that cannot read documents: its text, marked and cut to a bound,
 * read once per content (a session resends the PDF every turn), or a note that says why not.
 */

import assert from "node:assert/strict";
import { MAX_PDF_TEXT, pdfKey, pdfStandIn, readPdfTexts } from "../../src/translate/pdf_reading.ts";
import { withoutDocuments } from "../../src/upstream/http/refused_documents.ts";
import {
  base64,
  buildPdf,
  flate,
  linesContent,
  plain,
  simpleDocument,
} from "./pdf_text/pdf_builder.ts";

const NOTE = "[document omitted: this model does not accept PDF documents]";

const docBlock = (data: string, title?: string) => ({
  type: "document",
  ...(title ? { title } : {}),
  source: { type: "base64", media_type: "application/pdf", data },
});
const bodyWith = (...blocks: unknown[]) => ({ messages: [{ role: "user", content: blocks }] });

Deno.test("the stand-in: named, page by page, marked as ccp's extraction, ended", async () => {
  const data = base64(buildPdf(simpleDocument([
    plain(linesContent(["Intro", "more"])),
    await flate(linesContent(["Results"])),
  ])));
  // Inside a tool result, as Claude Code's Read returns it.
  const body = bodyWith({ type: "tool_result", tool_use_id: "r", content: [docBlock(data)] });
  assert.equal(await readPdfTexts(body), 1);
  assert.equal(
    pdfStandIn(data, "report.pdf", NOTE),
    [
      '[PDF document "report.pdf": its text, extracted by ccp because this model cannot read PDFs]',
      "--- page 1 ---",
      "Intro\nmore",
      "--- page 2 ---",
      "Results",
      '[end of PDF document "report.pdf"]',
    ].join("\n"),
  );
  const one = base64(buildPdf(simpleDocument([plain(linesContent(["Only page"]))])));
  await readPdfTexts(bodyWith(docBlock(one)));
  assert.equal(
    pdfStandIn(one, undefined, NOTE),
    "[PDF document: its text, extracted by ccp because this model cannot read PDFs]\n" +
      "Only page\n[end of PDF document]",
  );
});

Deno.test("each PDF is parsed once: a later turn (a new body, the same bytes) only hashes it", async () => {
  const data = base64(buildPdf(simpleDocument([plain(linesContent(["parsed once"]))])));
  const turn = () => JSON.parse(JSON.stringify(bodyWith(docBlock(data, "a.pdf"))));
  assert.equal(await readPdfTexts(turn()), 1);
  assert.equal(await readPdfTexts(turn()), 0);
  assert.equal(await readPdfTexts(turn()), 0);
  // Two requests at once with a PDF not read yet: one parse, both find the text.
  const fresh = base64(buildPdf(simpleDocument([plain(linesContent(["read together"]))])));
  const together = await Promise.all([1, 2].map(() => readPdfTexts(bodyWith(docBlock(fresh)))));
  assert.deepEqual(together.sort(), [0, 1]);
  assert.ok(pdfStandIn(fresh, undefined, NOTE).includes("read together"));
  // The same bytes as a data URL (an OpenAI-style file part) find the same reading.
  assert.ok(
    pdfStandIn(`data:application/pdf;base64,${data}`, "a.pdf", NOTE).includes("parsed once"),
  );
  assert.notEqual(pdfKey(data), pdfKey(data.slice(0, -4) + "AAAA"));
});

Deno.test("a long PDF's text is cut, and the cut is said", async () => {
  const line = "x".repeat(90);
  const pages = Array.from(
    { length: 30 },
    (_, p) => plain(linesContent(Array(60).fill(`${p} ${line}`))),
  );
  const data = base64(buildPdf(simpleDocument(pages)));
  await readPdfTexts(bodyWith(docBlock(data)));
  const text = pdfStandIn(data, "long.pdf", NOTE);
  assert.ok(text.length < MAX_PDF_TEXT + 2_000, `${text.length}`);
  assert.match(text, /\[text cut at 100000 characters, in page 1\d of 30: ask for the pages after/);
  assert.ok(text.endsWith('[end of PDF document "long.pdf"]'));
});

Deno.test("no text to give: the note says why (encrypted, no text layer, unreadable); unread: as before", async () => {
  const encrypted = base64(buildPdf(
    [...simpleDocument([plain(linesContent(["secret"]))]), "<< /Filter /Standard /V 2 >>"],
    { trailer: "/Encrypt 6 0 R" },
  ));
  const scanned = base64(buildPdf(simpleDocument([plain("q 9 0 0 9 0 0 cm Q")])));
  const garbage = btoa("not a pdf at all");
  await readPdfTexts(bodyWith(docBlock(encrypted), docBlock(scanned), docBlock(garbage)));
  assert.equal(
    pdfStandIn(encrypted, "x", NOTE),
    "[document omitted: this model does not accept PDF documents; the PDF is encrypted, so ccp " +
      "could not extract its text]",
  );
  assert.match(
    pdfStandIn(scanned, "x", NOTE),
    /; the PDF has no text layer \(scanned or image-only/,
  );
  assert.match(pdfStandIn(garbage, "x", NOTE), /; ccp could not read the PDF's text/);
  assert.equal(pdfStandIn(btoa("never read"), "x", NOTE), NOTE);
  assert.equal(pdfStandIn(undefined, "x", NOTE), NOTE);
});

Deno.test("withoutDocuments puts the text in each protocol's shape (a learned refusal)", async () => {
  const data = base64(buildPdf(simpleDocument([plain(linesContent(["wire text"]))])));
  await readPdfTexts(bodyWith(docBlock(data)));
  const chat = withoutDocuments({
    messages: [{
      role: "user",
      content: [{
        type: "file",
        file: { filename: "w.pdf", file_data: `data:application/pdf;base64,${data}` },
      }],
    }],
  });
  assert.match(JSON.stringify(chat), /PDF document \\"w.pdf\\": its text[^"]*\\nwire text\\n/);
  const gemini = withoutDocuments({
    contents: [{ role: "user", parts: [{ inlineData: { mimeType: "application/pdf", data } }] }],
  });
  assert.match(JSON.stringify(gemini), /"text":"\[PDF document: its text[^"]*wire text/);
  const anthropic = withoutDocuments(bodyWith(docBlock(data, "w.pdf")));
  assert.match(JSON.stringify(anthropic), /"type":"text","text":"\[PDF document \\"w.pdf\\"/);
});
