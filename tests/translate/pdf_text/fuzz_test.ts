/**
 * Property: whatever a PDF holds (bits flipped, cut short, huge lengths and counts, objects that
 * refer to themselves, deep nesting, filter chains), reading it ends within its limits with text
 * or a clear "cannot read", and never throws. The files are mutations of small real-shaped ones
 * built here (classic and cross-reference-stream tables, object streams, Flate, LZW, ASCII85,
 * ASCIIHex, a Type0 font's CMap, a Type3 font, a Form XObject). Seeded, so a failure reproduces;
 * the regression cases first are files the fuzzing found.
 */

import assert from "node:assert/strict";
import {
  DEFAULT_LIMITS,
  extractPdfText,
  type PdfLimits,
} from "../../../src/translate/pdf_text/extract.ts";
import {
  type Body,
  buildPdf,
  deflate,
  linesContent,
  plain,
  simpleDocument,
} from "./pdf_builder.ts";
import { ascii85Encode, asciiHexEncode, lzwEncode } from "./old_encoders.ts";
import { seeded } from "../../helpers/random.ts";
import { cpuTimed, threadCpuMs } from "../../helpers/cpu_time.ts";

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

// Tight limits, so a case that runs to them still ends quickly on a busy machine.
const LIMITS: PdfLimits = {
  ...DEFAULT_LIMITS,
  maxOps: 400_000,
  maxMs: 1_000,
  maxInflated: 8 * 1024 * 1024,
  maxChars: 100_000,
};
// What a reading may take past its clock: one decoded stream, a page's last token.
const SLACK_MS = 2_000;

/** Reads `pdf` and checks that the reading is one of the four answers, in time and in size. */
async function assertBounded(pdf: Uint8Array, why: string, limits = LIMITS): Promise<void> {
  const began = threadCpuMs();
  let reading;
  try {
    reading = await extractPdfText(pdf, limits);
  } catch (error) {
    throw new Error(`extractPdfText threw ${error} on ${why}`);
  }
  const took = threadCpuMs() - began;
  assert.ok(took < limits.maxMs + SLACK_MS, `${why}: took ${took.toFixed(0)} ms`);
  assert.ok(["text", "no_text", "unreadable", "encrypted"].includes(reading.kind), why);
  if (reading.kind === "text") {
    const chars = reading.pages.reduce((n, p) => n + p.length, 0);
    assert.ok(chars <= limits.maxChars, `${why}: ${chars} characters`);
    assert.ok(reading.pages.length <= reading.pageCount, why);
  }
}

/** A document whose page draws with `font` (object 3) and holds the `extra` objects from 6 on. */
function withFont(content: string, font: string, extra: Body[] = []): Body[] {
  const objects = simpleDocument([plain(content)]);
  objects[2] = font;
  objects.push(...extra);
  return objects;
}

/** A document whose page draws Form XObject 6 (`form`) `times` times. */
function withForm(form: string, times: number): Body[] {
  const objects = simpleDocument([plain("BT /F1 12 Tf " + "/Fm1 Do ".repeat(times) + "ET")]);
  objects[3] = (objects[3] as string).replace(
    "/Resources << /Font << /F1 3 0 R >> >>",
    "/Resources << /Font << /F1 3 0 R >> /XObject << /Fm1 6 0 R >> >>",
  );
  objects.push({ dict: "/Type /XObject /Subtype /Form", data: enc.encode(form) });
  return objects;
}

Deno.test("regression: thousands of wide CMap ranges end quickly and map a bounded number of codes", async () => {
  // 3000 ranges of 65536 codes each took 30 s and a gigabyte before the codes were counted.
  let ranges = "";
  for (let i = 0; i < 3000; i++) {
    const lo = (i * 65536).toString(16).padStart(8, "0");
    const hi = (i * 65536 + 65535).toString(16).padStart(8, "0");
    ranges += `<${lo}> <${hi}> <0041>\n`;
  }
  const cmap = "begincmap 1 begincodespacerange <00000000> <ffffffff> endcodespacerange\n" +
    `3000 beginbfrange\n${ranges}endbfrange endcmap`;
  const objects = withFont(
    "BT /F1 12 Tf 72 700 Td <00000001> Tj ET",
    "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 6 0 R >>",
    [plain(cmap)],
  );
  const { value: got, ms } = await cpuTimed(() => extractPdfText(buildPdf(objects)));
  assert.ok(ms < 3_000, `${ms} ms`);
  assert.deepEqual(got, { kind: "text", pages: ["B"], pageCount: 1 });
});

Deno.test("regression: a form drawn again and again stops at the page's character cap", async () => {
  // A 1 MB string in a form that draws itself twice, drawn 100 times: 82 million characters
  // (3 GB of memory) before a page's text was capped.
  const form = `BT /F1 12 Tf (${"A".repeat(1_000_000)}) Tj /Fm1 Do /Fm1 Do ET`;
  const got = await extractPdfText(buildPdf(withForm(form, 100)));
  assert.equal(got.kind, "text");
  if (got.kind === "text") assert.equal(got.pages[0]!.length, DEFAULT_LIMITS.maxChars);
});

Deno.test("regression: a page of many short strings is read whole, not cut by the clock", async () => {
  // Each string looked at the end of all the text before it: 300000 of them ran out of time
  // after some 200000 characters.
  const gaps = "BT /F1 12 Tf " + "[(ab) -500 (cd)] TJ ".repeat(200_000) + "ET";
  const lines = "BT /F1 12 Tf 14 TL 72 700 Td " + "(ab) Tj T* ".repeat(200_000) + "ET";
  // The reader's clock is set far off, so a busy machine cannot cut the reading; the work itself
  // is bounded by this thread's CPU time.
  const limits = { ...DEFAULT_LIMITS, maxMs: 60_000 };
  const wide = await cpuTimed(() =>
    extractPdfText(buildPdf(simpleDocument([plain(gaps)])), limits)
  );
  assert.equal(wide.value.kind === "text" && wide.value.pages[0]!.length, 200_000 * 5);
  const tall = await cpuTimed(() =>
    extractPdfText(buildPdf(simpleDocument([plain(lines)])), limits)
  );
  assert.equal(tall.value.kind === "text" && tall.value.pages[0]!.length, 200_000 * 3 - 1);
  assert.ok(wide.ms + tall.ms < 3_000, `${wide.ms} + ${tall.ms} ms`);
});

Deno.test("regression: an incremented CMap range to a surrogate pair counts up its second half", async () => {
  // Each half was decoded alone, so every code of such a range read as two U+FFFD.
  const objects = withFont(
    "BT /F1 12 Tf 72 700 Td <00010002> Tj ET",
    "<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /ToUnicode 6 0 R >>",
    [plain("1 beginbfrange <0001> <0002> <D83DDE00> endbfrange")],
  );
  assert.deepEqual(await extractPdfText(buildPdf(objects)), {
    kind: "text",
    pages: ["\u{1F600}\u{1F601}"],
    pageCount: 1,
  });
});

/** The small files the fuzzing starts from, each exercising one part of the reader. */
async function seeds(): Promise<Uint8Array[]> {
  const text = linesContent(["Hello (world)", "second line \\ here"]);
  const raw = enc.encode(text);
  const chain = (dict: string, data: Uint8Array) => simpleDocument([{ dict, data }]);
  const cmap = "begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n" +
    "2 beginbfchar <0001> <0047> <0002> <00FC> endbfchar\n" +
    "2 beginbfrange <0010> <0012> <0061> <0020> <0021> [<2713> <D83DDE00>] endbfrange endcmap";
  return [
    buildPdf(simpleDocument([plain(text), plain(linesContent(["page two"]))])),
    buildPdf(chain("/Filter /FlateDecode", await deflate(raw))),
    buildPdf(simpleDocument([plain(text)]), { objectStream: true }),
    buildPdf(chain("/Filter /LZWDecode", lzwEncode(raw))),
    buildPdf(chain("/Filter [/ASCII85Decode /FlateDecode]", ascii85Encode(await deflate(raw)))),
    buildPdf(chain("/Filter [/ASCIIHexDecode /LZWDecode]", asciiHexEncode(lzwEncode(raw)))),
    buildPdf(withFont(
      "BT /F1 12 Tf 72 700 Td <00010002> Tj [<0010> -500 <00110012>] TJ <00200021> Tj ET",
      "<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 6 0 R >>",
      [{ dict: "/Filter /FlateDecode", data: await deflate(enc.encode(cmap)) }],
    )),
    buildPdf(withFont(
      "BT /F1 10 Tf 72 700 Td (ABC) Tj ET",
      "<< /Type /Font /Subtype /Type3 /FontMatrix [1 0 0 1 0 0] /CharProcs << >> " +
        "/Encoding << /Differences [65 /a65 /a66 /eacute] >> /FirstChar 65 /LastChar 67 >>",
    )),
    buildPdf(withForm(linesContent(["in a form"]) + " /Fm1 Do", 3)),
  ];
}

// Values that a mutation writes over a number, a name or a reference.
const HOSTILE = [
  "0",
  "-1",
  "2147483647",
  "99999999999999999999",
  "1e308",
  "NaN",
  "0 0 R",
  "1 0 R",
  "5 0 R",
  "6 0 R",
  "999999 0 R",
  "/FlateDecode",
  "[/ASCIIHexDecode /ASCII85Decode /LZWDecode /FlateDecode /FlateDecode]",
  "[1 2 3]",
  "<< /Length 5 0 R >>",
  "()",
  "<>",
  "null",
];

/** One random change to the file. */
function mutate(pdf: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const bytes = [...pdf];
  const at = pick(bytes.length);
  const insert = (text: string) => bytes.splice(at, 0, ...enc.encode(text));
  switch (pick(9)) {
    case 0: // a bit flipped
      bytes[at] = bytes[at]! ^ (1 << pick(8));
      break;
    case 1: // cut short
      return pdf.subarray(0, at);
    case 2: { // a number, name or reference written over with a hostile value
      const text = latin1.decode(pdf);
      const tokens = [...text.matchAll(/\d+ \d+ R|\/[A-Za-z]+|-?\d+/g)];
      const token = tokens[pick(tokens.length)];
      if (!token) break;
      const value = HOSTILE[pick(HOSTILE.length)]!;
      const out = text.slice(0, token.index) + value + text.slice(token.index + token[0].length);
      return Uint8Array.from(out, (c) => c.charCodeAt(0));
    }
    case 3: // deep nesting
      insert(["[", "<<", "<< /A ", "(", "<"][pick(5)]!.repeat(1 + pick(20_000)));
      break;
    case 4: // an object that refers to itself, and one more copy of it (a later revision)
      insert(`\n${pick(8)} 0 obj\n<< /Type /Pages /Kids [${pick(8)} 0 R] /Contents 4 0 R >>\n`);
      break;
    case 5: { // a slice repeated
      const len = 1 + pick(200);
      const slice = bytes.slice(at, at + len);
      for (let n = pick(50); n > 0; n--) bytes.splice(at, 0, ...slice);
      break;
    }
    case 6: // a random run of bytes
      bytes.splice(at, pick(16), ...Array.from({ length: pick(64) }, () => pick(256)));
      break;
    case 7: // the tail of the file lost, or its head
      return random() < 0.5
        ? pdf.subarray(at)
        : pdf.subarray(0, Math.max(0, pdf.length - pick(64)));
    default: // an operator or keyword where it does not belong
      insert(
        [" stream\n", " endstream ", " obj ", " endobj ", " BI ID ", " Tf ", " Do ", " TJ "][
          pick(8)
        ]!,
      );
  }
  return Uint8Array.from(bytes);
}

Deno.test("property: a mutated PDF is read within its limits, or said to be unreadable", async () => {
  const random = seeded(0x9df);
  const files = await seeds();
  for (const [i, seed] of files.entries()) {
    // Each seed reads as text before it is mutated: the mutations start from working files.
    const clean = await extractPdfText(seed, LIMITS);
    assert.equal(clean.kind, "text", `seed ${i}: ${JSON.stringify(clean)}`);
    for (let run = 0; run < 60; run++) {
      let pdf = seed;
      const steps = 1 + Math.floor(random() * 4);
      for (let n = 0; n < steps; n++) pdf = mutate(pdf, random);
      await assertBounded(pdf, `seed ${i}, run ${run}`);
    }
  }
});

Deno.test("property: huge lengths, counts and code ranges in every kind of object stay bounded", async () => {
  const random = seeded(0x5eed);
  const template = [
    "<< /Type /ObjStm /N $ /First $ /Length $ >>",
    "<< /Type /XRef /Size $ /W [$ $ $] /Index [0 $] /Length $ >>",
    "<< /Filter /LZWDecode /DecodeParms << /EarlyChange $ >> /Length $ >>",
    "<< /Type /Pages /Kids [$ 0 R $ 0 R] /Count $ >>",
  ];
  const sizes = ["0", "-1", "1", "65535", "4294967295", "2147483648", "1e20", "3.5"];
  for (let run = 0; run < 60; run++) {
    const fill = (s: string) => s.replace(/\$/g, () => sizes[Math.floor(random() * sizes.length)]!);
    const lo = Math.floor(random() * 0xffffffff);
    const hi = Math.floor(random() * 0xffffffff);
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    const ranges = `<${hex(lo)}> <${hex(hi)}> <0041> `.repeat(1 + Math.floor(random() * 40));
    const cmap = "begincodespacerange <00000000> <ffffffff> endcodespacerange " +
      `beginbfrange ${ranges}endbfrange`;
    const objects = withFont(
      "BT /F1 12 Tf 72 700 Td <00000001> Tj ET",
      "<< /Type /Font /Subtype /Type0 /Encoding /Identity-H /ToUnicode 6 0 R >>",
      [plain(cmap)],
    );
    objects.push(fill(template[run % template.length]!));
    objects[1] = fill("<< /Type /Pages /Kids [4 0 R $ 0 R] /Count $ >>");
    const pdf = buildPdf(objects, { objectStream: random() < 0.5 });
    await assertBounded(pdf, `run ${run}`);
  }
});
