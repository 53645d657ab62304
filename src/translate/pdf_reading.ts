/**
 * The text that stands in for a PDF sent to a model that cannot read documents. Reading a PDF
 * (pdf_text/, loaded on the first PDF that needs it) is async and costs time, while the places
 * that make the stand-in (the translators, the notes of refused_documents.ts) are synchronous:
 * `readPdfTexts` reads a request's PDFs before it is sent, and the stand-ins find the reading
 * here. Claude Code keeps a PDF in every later turn of the session, so readings are kept by
 * content hash and each PDF is parsed once, not once per turn.
 */

import { lazyImport } from "../core/lazy_modules.ts";
import type { PdfReading } from "./pdf_text/extract.ts";

/** At most this many characters of a PDF's text are sent (about 25k tokens). */
export const MAX_PDF_TEXT = 100_000;

// Readings kept: by count, and by the characters of text they hold.
const MAX_READINGS = 64;
const MAX_KEPT_CHARS = 8 * MAX_PDF_TEXT;

/** A reading as kept: the text already cut to what is sent. */
type Kept =
  | {
    readonly kind: "text";
    readonly pages: readonly string[];
    /** The pages the document has; more than were read when the text was cut. */
    readonly pageCount: number;
    readonly cut: boolean;
  }
  | { readonly kind: "encrypted" | "no_text" | "unreadable" };

const kept = new Map<string, Kept>();
let keptChars = 0;
// A request's document sources, hashed once by readPdfTexts (the translators see the same objects).
const keyOfSource = new WeakMap<object, string>();
// Parses under way, by key.
const reading = new Map<string, Promise<void>>();

/** A content hash of base64 text (two 32-bit FNV-1a lanes and the length). */
export function pdfKey(data: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return `${data.length}:${(a >>> 0).toString(36)}:${(b >>> 0).toString(36)}`;
}

const DATA_URL = /^data:[^,]*;base64,/;

/** The base64 of a PDF, from base64 text or a data URL. */
function base64Of(data: string): string {
  const head = DATA_URL.exec(data.slice(0, 128));
  return head ? data.slice(head[0].length) : data;
}

function remember(key: string, reading: PdfReading): void {
  let entry: Kept;
  if (reading.kind !== "text") entry = reading;
  else {
    const pages: string[] = [];
    let left = MAX_PDF_TEXT;
    for (const page of reading.pages) {
      if (left <= 0) break;
      pages.push(page.slice(0, left));
      left -= page.length;
    }
    const cut = left < 0 || pages.length < reading.pageCount;
    entry = { kind: "text", pages, pageCount: reading.pageCount, cut };
  }
  while (kept.size >= MAX_READINGS || (keptChars > MAX_KEPT_CHARS && kept.size > 0)) {
    const [oldest, value] = kept.entries().next().value!;
    kept.delete(oldest);
    keptChars -= charsOf(value);
  }
  kept.set(key, entry);
  keptChars += charsOf(entry);
}

const charsOf = (k: Kept) => k.kind === "text" ? k.pages.reduce((n, p) => n + p.length, 0) : 0;

/** Every base64 PDF source of a request's history (document blocks, in tool results too). */
export function pdfSources(body: { readonly messages?: unknown }): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const visit = (blocks: unknown, depth: number) => {
    if (!Array.isArray(blocks) || depth > 2) return;
    for (const block of blocks) {
      if (typeof block !== "object" || block === null) continue;
      const b = block as Record<string, unknown>;
      const source = b.source as Record<string, unknown> | undefined;
      if (b.type === "document" && source?.type === "base64" && typeof source.data === "string") {
        out.push(source);
      } else if (b.type === "tool_result") visit(b.content, depth + 1);
    }
  };
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) visit((m as { content?: unknown } | null)?.content, 0);
  }
  return out;
}

/**
 * Reads the request's PDFs that were not read before, so their stand-ins can be made; returns
 * how many it parsed (those it knew cost a hash, not a parse).
 */
export async function readPdfTexts(body: { readonly messages?: unknown }): Promise<number> {
  let parsed = 0;
  for (const source of pdfSources(body)) {
    let key = keyOfSource.get(source);
    if (key === undefined) {
      key = pdfKey(source.data as string);
      keyOfSource.set(source, key);
    }
    const known = kept.get(key);
    if (known) {
      kept.delete(key); // most recently used last
      kept.set(key, known);
      continue;
    }
    // Two requests with the same new PDF (parallel subagents) wait for one parse.
    const pending = reading.get(key);
    if (pending) {
      await pending;
      continue;
    }
    const work = readOne(key, source.data as string).finally(() => reading.delete(key));
    reading.set(key, work);
    await work;
    parsed++;
  }
  return parsed;
}

async function readOne(key: string, data: string): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(base64Of(data).replace(/\s+/g, ""));
  } catch {
    return remember(key, { kind: "unreadable" });
  }
  const { DEFAULT_LIMITS, extractPdfText } = await lazyImport("translate/pdf_text/extract.ts");
  // Reading stops past what is sent: a long PDF costs its first pages, not all of them.
  remember(key, await extractPdfText(bytes, { ...DEFAULT_LIMITS, maxChars: MAX_PDF_TEXT + 1 }));
}

/** The reading of PDF `data` (base64 or a data URL) when it was read; `source` saves a hash. */
function keptFor(data: string, source?: object): Kept | undefined {
  const key = (source && keyOfSource.get(source)) ?? pdfKey(base64Of(data));
  return kept.get(key);
}

const REASONS = {
  encrypted: "the PDF is encrypted, so ccp could not extract its text",
  no_text: "the PDF has no text layer (scanned or image-only pages), so there is no text to give",
  unreadable: "ccp could not read the PDF's text (damaged, or past its size or time limits)",
} as const;

/**
 * What stands in for PDF `data` named `name`: its text, marked as such, when it was read and has
 * some; else `note` (which ends in "]"), saying why no text came when a reading says why.
 */
export function pdfStandIn(
  data: unknown,
  name: string | undefined,
  note: string,
  source?: object,
): string {
  const reading = typeof data === "string" ? keptFor(data, source) : undefined;
  if (!reading) return note;
  if (reading.kind !== "text") return `${note.slice(0, -1)}; ${REASONS[reading.kind]}]`;
  const label = name ? `PDF document "${name}"` : "PDF document";
  const count = reading.pages.length;
  const parts = [
    `[${label}: its text, extracted by ccp because this model cannot read PDFs]`,
  ];
  reading.pages.forEach((page, i) => {
    if (count > 1) parts.push(`--- page ${i + 1} ---`);
    parts.push(page);
  });
  if (reading.cut) {
    const chars = reading.pages.reduce((n, p) => n + p.length, 0);
    parts.push(
      `[text cut at ${chars} characters, in page ${count} of ${reading.pageCount}: ` +
        "ask for the pages after it (the Read tool takes a page range)]",
    );
  }
  parts.push(`[end of ${label}]`);
  return parts.join("\n");
}
