/**
 * The filters of older and PostScript-born PDFs (LZW, ASCII85, ASCIIHex, alone or chained before
 * Flate or LZW), and the Type3 bitmap fonts TeX embeds, whose glyph names only repeat their codes.
 * The files are built here; the LZW encoder below follows the PDF rules the decoder reads by,
 * and the PDF specification's own example checks both.
 */

import assert from "node:assert/strict";
import { extractPdfText } from "../../../src/translate/pdf_text/extract.ts";
import { ascii85, asciiHex, lzw } from "../../../src/translate/pdf_text/old_filters.ts";
import { buildPdf, deflate, linesContent, plain, simpleDocument } from "./pdf_builder.ts";
import { ascii85Encode, asciiHexEncode, lzwEncode } from "./old_encoders.ts";

const enc = new TextEncoder();
const dec = new TextDecoder("latin1");
const textReading = (pages: string[]) => ({ kind: "text", pages, pageCount: pages.length });

/** Text long enough that an LZW table grows past 511, 1023 and 2047 entries and is cleared. */
function longLines(): string[] {
  const words = ["ledger", "invoice", "quarter", "revenue", "margin", "forecast", "audit"];
  return Array.from(
    { length: 400 },
    (_, i) => `Line ${i}: ${words[i % 7]} ${words[(i * 3) % 7]} ${i * 7919 % 1000}`,
  );
}

Deno.test("LZW: the PDF specification's example, and its encoder round trip", () => {
  const example = Uint8Array.of(0x80, 0x0b, 0x60, 0x50, 0x22, 0x0c, 0x0c, 0x85, 0x01);
  assert.equal(dec.decode(lzw(example, 1024)), "-----A---B");
  assert.deepEqual(lzwEncode(enc.encode("-----A---B")), example);
  const text = enc.encode(longLines().join("\n"));
  for (const early of [1, 0]) {
    const packed = lzwEncode(text, early);
    assert.equal(dec.decode(lzw(packed, 1 << 20, early)), dec.decode(text), `EarlyChange ${early}`);
  }
});

Deno.test("old filters stop at their cap and keep what they decoded before damage", () => {
  const zeros = lzwEncode(new Uint8Array(200_000));
  assert.ok(zeros.length < 4000, `${zeros.length} bytes hold 200 KB`);
  assert.equal(lzw(zeros, 50_000).length, 50_000);
  const text = enc.encode("kept before the damage");
  const cut = lzwEncode(text).slice(0, 12);
  assert.ok(dec.decode(text).startsWith(dec.decode(lzw(cut, 1024))));
  assert.ok(lzw(cut, 1024).length > 5);
  assert.equal(dec.decode(ascii85(enc.encode('87cURD]i,"Ebo80~>'), 1024)), "Hello World!");
  assert.equal(dec.decode(ascii85(enc.encode('87cURD]i,"E\u0080bo80~>'), 1024)), "Hello Wo");
  assert.equal(ascii85(enc.encode("zzzz~>"), 10).length, 8);
  assert.equal(dec.decode(asciiHex(enc.encode("48 65 6C6c 6F 2>"), 1024)), "Hello ");
  assert.equal(dec.decode(asciiHex(enc.encode("4865xx6c6c"), 1024)), "He");
});

Deno.test("content streams in LZW, ASCII85 and ASCIIHex, alone and chained, are read", async () => {
  const lines = longLines();
  const content = enc.encode(linesContent(lines));
  const short = enc.encode(linesContent(["hex encoded page"]));
  const pages = [
    { dict: "/Filter /LZWDecode", data: lzwEncode(content) },
    {
      dict: "/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>",
      data: lzwEncode(content, 0),
    },
    { dict: "/Filter [/ASCII85Decode /LZWDecode]", data: ascii85Encode(lzwEncode(content)) },
    { dict: "/Filter [/ASCII85Decode /FlateDecode]", data: ascii85Encode(await deflate(content)) },
    { dict: "/Filter /ASCIIHexDecode", data: asciiHexEncode(short) },
  ];
  const reading = await extractPdfText(buildPdf(simpleDocument(pages)));
  const whole = lines.join("\n");
  assert.deepEqual(reading, textReading([whole, whole, whole, whole, "hex encoded page"]));
});

/** A document whose font F1 is a Type3 font as pdfTeX writes TeX's bitmap fonts. */
function type3Document(content: string, differences: string) {
  const objects = simpleDocument([plain(content)]);
  objects[2] = "<< /Type /Font /Subtype /Type3 /Name /F7 /FontMatrix [0.01 0 0 0.01 0 0] " +
    "/FontBBox [0 0 100 100] /Resources << /ProcSet [/PDF /ImageB] >> /FirstChar 12 " +
    `/LastChar 124 /Widths [] /Encoding << /Type /Encoding /Differences [${differences}] >> ` +
    "/CharProcs << >> >>";
  return objects;
}

Deno.test("a Type3 bitmap font of TeX's: glyph names that repeat their codes are read by the code", async () => {
  const names = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => `/a${from + i}`).join("");
  const differences = `12 /a12 32 ${names(32, 124)}`;
  // OT1: 12 is the fi ligature, 92 and 34 the curly quotes, 123 the en dash.
  const content = 'BT /F1 9.96 Tf 72 700 Td (\\014rst \\134Pages" 1{10, x\\(y\\)=2) Tj ET';
  assert.deepEqual(
    await extractPdfText(buildPdf(type3Document(content, differences))),
    textReading(["first \u201cPages\u201d 1\u201310, x(y)=2"]),
  );
  // Names that are not their code are no such font: read by name as before (a65 at 66: nothing).
  const shifted = await extractPdfText(
    buildPdf(type3Document("BT /F1 10 Tf 72 700 Td (BA) Tj ET", "65 /A /a65")),
  );
  assert.deepEqual(shifted, textReading(["A"]));
  // And in other fonts "a65" is no code: Type1 glyph names keep their meaning.
  const objects = simpleDocument([plain("BT /F1 10 Tf 72 700 Td (AB) Tj ET")]);
  objects[2] = "<< /Type /Font /Subtype /Type1 /BaseFont /X " +
    "/Encoding << /Differences [65 /a65 /B] >> >>";
  assert.deepEqual(await extractPdfText(buildPdf(objects)), textReading(["B"]));
});
