/**
 * Encoders for the old filters (LZW, ASCII85, ASCIIHex), written from the PDF rules the
 * decoders read by, so the tests can build files that use them.
 */

const enc = new TextEncoder();

/** LZW as PDF writes it: 9-12 bit codes, a clear code first and when the table is full. */
export function lzwEncode(data: Uint8Array, earlyChange = 1): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let held = 0;
  let width = 9;
  const emit = (code: number) => {
    bits = (bits << width) | code;
    held += width;
    while (held >= 8) {
      out.push((bits >>> (held - 8)) & 255);
      held -= 8;
    }
    bits &= (1 << held) - 1;
  };
  let table = new Map<string, number>();
  let next = 258;
  const reset = () => {
    table = new Map();
    for (let c = 0; c < 256; c++) table.set(String.fromCharCode(c), c);
    next = 258;
  };
  reset();
  emit(256);
  let word = "";
  for (const byte of data) {
    const longer = word + String.fromCharCode(byte);
    if (table.has(longer)) {
      word = longer;
      continue;
    }
    emit(table.get(word)!);
    table.set(longer, next++);
    // The reader adds its entry one code later, and widens when its next code needs it.
    if (next - 1 + earlyChange >= 1 << width && width < 12) width++;
    if (next >= 4094) {
      emit(256);
      reset();
      width = 9;
    }
    word = String.fromCharCode(byte);
  }
  if (word) emit(table.get(word)!);
  emit(257);
  if (held > 0) out.push((bits << (8 - held)) & 255);
  return Uint8Array.from(out);
}

/** ASCII85, 60 characters a line, `z` for four zeros. */
export function ascii85Encode(data: Uint8Array): Uint8Array {
  let text = "";
  for (let at = 0; at < data.length; at += 4) {
    const n = Math.min(4, data.length - at);
    let value = 0;
    for (let k = 0; k < 4; k++) value = value * 256 + (data[at + k] ?? 0);
    if (n === 4 && value === 0) {
      text += "z";
      continue;
    }
    const digits: string[] = [];
    for (let k = 0; k < 5; k++) {
      digits.unshift(String.fromCharCode(33 + (value % 85)));
      value = Math.floor(value / 85);
    }
    text += digits.slice(0, n + 1).join("");
    if (at % 60 === 56) text += "\n";
  }
  return enc.encode(text + "~>");
}

/** ASCIIHex, a space between bytes. */
export const asciiHexEncode = (data: Uint8Array): Uint8Array =>
  enc.encode(Array.from(data, (b) => b.toString(16).padStart(2, "0")).join(" ") + ">");
