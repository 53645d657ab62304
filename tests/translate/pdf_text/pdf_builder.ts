/**
 * Small PDF writers for the tests: real-shaped files (catalog, pages tree, fonts, content
 * streams, a cross-reference table or stream) built from a few lines of text.
 */

const enc = new TextEncoder();

/** zlib-deflated bytes, as a FlateDecode stream holds them. */
export async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** An object body: plain text, or a stream (its dictionary entries and data). */
export type Body = string | { dict: string; data: Uint8Array };

export interface BuildOptions {
  /** Pack the non-stream objects in an object stream, indexed by a cross-reference stream. */
  objectStream?: boolean;
  /** Extra trailer entries (e.g. an /Encrypt reference). */
  trailer?: string;
}

/** A PDF file of `objects` (numbered from 1; object 1 is the catalog). */
export function buildPdf(objects: Body[], options: BuildOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [enc.encode("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")];
  let size = parts[0]!.length;
  const offsets: number[] = [];
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
  };
  const streamObj = (num: number, dict: string, data: Uint8Array) => {
    offsets[num] = size;
    push(enc.encode(`${num} 0 obj\n<< ${dict} /Length ${data.length} >>\nstream\n`));
    push(data);
    push(enc.encode("\nendstream\nendobj\n"));
  };
  const packed: [number, string][] = [];
  objects.forEach((body, i) => {
    const num = i + 1;
    if (typeof body !== "string") return streamObj(num, body.dict, body.data);
    if (options.objectStream) return packed.push([num, body]);
    offsets[num] = size;
    push(enc.encode(`${num} 0 obj\n${body}\nendobj\n`));
  });
  const total = objects.length;
  if (options.objectStream) {
    let head = "";
    let text = "";
    for (const [num, body] of packed) {
      head += `${num} ${text.length} `;
      text += body + "\n";
    }
    const data = enc.encode(head + "\n" + text);
    const first = head.length + 1;
    streamObj(total + 1, `/Type /ObjStm /N ${packed.length} /First ${first}`, data);
    // The cross-reference stream (uncompressed, 1-4-2 byte fields).
    const rows: number[] = [0, 0, 0, 0, 0, 255, 255];
    for (let num = 1; num <= total + 2; num++) {
      const at = packed.findIndex(([n]) => n === num);
      const off = num === total + 2 ? size : offsets[num] ?? 0;
      if (at >= 0) rows.push(2, 0, 0, 0, total + 1, 0, at);
      else rows.push(1, (off >>> 24) & 255, (off >>> 16) & 255, (off >>> 8) & 255, off & 255, 0, 0);
    }
    streamObj(
      total + 2,
      `/Type /XRef /Size ${total + 3} /W [1 4 2] /Root 1 0 R ${options.trailer ?? ""}`,
      Uint8Array.from(rows),
    );
    push(enc.encode(`startxref\n${offsets[total + 2]}\n%%EOF\n`));
  } else {
    const xref = size;
    let table = `xref\n0 ${total + 1}\n0000000000 65535 f \n`;
    for (let num = 1; num <= total; num++) {
      table += `${String(offsets[num] ?? 0).padStart(10, "0")} 00000 n \n`;
    }
    table += `trailer\n<< /Size ${total + 1} /Root 1 0 R ${options.trailer ?? ""} >>\n`;
    push(enc.encode(`${table}startxref\n${xref}\n%%EOF\n`));
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A content stream that writes each line with Tj, one line below the other. */
export function linesContent(lines: string[], font = "/F1"): string {
  const shown = lines.map((l) => `(${l.replace(/([()\\])/g, "\\$1")}) Tj T*`).join("\n");
  return `BT ${font} 12 Tf 14 TL 72 720 Td\n${shown}\nET`;
}

/**
 * The objects of a simple document: catalog, pages tree, a Helvetica font (WinAnsi), then one
 * page and one content stream per entry of `contents` (stream bodies, compressed or not).
 */
export function simpleDocument(contents: Body[]): Body[] {
  const n = contents.length;
  const pageNums = contents.map((_, i) => 4 + i * 2);
  const objects: Body[] = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    `<< /Type /Pages /Kids [${pageNums.map((p) => `${p} 0 R`).join(" ")}] /Count ${n} >>`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
  ];
  contents.forEach((content, i) => {
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${
        5 + i * 2
      } 0 R >>`,
      content,
    );
  });
  return objects;
}

/** A content stream body, uncompressed. */
export const plain = (text: string): Body => ({ dict: "", data: enc.encode(text) });

/** A content stream body, FlateDecode-compressed. */
export async function flate(text: string): Promise<Body> {
  return { dict: "/Filter /FlateDecode", data: await deflate(enc.encode(text)) };
}

/** Base64 of bytes, as a document block carries a PDF. */
export const base64 = (bytes: Uint8Array): string => bytes.toBase64();
