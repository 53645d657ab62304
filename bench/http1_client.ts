/**
 * An HTTP/1.1 client that sends a request the way Claude Code's (Node's) HTTP client does: the
 * head and a known-length body in one write, on a kept-alive connection. Deno's fetch writes the
 * head and the body separately, which a server in front of ccp (its connection guard) reads
 * differently: the real CLI's 50 KB first request reaches a socket in one read.
 *
 * Answers are read with a Content-Length or chunked framing; each chunk of a chunked body is
 * handed on as it is decoded, so a stream's reads can be timed as fetch's body reads are.
 */

const encoder = new TextEncoder();
const CRLF_CRLF = [13, 10, 13, 10];

/** An answer's status line and headers; its body went to `onChunk`. */
export interface Http1Answer {
  readonly status: number;
  readonly headers: Headers;
}

/** One kept-alive connection to `url`'s origin; requests on it run one at a time. */
export class Http1Connection {
  #conn: Deno.TcpConn | undefined;
  #buffer = new Uint8Array(64 * 1024);
  /** Bytes read past the current answer's end (the next answer's start never comes unasked). */
  #pending: Uint8Array = new Uint8Array(0);

  constructor(readonly url: URL) {}

  /**
   * POSTs `body` with `headers`; calls `onChunk` with each piece of the answer's body as it
   * arrives. Resolves with the status and headers once the body has ended. An error closes the
   * connection.
   */
  async post(
    headers: Record<string, string>,
    body: string,
    onChunk: (bytes: Uint8Array) => void,
    signal: AbortSignal,
  ): Promise<Http1Answer> {
    const onAbort = () => this.close();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const conn = this.#conn ??= await Deno.connect({
        hostname: this.url.hostname,
        port: Number(this.url.port),
      });
      const bodyBytes = encoder.encode(body);
      const lines = [
        `POST ${this.url.pathname}${this.url.search} HTTP/1.1`,
        `host: ${this.url.host}`,
      ];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      lines.push(`content-length: ${bodyBytes.byteLength}`, "", "");
      const head = encoder.encode(lines.join("\r\n"));
      const request = new Uint8Array(head.byteLength + bodyBytes.byteLength);
      request.set(head);
      request.set(bodyBytes, head.byteLength);
      for (let at = 0; at < request.byteLength;) at += await conn.write(request.subarray(at));
      return await this.#answer(onChunk);
    } catch (error) {
      this.close();
      throw error;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  close(): void {
    try {
      this.#conn?.close();
    } catch {
      // Already closed.
    }
    this.#conn = undefined;
    this.#pending = new Uint8Array(0);
  }

  /** Appends the next read to `data`; throws when the server closed first. */
  async #more(data: Uint8Array): Promise<Uint8Array> {
    const n = await this.#conn!.read(this.#buffer);
    if (n === null) throw new Error("the server closed the connection mid-answer");
    const out = new Uint8Array(data.byteLength + n);
    out.set(data);
    out.set(this.#buffer.subarray(0, n), data.byteLength);
    return out;
  }

  async #answer(onChunk: (bytes: Uint8Array) => void): Promise<Http1Answer> {
    let data: Uint8Array = this.#pending;
    let headEnd = indexOf(data, CRLF_CRLF);
    while (headEnd < 0) {
      data = await this.#more(data);
      headEnd = indexOf(data, CRLF_CRLF);
    }
    const head = new TextDecoder().decode(data.subarray(0, headEnd)).split("\r\n");
    const status = Number(head[0]!.split(" ")[1]);
    const headers = new Headers();
    for (const line of head.slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    const header = (name: string) => headers.get(name)?.toLowerCase();
    data = data.subarray(headEnd + 4);
    if (header("transfer-encoding") === "chunked") data = await this.#chunked(data, onChunk);
    else {
      let left = Number(header("content-length") ?? 0);
      while (left > 0) {
        if (data.byteLength === 0) data = await this.#more(data);
        const take = Math.min(left, data.byteLength);
        onChunk(data.subarray(0, take));
        left -= take;
        data = data.subarray(take);
      }
    }
    this.#pending = data.slice();
    if (header("connection") === "close") this.close();
    return { status, headers };
  }

  /** Decodes a chunked body; returns the bytes read past its end. */
  async #chunked(data: Uint8Array, onChunk: (bytes: Uint8Array) => void): Promise<Uint8Array> {
    for (;;) {
      let lineEnd = indexOf(data, [13, 10]);
      while (lineEnd < 0) {
        data = await this.#more(data);
        lineEnd = indexOf(data, [13, 10]);
      }
      const size = parseInt(new TextDecoder().decode(data.subarray(0, lineEnd)), 16);
      if (!Number.isFinite(size)) throw new Error("a chunk size that is not hexadecimal");
      data = data.subarray(lineEnd + 2);
      // The last chunk: no trailers are expected, only the blank line.
      while (data.byteLength < size + 2) data = await this.#more(data);
      if (size === 0) return data.subarray(2);
      onChunk(data.subarray(0, size));
      data = data.subarray(size + 2);
    }
  }
}

function indexOf(data: Uint8Array, pattern: readonly number[]): number {
  outer: for (let i = 0; i + pattern.length <= data.byteLength; i++) {
    for (let j = 0; j < pattern.length; j++) if (data[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
}
