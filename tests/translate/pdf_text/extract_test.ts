/**
 * The PDF text extractor on real-shaped files built here: plain and compressed content, a Type0
 * font read through its ToUnicode CMap, an object stream indexed by a cross-reference stream,
 * several pages, and the files that must give no text (encrypted, image-only) or must not hurt
 * (truncated, garbage, a deflate bomb, loops, endless operators).
 */

import assert from "node:assert/strict";
import { DEFAULT_LIMITS, extractPdfText } from "../../../src/translate/pdf_text/extract.ts";
import { inflate, MAX_STREAM_BYTES } from "../../../src/translate/pdf_text/filters.ts";
import {
  type Body,
  buildPdf,
  deflate,
  flate,
  linesContent,
  plain,
  simpleDocument,
} from "./pdf_builder.ts";
import { cpuTimed } from "../../helpers/cpu_time.ts";

const enc = new TextEncoder();
/** The reading of a file whose every page was read. */
const textReading = (pages: string[]) => ({ kind: "text", pages, pageCount: pages.length });

Deno.test("uncompressed pages: lines in order, page by page, escapes undone", async () => {
  const pdf = buildPdf(simpleDocument([
    plain(linesContent(["Quarterly report (draft)", "Revenue rose 12% \\ year on year"])),
    plain(linesContent(["Second page"])),
    plain(linesContent(["Third page"])),
  ]));
  assert.deepEqual(
    await extractPdfText(pdf),
    textReading([
      "Quarterly report (draft)\nRevenue rose 12% \\ year on year",
      "Second page",
      "Third page",
    ]),
  );
});

Deno.test("FlateDecode content streams, and a page drawn from two streams", async () => {
  const objects = simpleDocument([await flate(linesContent(["compressed line"]))]);
  assert.deepEqual(await extractPdfText(buildPdf(objects)), textReading(["compressed line"]));
  // Contents as an array: the streams are read as one, in order.
  const two: Body[] = [...simpleDocument([plain("")]), plain(linesContent(["and then more"]))];
  two[3] = (two[3] as string).replace("/Contents 5 0 R", "/Contents [5 0 R 6 0 R]");
  two[4] = await flate(linesContent(["first part"]));
  assert.deepEqual(await extractPdfText(buildPdf(two)), textReading(["first part\nand then more"]));
});

Deno.test("text operators: TJ word gaps, ' and \", Tm and Td moves make lines and spaces", async () => {
  const content = [
    "BT /F1 12 Tf 14 TL",
    "1 0 0 1 72 700 Tm [(Kerned)-30(word) -400 (gap)] TJ",
    "1 0 0 1 72 680 Tm (next line) Tj",
    "1 0 0 1 200 680 Tm (same line) Tj",
    "(quoted) '",
    '2 1 (double quoted) "',
    "0 -14 Td (moved down) Tj 50 0 Td (along) Tj",
    "ET",
  ].join("\n");
  const got = await extractPdfText(buildPdf(simpleDocument([plain(content)])));
  assert.deepEqual(
    got,
    textReading(["Kernedword gap\nnext line same line\nquoted\ndouble quoted\nmoved down along"]),
  );
});

Deno.test("simple fonts' encodings: WinAnsi bytes, Differences glyph names, MacRoman", async () => {
  const objects = simpleDocument([
    plain("BT /F1 12 Tf 72 700 Td (\\223caf\\351\\224 \\200) Tj ET"),
  ]);
  assert.deepEqual(await extractPdfText(buildPdf(objects)), textReading(["\u201ccafé\u201d €"]));
  objects[2] = "<< /Type /Font /Subtype /Type1 /BaseFont /X /Encoding << " +
    "/BaseEncoding /MacRomanEncoding /Differences [65 /eacute /uni2713 /fi] >> >>";
  objects[4] = plain("BT /F1 12 Tf 72 700 Td (ABC\\216) Tj ET");
  assert.deepEqual(await extractPdfText(buildPdf(objects)), textReading(["é✓ﬁé"]));
});

/** A Type0 (Identity-H) font whose two-byte codes mean text only through its ToUnicode CMap. */
async function type0Document(): Promise<Body[]> {
  const cmap = [
    "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
    "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    "3 beginbfchar <0001> <0047> <0002> <00FC> <0003> <00DF00650020> endbfchar",
    "2 beginbfrange <0010> <0012> <0061> <0020> <0021> [<2713> <D83DDE00>] endbfrange",
    "endcmap CMapName currentdict /CMap defineresource pop end end",
  ].join("\n");
  const objects = simpleDocument([
    await flate(
      "BT /F1 12 Tf 72 700 Td <000100020003> Tj 0 -14 Td [<0010>-500<00110012>] TJ " +
        "0 -14 Td <00200021> Tj <0099> Tj ET",
    ),
  ]);
  objects[2] = "<< /Type /Font /Subtype /Type0 /BaseFont /Noto /Encoding /Identity-H " +
    "/DescendantFonts [] /ToUnicode 6 0 R >>";
  objects.push(await flate(cmap));
  return objects;
}

Deno.test("Type0 Identity-H font: bfchar and bfrange (incremented and listed) of its ToUnicode", async () => {
  assert.deepEqual(
    await extractPdfText(buildPdf(await type0Document())),
    textReading(["Güße\na bc\n✓😀"]),
  );
});

Deno.test("a Type0 font without ToUnicode gives no text: its codes are glyph ids", async () => {
  const objects = await type0Document();
  objects[2] = (objects[2] as string).replace("/ToUnicode 6 0 R", "");
  assert.deepEqual(await extractPdfText(buildPdf(objects)), { kind: "no_text" });
});

Deno.test("objects packed in an object stream, indexed by a cross-reference stream", async () => {
  const objects = simpleDocument([
    await flate(linesContent(["packed page one"])),
    plain(linesContent(["packed page two"])),
  ]);
  const pdf = buildPdf(objects, { objectStream: true });
  assert.ok(!new TextDecoder().decode(pdf).includes("trailer"), "no classic trailer");
  assert.deepEqual(await extractPdfText(pdf), textReading(["packed page one", "packed page two"]));
});

Deno.test("an object stream that is itself compressed", async () => {
  const objects = simpleDocument([plain(linesContent(["inside a compressed object stream"]))]);
  const pdf = buildPdf(objects, { objectStream: true });
  // Re-written with the object stream deflated (its dictionary gains the filter).
  const text = new TextDecoder("latin1").decode(pdf);
  const m = /(\d+) 0 obj\n<< \/Type \/ObjStm ([^>]*) \/Length (\d+) >>\nstream\n/.exec(text)!;
  const start = m.index + m[0].length;
  const raw = pdf.subarray(start, start + Number(m[3]));
  const packed = await deflate(raw);
  const head = enc.encode(
    `${m[1]} 0 obj\n<< /Type /ObjStm ${
      m[2]
    } /Filter /FlateDecode /Length ${packed.length} >>\nstream\n`,
  );
  const rebuilt = new Uint8Array([
    ...pdf.subarray(0, m.index),
    ...head,
    ...packed,
    ...pdf.subarray(start + raw.length),
  ]);
  assert.deepEqual(
    await extractPdfText(rebuilt),
    textReading(["inside a compressed object stream"]),
  );
});

Deno.test("an encrypted PDF says so (classic trailer and cross-reference stream alike)", async () => {
  const objects: Body[] = [
    ...simpleDocument([plain(linesContent(["looks readable but is not"]))]),
    "<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>",
  ];
  const trailer = "/Encrypt 6 0 R /ID [<01> <01>]";
  assert.deepEqual(await extractPdfText(buildPdf(objects, { trailer })), { kind: "encrypted" });
  assert.deepEqual(
    await extractPdfText(buildPdf(objects, { trailer, objectStream: true })),
    { kind: "encrypted" },
  );
});

Deno.test("a scanned (image-only) PDF has no text layer", async () => {
  const objects = simpleDocument([plain("q 612 0 0 792 0 0 cm /Im1 Do Q")]);
  objects[3] = (objects[3] as string).replace(
    "/Resources << /Font << /F1 3 0 R >> >>",
    "/Resources << /XObject << /Im1 6 0 R >> >>",
  );
  objects.push({
    dict: "/Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray " +
      "/BitsPerComponent 8 /Filter /DCTDecode",
    data: Uint8Array.of(0xff, 0xd8, 0xff, 0xd9, 0, 0, 0, 0),
  });
  assert.deepEqual(await extractPdfText(buildPdf(objects)), { kind: "no_text" });
});

Deno.test("text drawn by a Form XObject, and an inline image's bytes skipped", async () => {
  const objects = simpleDocument([
    plain("BI /W 2 /H 1 /BPC 8 /CS /G ID \x00(Tj)\xff EI\nq /Fm1 Do Q"),
  ]);
  objects[3] = (objects[3] as string).replace(
    "/Resources << /Font << /F1 3 0 R >> >>",
    "/Resources << /Font << /F1 3 0 R >> /XObject << /Fm1 6 0 R >> >>",
  );
  objects.push({
    dict: "/Type /XObject /Subtype /Form /BBox [0 0 100 100]",
    data: enc.encode(linesContent(["in a form"])),
  });
  assert.deepEqual(await extractPdfText(buildPdf(objects)), textReading(["in a form"]));
});

Deno.test("truncated and garbage input never throws", async () => {
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i * 7919 % 1000}`);
  const whole = buildPdf(simpleDocument([
    await flate(linesContent(["a line that survives", ...lines])),
    plain(linesContent(["the lost page"])),
  ]));
  // Cut inside the first page's compressed stream: what inflated before the cut is still read.
  const text = new TextDecoder("latin1").decode(whole);
  const start = text.indexOf("stream\n") + 7;
  const cut = whole.subarray(0, start + Math.floor((text.indexOf("endstream") - start) / 2));
  const partial = await extractPdfText(cut);
  assert.equal(partial.kind, "text");
  if (partial.kind === "text") {
    assert.equal(partial.pages.length, 1, "the second page was past the cut");
    assert.ok(partial.pages[0]!.startsWith("a line that survives\nline 0\nline 919"));
    assert.ok(partial.pages[0]!.split("\n").length < 400);
  }
  for (let n = 0; n < whole.length; n += 97) {
    const got = await extractPdfText(whole.subarray(0, n));
    assert.ok(["text", "no_text", "unreadable"].includes(got.kind));
  }
  const random = new Uint8Array(64 * 1024);
  crypto.getRandomValues(random);
  assert.equal((await extractPdfText(random)).kind, "unreadable");
  assert.equal((await extractPdfText(new Uint8Array())).kind, "unreadable");
  assert.equal(
    (await extractPdfText(enc.encode("%PDF-1.7\n1 0 obj << /Kids [1 0 R] >>"))).kind,
    "unreadable",
  );
});

Deno.test("a pages tree that loops, and a /Length that refers to its own stream, end", async () => {
  const objects = simpleDocument([plain(linesContent(["still read"]))]);
  objects[1] = "<< /Type /Pages /Kids [2 0 R 4 0 R 2 0 R] /Count 1 >>";
  objects[4] = "<< /Length 5 0 R >>\nstream\n" + linesContent(["still read"]) + "\nendstream";
  assert.deepEqual(await extractPdfText(buildPdf(objects)), textReading(["still read"]));
});

Deno.test("a deflate bomb stops at the cap: bounded bytes, bounded time", async () => {
  const zeros = new Uint8Array(64 * 1024 * 1024);
  const bomb = await deflate(zeros);
  assert.ok(bomb.length < 200 * 1024, `the bomb is small: ${bomb.length} bytes`);
  assert.equal((await inflate(bomb, 1024 * 1024)).length, 1024 * 1024);
  const objects = simpleDocument([{ dict: "/Filter /FlateDecode", data: bomb }]);
  objects.push(await flate(linesContent(["after the bomb"])));
  objects[1] = "<< /Type /Pages /Kids [4 0 R 7 0 R] /Count 2 >>";
  objects.push(
    "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents 6 0 R >>",
  );
  const { value: got, ms } = await cpuTimed(() =>
    extractPdfText(buildPdf(objects), { ...DEFAULT_LIMITS, maxMs: 4_000 })
  );
  assert.ok(ms < 8_000, `${ms} ms`);
  assert.ok(MAX_STREAM_BYTES < zeros.length);
  // The bomb's page inflates to the cap (zeros: no text); the next page is still read.
  assert.deepEqual(got, textReading(["", "after the bomb"]));
  // With the file's whole inflation allowance below one stream, the bomb takes it all.
  const tight = await extractPdfText(buildPdf(objects), { ...DEFAULT_LIMITS, maxInflated: 4096 });
  assert.equal(tight.kind, "unreadable");
});

Deno.test("endless operators end at the work limit", async () => {
  const content = "BT /F1 12 Tf " + "(x) Tj ".repeat(200_000) + "ET";
  const pdf = buildPdf(simpleDocument([plain(content)]));
  const { value: got, ms } = await cpuTimed(() =>
    extractPdfText(pdf, { ...DEFAULT_LIMITS, maxOps: 50_000 })
  );
  assert.ok(ms < 3_000, `${ms} ms`);
  assert.ok(got.kind === "unreadable" || (got.kind === "text" && got.pages[0]!.length < 50_000));
  const big = await extractPdfText(pdf, { ...DEFAULT_LIMITS, maxBytes: 1024 });
  assert.equal(big.kind, "unreadable", "past the size cap: not read at all");
});
