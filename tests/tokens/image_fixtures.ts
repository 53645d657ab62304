/** Builders of tiny, structurally valid image headers for the image-size tests. */

import { concatBytes } from "../helpers/bytes.ts";

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function concat(...parts: (Uint8Array | number[] | string)[]): Uint8Array {
  return concatBytes(
    parts.map((p) =>
      typeof p === "string"
        ? new TextEncoder().encode(p)
        : p instanceof Uint8Array
        ? p
        : Uint8Array.from(p)
    ),
  );
}

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [...be16((v >>> 16) & 0xffff), ...be16(v & 0xffff)];
const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff];
const le24 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff];
const le32 = (v: number): number[] => [...le16(v & 0xffff), ...le16((v >>> 16) & 0xffff)];

/** Base64 of bytes (the way clients put images into requests). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** PNG signature, IHDR (8-bit RGB) with a correct CRC, and IEND. */
export function png(width: number, height: number): Uint8Array {
  const ihdr = concat("IHDR", be32(width), be32(height), [8, 2, 0, 0, 0]);
  const iend = concat("IEND");
  return concat(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    be32(13),
    ihdr,
    be32(crc32(ihdr)),
    be32(0),
    iend,
    be32(crc32(iend)),
  );
}

/** GIF89a logical screen descriptor and trailer. */
export function gif(width: number, height: number): Uint8Array {
  return concat("GIF89a", le16(width), le16(height), [0, 0, 0, 0x3b]);
}

/**
 * JPEG with APP0 (JFIF), `metadataBytes` of APP1/APP2 segments (at most 64 KB each, as in real
 * files), a DQT and then a start of frame (`sof` 0xc0 baseline, 0xc2 progressive), so the parser
 * must skip segments to find the dimensions.
 */
export function jpeg(width: number, height: number, metadataBytes = 0, sof = 0xc0): Uint8Array {
  const app0 = concat([0xff, 0xe0], be16(16), "JFIF\0", [1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const segments: Uint8Array[] = [];
  for (let left = metadataBytes; left > 0; left -= 60_000) {
    const payload = concat("Exif\0\0", new Uint8Array(Math.min(left, 60_000)));
    segments.push(
      concat([0xff, segments.length === 0 ? 0xe1 : 0xe2], be16(payload.length + 2), payload),
    );
  }
  const app1 = concat(...segments);
  const dqt = concat([0xff, 0xdb], be16(67), [0], new Uint8Array(64).fill(1));
  const frame = concat([0xff, sof], be16(17), [8], be16(height), be16(width), [3]);
  const components = [1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1];
  return concat([0xff, 0xd8], app0, app1, [0xff], dqt, frame, components, [0xff, 0xd9]);
}

function riff(chunk: string, payload: Uint8Array): Uint8Array {
  const body = concat("WEBP", chunk, le32(payload.length), payload);
  return concat("RIFF", le32(body.length), body);
}

/** Lossy WebP ("VP8 "): frame tag, start code 9d 01 2a, 14-bit width and height. */
export function webpLossy(width: number, height: number): Uint8Array {
  return riff("VP8 ", concat([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a], le16(width), le16(height)));
}

/** Lossless WebP ("VP8L"): signature 0x2f, width-1 and height-1 in 14 bits each. */
export function webpLossless(width: number, height: number): Uint8Array {
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  return riff("VP8L", concat([0x2f], le32(bits >>> 0)));
}

/** Extended WebP ("VP8X"): flags, canvas width-1 and height-1 as 24-bit values. */
export function webpExtended(width: number, height: number): Uint8Array {
  return riff("VP8X", concat([0, 0, 0, 0], le24(width - 1), le24(height - 1)));
}
