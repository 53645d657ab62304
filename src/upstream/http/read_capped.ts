/** Reading a non-streaming upstream answer with a size limit: a broken upstream must not fill memory. */

import { ByteCollector } from "../../core/byte_collector.ts";
import { messageOf, UpstreamError } from "../../core/errors.ts";
import { bodyChunks } from "../../resilience/guarded_response.ts";

const decoder = new TextDecoder();

// What to do about an answer past the limit, when the limit is `server.max_response_size`.
const RAISE_LIMIT = "raise server.max_response_size to allow more";

/**
 * The answer's JSON, read up to `maxBytes`.
 * Past the limit, or for a body that is not JSON, an UpstreamError (502) names `where` (given as a
 * function, it is asked only then: most answers are read without one).
 * `remedy` says what to do about an answer past the limit; the default fits a limit the user set.
 */
export async function readJsonCapped(
  response: Response,
  maxBytes: number,
  where: string | (() => string),
  remedy = RAISE_LIMIT,
): Promise<unknown> {
  const declared = Number(response.headers.get("content-length") ?? "NaN");
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(nameOf(where), maxBytes, remedy);
  }
  // Chunks are kept as they arrive and joined once: most answers come in one chunk, decoded as is
  // (a 64 KiB buffer per answer cost more CPU than the rest of reading it). A guarded upstream
  // body is read directly, without the stream around it (its pull and queue per read).
  const collected = new ByteCollector();
  const reader = bodyChunks(response);
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (collected.size + value.byteLength > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(nameOf(where), maxBytes, remedy);
      }
      collected.add(value);
    }
  }
  try {
    return JSON.parse(collected.withBytes((bytes) => decoder.decode(bytes)));
  } catch (error) {
    const reason = messageOf(error);
    throw new UpstreamError(
      "api_error",
      `${nameOf(where)} sent an unreadable JSON answer: ${reason}`,
      {
        status: 502,
      },
    );
  }
}

function nameOf(where: string | (() => string)): string {
  return typeof where === "string" ? where : where();
}

/** The 502 of an answer that ran past `maxBytes`, streamed or not. */
export function tooLarge(where: string, maxBytes: number, remedy = RAISE_LIMIT): UpstreamError {
  return new UpstreamError(
    "api_error",
    `${where} sent an answer larger than ${sizeOf(maxBytes)}; ccp stopped reading it (${remedy})`,
    { status: 502 },
  );
}

/** `64 KiB`, `4 MiB`, `1.5 MiB`. */
function sizeOf(bytes: number): string {
  if (bytes < 1048576) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / 1048576).toFixed(bytes % 1048576 === 0 ? 0 : 1)} MiB`;
}
