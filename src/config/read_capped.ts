/**
 * Reads a config file or `.env` with a size limit. Either may be a link, and a link can be pointed
 * at a device that never ends (`/dev/zero`, `/dev/urandom`): read whole, it would fill memory until
 * the system stopped ccp, at start or at the next reload on save. A pipe (`--config <(...)`) still
 * reads, up to the limit.
 */

/** Far more than any config or `.env` holds. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** The file's text as UTF-8; throws when it holds more than the limit (or cannot be read). */
export async function readTextCapped(path: string): Promise<string> {
  using file = await Deno.open(path);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buffer = new Uint8Array(64 * 1024);
    const n = await file.read(buffer);
    if (n === null) break;
    total += n;
    if (total > MAX_CONFIG_BYTES) {
      throw new Error(`it holds more than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB (is it a device?)`);
    }
    chunks.push(n === buffer.length ? buffer : buffer.subarray(0, n));
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  // As Deno.readTextFile decodes: a BOM is kept, for the readers that look for it.
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}
