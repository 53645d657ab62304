/**
 * Reads a request body as JSON with bounded memory and time: what is held stays within about
 * twice the bytes that arrived (see ByteCollector), a body past the size limit is refused, and
 * the whole body must arrive within the body timeout.
 */

import type { Config } from "../config/types.ts";
import { describeByteSize } from "../config/units.ts";
import { ByteCollector } from "../core/byte_collector.ts";
import { type Cancel, deadline } from "../core/deadlines.ts";
import { ClientRequestError, messageOf } from "../core/errors.ts";
import { rememberRawJson } from "../core/raw_json.ts";
import { decompress, inflate } from "./inflate.ts";

// Decoding without `stream` keeps no state between calls: one decoder serves every request.
const decoder = new TextDecoder();

/** Limits on one request body. */
export interface BodyLimits {
  /** Bodies above this many bytes get 413. */
  readonly maxBytes: number;
  /** The whole body must arrive within this many milliseconds (0 = no limit). */
  readonly timeoutMs: number;
}

/**
 * Header the connection guard puts on a request whose declared body is over the size limit: it
 * passes on the head alone, with this size, and the handler refuses it as it refuses a body that
 * ran over the limit while being read.
 */
export const BODY_TOO_LARGE_HEADER = "x-ccp-body-too-large";

/** The body limits of the server config. */
export function bodyLimits(config: Config): BodyLimits {
  return { maxBytes: config.server.maxBodyBytes, timeoutMs: config.server.clientTimeouts.bodyMs };
}

/** Reads and parses the JSON body: 413 past the limit, 400 for a late, cut or invalid body. */
export async function readJsonBody(
  request: Request,
  limits: BodyLimits | number,
): Promise<unknown> {
  const { maxBytes, timeoutMs } = typeof limits === "number"
    ? { maxBytes: limits, timeoutMs: 0 }
    : limits;
  const header = request.headers.get("content-length");
  const declared = header === null ? undefined : Number(header);
  if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
  if (request.headers.has(BODY_TOO_LARGE_HEADER)) throw tooLarge(maxBytes);
  const encoding = bodyEncoding(request.headers.get("content-encoding"));
  const collected = await readBounded(request, maxBytes, timeoutMs, declared, encoding);
  const text = collected.withBytes((bytes) => decoder.decode(bytes));
  if (text.trim() === "") {
    throw new ClientRequestError("Request body is empty: expected a JSON object");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const reason = messageOf(err);
    throw new ClientRequestError(`Request body is not valid JSON: ${reason}`);
  }
  // Passthrough upstreams get the unchanged parts of a large body copied from these bytes, which
  // would be garbage now: kept instead, they cost no copy.
  rememberRawJson(parsed, text, collected.parts());
  return parsed;
}

/**
 * How the body is compressed: Anthropic's API takes gzip bodies, so a client may send one (a
 * session's history compresses well). An encoding ccp cannot undo is named, where reading the
 * bytes as JSON would only say that they are not JSON.
 */
function bodyEncoding(header: string | null): CompressionFormat | undefined {
  if (header === null) return undefined;
  const named = header.split(",").map((part) => part.trim().toLowerCase())
    .filter((part) => part !== "" && part !== "identity");
  if (named.length === 0) return undefined;
  const format = named.length === 1 ? DECODERS[named[0]!] : undefined;
  if (format) return format;
  throw new ClientRequestError(
    `Request body is encoded as "${
      header!.slice(0, 40)
    }", which ccp cannot decode: send it uncompressed, or as gzip, deflate or br`,
  );
}

// HTTP's `deflate` is read in either of the forms clients send (inflate.ts); Deno names Brotli
// "brotli".
const DECODERS: Readonly<Record<string, CompressionFormat>> = Object.assign(Object.create(null), {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  br: "brotli" as CompressionFormat,
});

async function readBounded(
  request: Request,
  maxBytes: number,
  timeoutMs: number,
  declared: number | undefined,
  encoding: CompressionFormat | undefined,
): Promise<ByteCollector> {
  const collected = new ByteCollector();
  // Read once: each read of `request.body` is a getter's work in Deno.
  const body = request.body;
  if (!body) return collected;
  const exact = !encoding && declared !== undefined && declared > ONE_READ_BODY &&
      declared <= EXACT_READ_BYTES
    ? byobReader(body)
    : undefined;
  if (exact) {
    collected.add(await readExact(exact, declared!, timeoutMs));
    return collected;
  }
  // The size limit holds for the decoded bytes: a small compressed body may hold a huge one.
  const plain =
    (encoding === "deflate" ? inflate(body) : encoding ? decompress(body, encoding) : body)
      .getReader();
  let reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader = plain;
  let read = () => plain.read();
  const timer = bodyDeadline(timeoutMs, () => reader);
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await read();
      } catch (err) {
        if (timer.fired) throw late(timeoutMs);
        if (encoding) {
          const reason = messageOf(err);
          throw new ClientRequestError(
            `Request body could not be decoded as ${
              request.headers.get("content-encoding")
            } after ${collected.size} bytes: ${reason}`,
            "invalid_request_error",
            undefined,
            CLOSE,
          );
        }
        throw new ClientRequestError(
          `Request body ended after ${collected.size} bytes, before the ${
            declared ?? "announced"
          } bytes the request declared`,
        );
      }
      if (result.done) break;
      const chunk = result.value;
      if (collected.size + chunk.byteLength > maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(maxBytes);
      }
      collected.add(chunk);
      if (
        !encoding && collected.size === declared && declared > ONE_READ_BODY &&
        reader instanceof ReadableStreamDefaultReader
      ) {
        // All the declared bytes are here; the read that finds the end comes next. Deno's server
        // keeps the buffer of a body's last read on the request as long as the answer lasts, and
        // a plain read's is 64 KiB: this one reads into one byte of ccp's. (Ending without that
        // read is no way out: the server then closes the connection after the answer.)
        ({ reader, read } = endReader(reader, body));
      }
    }
    if (timer.fired) throw late(timeoutMs);
  } finally {
    timer.stop?.();
  }
  // A declared length counts the encoded bytes; the decoder said whether they were all there.
  if (!encoding && declared !== undefined && collected.size < declared) {
    throw new ClientRequestError(
      `Request body ended after ${collected.size} bytes, before the ${declared} bytes the ` +
        "request declared",
    );
  }
  return collected;
}

// A body this small arrives with its end (in the read of its head), so no read for the end is
// left waiting; a BYOB reader for it cost CPU on every small request (a 2 KB body read exactly:
// 32-42 against 20-23 us in process).
const ONE_READ_BODY = 16 * 1024;

/**
 * Larger bodies of a declared length up to this are read into one buffer of that length
 * (readExact). Larger ones come in several plain reads, whose 64 KiB buffers they fill.
 */
const EXACT_READ_BYTES = 64 * 1024;

function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a Request made in process).
    return undefined;
  }
}

/**
 * Reads a body of `declared` bytes into a buffer of exactly that size, then finds its end with a
 * read into one byte of its own (Deno's server keeps the buffer of the read that finds a body's
 * end on the request for as long as the answer lasts). A plain read would put a 47 KB Claude Code
 * body into a fresh 64 KiB buffer, and another read would switch readers for the end: read
 * exactly, such a request costs less CPU, and 500 of them arriving at once leave less garbage.
 */
async function readExact(
  reader: ReadableStreamBYOBReader,
  declared: number,
  timeoutMs: number,
): Promise<Uint8Array> {
  const timer = bodyDeadline(timeoutMs, () => reader);
  let buffer = new Uint8Array(declared);
  let filled = 0;
  try {
    while (filled < declared) {
      // The buffer is handed over and comes back with the bytes read, as a new view.
      const { value, done } = await reader.read(buffer.subarray(filled));
      if (done || !value) break;
      buffer = new Uint8Array(value.buffer);
      filled += value.byteLength;
    }
    if (filled === declared && !(await reader.read(new Uint8Array(1))).done) {
      throw new ClientRequestError(`Request body is longer than the ${declared} bytes declared`);
    }
  } catch (err) {
    if (timer.fired) throw late(timeoutMs);
    if (err instanceof ClientRequestError) throw err;
  } finally {
    timer.stop?.();
  }
  if (timer.fired) throw late(timeoutMs);
  if (filled < declared) {
    throw new ClientRequestError(
      `Request body ended after ${filled} bytes, before the ${declared} bytes the request declared`,
    );
  }
  return buffer;
}

/** A reader of `body` for the read that finds its end: a BYOB one reading into one byte. */
function endReader(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  body: ReadableStream<Uint8Array>,
): {
  reader: ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader;
  read: () => Promise<ReadableStreamReadResult<Uint8Array>>;
} {
  reader.releaseLock();
  let byob: ReadableStreamBYOBReader;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream (a Request made in process): a plain reader again.
    const plain = body.getReader();
    return { reader: plain, read: () => plain.read() };
  }
  return { reader: byob, read: () => byob.read(new Uint8Array(1)) };
}

/**
 * Cancels the reader `current` returns (the one in use when time runs out) after `timeoutMs`
 * (0: never); `fired` says whether it did, so a read that fails then is reported as too slow.
 */
function bodyDeadline(
  timeoutMs: number,
  current: () => { cancel(reason?: unknown): Promise<void> },
): { fired: boolean; stop?: Cancel } {
  const timer: { fired: boolean; stop?: Cancel } = { fired: false };
  if (timeoutMs > 0) {
    timer.stop = deadline(timeoutMs, () => {
      timer.fired = true;
      current().cancel("body timeout").catch(() => {});
    });
  }
  return timer;
}

/**
 * On an answer given before the body was read to its end (too slow, too large, not decodable):
 * the connection closes after it. Kept open, the server would read what the client still sends of
 * that body, and the next request on it would wait behind a body nobody reads; closed, the client
 * reads the error whole (the connection guard lingers over the rest, see GuardedConnection.linger)
 * and sends its next request on a new connection.
 */
const CLOSE: Readonly<Record<string, string>> = { connection: "close" };

function late(timeoutMs: number): ClientRequestError {
  return new ClientRequestError(
    `Request body did not arrive within ${timeoutMs / 1000} s (server.timeouts.body)`,
    "invalid_request_error",
    undefined,
    CLOSE,
  );
}

/** The 413 message, from the guard (declared size) and here (bytes read) alike. */
function bodyTooLargeMessage(limit: number): string {
  return `Request body exceeds the ${
    describeByteSize(limit)
  } limit (raise server.max_body_size in the config)`;
}

function tooLarge(limit: number): ClientRequestError {
  return new ClientRequestError(bodyTooLargeMessage(limit), "request_too_large", undefined, CLOSE);
}
