/**
 * A stream's bytes decoded: FlateDecode through the runtime's DecompressionStream, capped so a
 * deflate bomb (a few KB that inflate to gigabytes) stops at the cap instead of taking memory.
 * Other filters (images' DCT, JBIG2, ...) hold no text: such a stream decodes to nothing.
 */

import type { Budget } from "./budget.ts";
import { nameOf, type PdfObj, PdfStream } from "./objects.ts";

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

/** The stream's decoded bytes; undefined for a filter that carries no text, or a spent budget. */
export async function decodeStream(
  stream: PdfStream,
  budget: Budget,
): Promise<Uint8Array | undefined> {
  let data = stream.raw;
  for (const filter of filtersOf(stream)) {
    if (filter !== "FlateDecode" && filter !== "Fl") return undefined;
    if (budget.inflateLeft <= 0 || budget.spent) return undefined;
    data = await inflate(data, Math.min(MAX_STREAM_BYTES, budget.inflateLeft));
    budget.inflateLeft -= data.byteLength;
    // The file's allowance spent: what is left unread is not "no text", so reading ends here.
    if (budget.inflateLeft <= 0) budget.exhaust();
    if (!budget.spend(Math.ceil(data.byteLength / 4096))) return undefined;
  }
  return data;
}
