/** The file name a PDF document is sent under to OpenAI-style upstreams. */

import assert from "node:assert/strict";
import { pdfFileName } from "../../src/translate/document_name.ts";

Deno.test("pdfFileName: the title, ending in .pdf; the default name for anything else", () => {
  const cases: Array<[unknown, string]> = [
    ["Quarterly report", "Quarterly report.pdf"],
    ["spec.pdf", "spec.pdf"],
    ["NOTES.PDF", "NOTES.PDF"],
    [" padded ", "padded.pdf"],
    ["report.docx", "report.docx.pdf"],
    ["", "document.pdf"],
    ["   ", "document.pdf"],
    [null, "document.pdf"],
    [undefined, "document.pdf"],
    // Odd values a client may send in place of a string must not break the request.
    [true, "document.pdf"],
    [42, "document.pdf"],
    [{ text: "x" }, "document.pdf"],
  ];
  for (const [title, want] of cases) assert.equal(pdfFileName(title), want, String(title));
});
