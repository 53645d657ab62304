/** Reading a non-streaming upstream answer with a size limit: a broken upstream must not fill memory. */

import { UpstreamError } from "../../core/errors.ts";

/**
 * The answer's JSON, read into one buffer that grows with what arrives, up to `maxBytes`.
 * Past the limit, or for a body that is not JSON, an UpstreamError (502) names `where`.
 */
export async function readJsonCapped(
  response: Response,
  maxBytes: number,
  where: string,
): Promise<unknown> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(where, maxBytes);
  }
  let buffer = new Uint8Array(Math.min(64 * 1024, maxBytes + 1));
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(where, maxBytes);
      }
      if (size + value.byteLength > buffer.byteLength) {
        const grown = new Uint8Array(
          Math.min(maxBytes + 1, Math.max(buffer.byteLength * 2, size + value.byteLength)),
        );
        grown.set(buffer.subarray(0, size));
        buffer = grown;
      }
      buffer.set(value, size);
      size += value.byteLength;
    }
  }
  try {
    return JSON.parse(new TextDecoder().decode(buffer.subarray(0, size)));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UpstreamError("api_error", `${where} sent an unreadable JSON answer: ${reason}`, {
      status: 502,
    });
  }
}

function tooLarge(where: string, maxBytes: number): UpstreamError {
  const mib = (maxBytes / 1048576).toFixed(maxBytes % 1048576 === 0 ? 0 : 1);
  return new UpstreamError(
    "api_error",
    `${where} sent an answer larger than ${mib} MiB; ccp stopped reading it (raise server.max_response_size to allow more)`,
    { status: 502 },
  );
}
