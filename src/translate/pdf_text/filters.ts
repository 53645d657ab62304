/**
 * A stream's bytes decoded: FlateDecode through the runtime's DecompressionStream, LZW, ASCII85
 * and ASCIIHex here (old_filters.ts), one after the other as the stream names them, each capped
 * so a bomb (a few KB that inflate to gigabytes) stops at the cap instead of taking memory.
 * Other filters (images' DCT, JBIG2, ...) hold no text: such a stream decodes to nothing.
 */

import type { Budget } from "./budget.ts";
import { nameOf, type PdfObj, PdfStream } from "./objects.ts";
import { ascii85, asciiHex, lzw } from "./old_filters.ts";

/** One stream may inflate to at most this many bytes. */
export const MAX_STREAM_BYTES = 16 * 1024 * 1024;

/** `raw` inflated (zlib), at most `cap` bytes; what came out before an error or the cap. */
export async function inflate(raw: Uint8Array, cap: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = new Blob([raw as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("deflate")).getReader();
  try {
    while (size < cap) {
      const { value, done } = await reader.read();
      if (done || !value) break;
      chunks.push(value.byteLength > cap - size ? value.subarray(0, cap - size) : value);
      size += Math.min(value.byteLength, cap - size);
    }
  } catch {
    // A truncated or damaged stream: what inflated before the damage is still text.
  } finally {
    reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** The filter names of a stream, in order. */
function filtersOf(stream: PdfStream): string[] {
  const f: PdfObj | undefined = stream.dict.get("Filter");
  if (Array.isArray(f)) return f.map((x) => nameOf(x) ?? "?");
  const one = nameOf(f);
  return one ? [one] : [];
}

/** The `/EarlyChange` of the filter at `index` (LZW's; 1 unless its parameters say 0). */
function earlyChange(stream: PdfStream, index: number): number {
  const parms: PdfObj | undefined = stream.dict.get("DecodeParms");
  const own = Array.isArray(parms) ? parms[index] : parms;
  return own instanceof Map && own.get("EarlyChange") === 0 ? 0 : 1;
}

/** `data` through one filter, at most `cap` bytes; undefined for a filter that holds no text. */
function decodeOne(
  filter: string,
  data: Uint8Array,
  cap: number,
  stream: PdfStream,
  index: number,
): Promise<Uint8Array> | Uint8Array | undefined {
  switch (filter) {
    case "FlateDecode":
    case "Fl":
      return inflate(data, cap);
    case "LZWDecode":
    case "LZW":
      return lzw(data, cap, earlyChange(stream, index));
    case "ASCII85Decode":
    case "A85":
      return ascii85(data, cap);
    case "ASCIIHexDecode":
    case "AHx":
      return asciiHex(data, cap);
    default:
      return undefined;
  }
}

/** The stream's decoded bytes; undefined for a filter that carries no text, or a spent budget. */
export async function decodeStream(
  stream: PdfStream,
  budget: Budget,
): Promise<Uint8Array | undefined> {
  let data = stream.raw;
  for (const [index, filter] of filtersOf(stream).entries()) {
    if (budget.inflateLeft <= 0 || budget.spent) return undefined;
    const cap = Math.min(MAX_STREAM_BYTES, budget.inflateLeft);
    const decoded = await decodeOne(filter, data, cap, stream, index);
    if (decoded === undefined) return undefined;
    data = decoded;
    budget.inflateLeft -= data.byteLength;
    // The file's allowance spent: what is left unread is not "no text", so reading ends here.
    if (budget.inflateLeft <= 0) budget.exhaust();
    if (!budget.spend(Math.ceil(data.byteLength / 4096))) return undefined;
  }
  return data;
}
