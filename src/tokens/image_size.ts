/**
 * Image dimensions from the first bytes of base64 PNG, JPEG, GIF and WebP data, and Claude's
 * image token cost, computed the way Claude resizes and pads images.
 */
import { Base64Bytes } from "./base64_bytes.ts";
import { type ImageTier, STANDARD_TIER } from "./models.ts";

/** Width and height in pixels, with the format recognised from the magic bytes. */
export interface ImageSize {
  width: number;
  height: number;
  format: "png" | "jpeg" | "gif" | "webp";
}

const PATCH = 28;

function be16(b: Uint8Array, i: number): number {
  return ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
}
function le16(b: Uint8Array, i: number): number {
  return (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
}
function le24(b: Uint8Array, i: number): number {
  return le16(b, i) | ((b[i + 2] ?? 0) << 16);
}
function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, to));
}

function png(b: Uint8Array): ImageSize | undefined {
  // Signature, then the IHDR chunk: length, "IHDR", width and height as big-endian u32.
  if (ascii(b, 12, 16) !== "IHDR") return undefined;
  const width = (be16(b, 16) * 65536) + be16(b, 18);
  const height = (be16(b, 20) * 65536) + be16(b, 22);
  return { width, height, format: "png" };
}

function webp(b: Uint8Array): ImageSize | undefined {
  const chunk = ascii(b, 12, 16);
  if (chunk === "VP8 ") {
    // Lossy: key-frame start code 9d 01 2a, then 14-bit width and height.
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return { width: le16(b, 26) & 0x3fff, height: le16(b, 28) & 0x3fff, format: "webp" };
  }
  if (chunk === "VP8L") {
    // Lossless: signature 0x2f, then width-1 and height-1 packed as two 14-bit fields.
    if (b[20] !== 0x2f) return undefined;
    const bits = le16(b, 21) + le16(b, 23) * 65536;
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, format: "webp" };
  }
  if (chunk === "VP8X") {
    // Extended: canvas width-1 and height-1 as 24-bit little-endian values.
    return { width: le24(b, 24) + 1, height: le24(b, 27) + 1, format: "webp" };
  }
  return undefined;
}

// Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) do not.
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpeg(data: Base64Bytes): ImageSize | undefined {
  // Walk the marker segments, decoding only each header; EXIF and ICC blocks are skipped over.
  let pos = 2;
  for (let guard = 0; guard < 4096; guard++) {
    const head = data.read(pos, 4);
    if (head === undefined || head[0] !== 0xff) return undefined;
    const marker = head[1] ?? 0;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos += 2; // standalone markers have no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / scan data first
    if (SOF.has(marker)) {
      const frame = data.read(pos + 5, 4);
      if (frame === undefined) return undefined;
      return { width: be16(frame, 2), height: be16(frame, 0), format: "jpeg" };
    }
    pos += 2 + be16(head, 2);
  }
  return undefined;
}

/** Read width and height from base64 image data without decoding more than the headers. */
export function readImageSize(base64: string): ImageSize | undefined {
  const data = new Base64Bytes(base64);
  const head = data.read(0, Math.min(32, data.length));
  if (head === undefined || head.length < 10) return undefined;
  let size: ImageSize | undefined;
  if (head[0] === 0x89 && ascii(head, 1, 4) === "PNG") size = png(head);
  else if (head[0] === 0xff && head[1] === 0xd8) size = jpeg(data);
  else if (ascii(head, 0, 4) === "GIF8") {
    size = { width: le16(head, 6), height: le16(head, 8), format: "gif" };
  } else if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") size = webp(head);
  return size !== undefined && size.width > 0 && size.height > 0 ? size : undefined;
}

/** Visual tokens of an image Claude sees at this size: one per 28×28 patch, padding included. */
function patchTokens(width: number, height: number): number {
  return Math.ceil(width / PATCH) * Math.ceil(height / PATCH);
}

// Python's round(): exact .5 ties go to the even neighbour, as the live API does.
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  if (value - floor !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The size Claude downscales an image to (largest aspect-preserving size within the tier). */
export function resizedImageSize(
  width: number,
  height: number,
  tier: ImageTier = STANDARD_TIER,
): [number, number] {
  const fits = (w: number, h: number): boolean =>
    Math.ceil(w / PATCH) * PATCH <= tier.maxEdge &&
    Math.ceil(h / PATCH) * PATCH <= tier.maxEdge &&
    patchTokens(w, h) <= tier.maxTokens;
  if (fits(width, height)) return [width, height];
  if (height > width) {
    const [h, w] = resizedImageSize(height, width, tier);
    return [w, h];
  }
  // Binary search along the long edge, as Claude itself resizes, so sizes match to the pixel.
  const aspect = width / height;
  let lo = 1;
  let hi = width;
  while (lo + 1 < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid, Math.max(roundHalfEven(mid / aspect), 1))) lo = mid;
    else hi = mid;
  }
  return [lo, Math.max(roundHalfEven(lo / aspect), 1)];
}

/** Tokens Claude charges for an image of this size on this tier (after downscaling). */
export function imageTokens(
  width: number,
  height: number,
  tier: ImageTier = STANDARD_TIER,
): number {
  if (!(width >= 1 && height >= 1 && Number.isFinite(width * height))) return tier.maxTokens;
  const [w, h] = resizedImageSize(Math.round(width), Math.round(height), tier);
  return patchTokens(w, h);
}
