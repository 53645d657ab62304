/**
 * The text layer of a PDF, page by page: what a model that cannot read PDFs is given instead.
 * Dependency-free and bounded (input size, work, time, inflated bytes); it never throws. An
 * encrypted file, or one whose pages show no text (a scan), says so instead of giving text.
 */

import { Budget } from "./budget.ts";
import { TextCollector } from "./content.ts";
import { PdfDocument } from "./document.ts";
import { decodeStream } from "./filters.ts";
import { nameOf, type PdfDict, type PdfObj, PdfRef, PdfStream } from "./objects.ts";

/** What reading a PDF gave. */
export type PdfReading =
  | {
    readonly kind: "text";
    /** The pages read, in order: all of them, unless `maxChars` was reached first. */
    readonly pages: readonly string[];
    /** The pages the document has. */
    readonly pageCount: number;
  }
  | { readonly kind: "encrypted" }
  | { readonly kind: "no_text" }
  | { readonly kind: "unreadable" };

/** The bounds of one reading. */
export interface PdfLimits {
  /** Files larger than this are not read. */
  readonly maxBytes: number;
  /** Tokens read, across every stream. */
  readonly maxOps: number;
  readonly maxMs: number;
  /** Bytes that decompression may produce, across every stream. */
  readonly maxInflated: number;
  /** Characters of text kept; the reading stops there. */
  readonly maxChars: number;
}

export const DEFAULT_LIMITS: PdfLimits = {
  maxBytes: 48 * 1024 * 1024,
  maxOps: 20_000_000,
  maxMs: 5_000,
  maxInflated: 128 * 1024 * 1024,
  maxChars: 2_000_000,
};

// Pages trees deeper than this, or with more pages, are read that far.
const MAX_TREE_DEPTH = 32;
const MAX_PAGES = 5_000;

/** Reads `bytes` as a PDF; never throws. */
export async function extractPdfText(
  bytes: Uint8Array,
  limits: PdfLimits = DEFAULT_LIMITS,
): Promise<PdfReading> {
  if (bytes.length > limits.maxBytes) return { kind: "unreadable" };
  try {
    const budget = new Budget(limits);
    const doc = PdfDocument.open(bytes, budget);
    await doc.unpack();
    if (doc.trailer("Encrypt") !== undefined) return { kind: "encrypted" };
    const pages: string[] = [];
    const all = pagesOf(doc);
    let chars = 0;
    for (const page of all) {
      if (budget.spent || chars >= limits.maxChars) break;
      const text = await pageText(doc, page, budget, limits.maxChars - chars);
      chars += text.length;
      pages.push(text);
    }
    if (pages.some((p) => p !== "")) return { kind: "text", pages, pageCount: all.length };
    return pages.length > 0 && !budget.spent ? { kind: "no_text" } : { kind: "unreadable" };
  } catch {
    return { kind: "unreadable" };
  }
}

/** A page and the resources it inherits. */
interface Page {
  readonly dict: PdfDict;
  readonly resources: PdfDict | undefined;
}

/** The pages in order: the catalog's pages tree, else every /Page object by number. */
function pagesOf(doc: PdfDocument): Page[] {
  const root = doc.dict(doc.trailer("Root")) ?? catalogByScan(doc);
  const pages: Page[] = [];
  const seen = new Set<PdfObj>();
  const walk = (node: PdfObj | undefined, inherited: PdfDict | undefined, depth: number) => {
    const id = node instanceof PdfRef ? node.num : node ?? null;
    if (depth > MAX_TREE_DEPTH || pages.length >= MAX_PAGES || seen.has(id)) return;
    seen.add(id);
    const dict = doc.dict(node);
    if (!dict) return;
    const resources = doc.dict(dict.get("Resources")) ?? inherited;
    const kids = doc.resolve(dict.get("Kids"));
    if (Array.isArray(kids)) {
      for (const kid of kids) walk(kid, resources, depth + 1);
    } else if (nameOf(dict.get("Type")) === "Page" || dict.has("Contents")) {
      pages.push({ dict, resources });
    }
  };
  walk(root?.get("Pages"), undefined, 0);
  if (pages.length > 0) return pages;
  for (const num of doc.numbers()) {
    const dict = doc.dict(doc.get(num));
    if (dict && nameOf(dict.get("Type")) === "Page") {
      pages.push({ dict, resources: doc.dict(dict.get("Resources")) });
    }
  }
  return pages.slice(0, MAX_PAGES);
}

function catalogByScan(doc: PdfDocument): PdfDict | undefined {
  for (const num of doc.numbers()) {
    const dict = doc.dict(doc.get(num));
    if (dict && nameOf(dict.get("Type")) === "Catalog") return dict;
  }
  return undefined;
}

/** One page's text: its content streams, read in order as one. */
async function pageText(
  doc: PdfDocument,
  page: Page,
  budget: Budget,
  maxChars: number,
): Promise<string> {
  const contents = doc.resolve(page.dict.get("Contents"));
  const parts = Array.isArray(contents) ? contents.map((c) => doc.resolve(c)) : [contents];
  const streams: Uint8Array[] = [];
  for (const part of parts) {
    if (!(part instanceof PdfStream)) continue;
    const data = await decodeStream(part, budget);
    if (data) streams.push(data, NEWLINE);
  }
  const collector = new TextCollector(doc, budget, maxChars);
  await collector.read(concat(streams), page.resources);
  return collector.text();
}

const NEWLINE = Uint8Array.of(10);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
