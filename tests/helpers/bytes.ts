/** Byte helpers the tests share. */

/** The parts one after another in one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `bytes` cut at each of `cuts` (in any order, repeats and out-of-range cuts ignored). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (cut > from && cut < bytes.length) {
      out.push(bytes.slice(from, cut));
      from = cut;
    }
  }
  out.push(bytes.slice(from));
  return out;
}
