/** Base64url without padding, as ccp's own thinking signatures carry their records. */

/** `bytes` as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  // Chunked: a spread of a whole large payload (a long signature, `reasoning_details`) would
  // overflow the argument list.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The bytes of base64url text, padded or not; throws on text that is not base64. */
export function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
