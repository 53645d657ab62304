/**
 * Client -> server, for one guarded connection: request heads are collected whole (they are
 * small) and checked, bodies pass through. A body is written as it is read, gathered into larger
 * writes when it is large, or dropped when its declared size is over the limit.
 *
 * The loop in `run` holds every await of this direction, inline: this runs per request and per
 * chunk, and each step moved into an async function would cost a promise and a hop per call.
 * The steps that do not wait are methods, named for what they do.
 */

import { emptyLinesAt, headEnd, inspectHead, latin1Text } from "./guard_head.ts";
import { answerRefusal, concat, ReadBuffer, writeAll } from "./guard_io.ts";
import type { GuardedConnection } from "./guarded_connection.ts";

// A TLS record of type handshake begins with this byte; no HTTP request head can.
const TLS_HANDSHAKE = 0x16;

const MAX_HEAD = 64 * 1024;
const HEAD_TOO_LARGE = {
  status: 400,
  type: "invalid_request_error",
  message: "Request headers exceed 64 KiB",
} as const;
// Body bytes read with a head that are joined to it into one write (see `run`).
const JOIN_BODY_BYTES = 16 * 1024;
// The most of a large body gathered for one write to the server (see `#gather`).
const GATHER_BYTES = 64 * 1024;
const NO_BYTES = new Uint8Array(0);
// The first buffer for a head split across reads (it doubles while the head goes on).
const SPLIT_HEAD_BYTES = 4 * 1024;

/** What a client sends on one connection, passed on to the server. */
export class RequestPipe {
  readonly #c: GuardedConnection;
  readonly #backend: Deno.UnixConn;
  // Reads between bodies go here, and so does the wait for the next request, which lasts through
  // the whole answer: every open stream keeps this buffer, so it stays small.
  readonly #small = new Uint8Array(ReadBuffer.SMALL);
  // A chunked body's reads: its connection passes bytes through from then on.
  #through: ReadBuffer | undefined;
  // Allocated only for a head split across reads (rare): every open connection kept 4 KiB.
  #head = NO_BYTES;
  #headLength = 0;
  // Bytes of empty lines passed over before the head being read.
  #skipped = 0;
  // Where the search for the end of a split head starts (it may span the previous read).
  #searchFrom = 0;
  #bodyLeft: number | "unknown" = 0;
  #chunkedTail = "";
  // Set once a body over the size limit was declared: what the client sends after it is dropped.
  #dropping = false;
  // A large body being gathered (see `#gather`), and how much of it is in.
  #gathered: Uint8Array = NO_BYTES;
  #carried = 0;
  // Set once a write to the server failed: it closed its side, its answer perhaps still on the
  // way to the client, so what the client sends is dropped rather than the connection reset.
  #serverGone = false;

  constructor(c: GuardedConnection, backend: Deno.UnixConn) {
    this.#c = c;
    this.#backend = backend;
  }

  /** Passes on what the client sends until it stops, then ends the server's input too. */
  async run(): Promise<void> {
    for (;;) {
      try {
        return await this.#pass();
      } catch (err) {
        // A failed read of the client's side ends the connection; a failed write to the server
        // (which answered and closed, say a body too slow) leaves the client's bytes to drop.
        if (this.#serverGone) throw err;
        this.#serverGone = true;
      }
    }
  }

  // The loop of `run`.
  async #pass(): Promise<void> {
    const c = this.#c;
    const { conn, limits } = c;
    const backend = this.#backend;
    for (;;) {
      if (c.dropping || this.#serverGone) {
        // Answered already: the rest is read only to be dropped (see GuardedConnection.linger).
        const n = await conn.read(this.#small);
        if (n === null || !c.discard(n)) return;
        continue;
      }
      if (this.#gathered.byteLength > 0) {
        const n = await conn.read(this.#gatherRoom());
        if (n === null) {
          // The client stopped mid-body: what it sent goes on, as it would have unread.
          await writeAll(backend, this.#gathered.subarray(0, this.#carried));
          break;
        }
        c.touch();
        if (!this.#gatheredRead(n)) continue;
        await writeAll(backend, this.#gathered.subarray(0, this.#carried));
        this.#gatheredSent();
        continue;
      }
      const chunk = this.#bodyLeft === "unknown"
        ? (this.#through ??= new ReadBuffer()).bytes
        : this.#small;
      const n = await conn.read(chunk);
      if (n === null) break;
      c.touch();
      // A read that filled the small buffer: the client is sending more than it holds.
      const filled = n === chunk.byteLength && chunk === this.#small;
      let data: Uint8Array = chunk.subarray(0, n);
      // The next read gets a new buffer if this one grows; `data` keeps pointing at this one.
      if (chunk !== this.#small) this.#through!.filled(n);
      while (data.byteLength > 0) {
        if (this.#dropping) break;
        const bodyLeft = this.#bodyLeft;
        if (bodyLeft === "unknown") {
          await writeAll(backend, data);
          this.#chunkedSent(data);
          break;
        }
        if (bodyLeft > 0) {
          const take = Math.min(bodyLeft, data.byteLength);
          if (filled && take < bodyLeft) {
            this.#gather(NO_BYTES, data, bodyLeft);
            break;
          }
          await writeAll(backend, data.subarray(0, take));
          data = data.subarray(take);
          this.#bodySent(take);
          continue;
        }

        // Collecting a request head: once it has begun, it must end within the head limit.
        if (this.#headLength === 0 && data[0] === TLS_HANDSHAKE) {
          // An https:// client would otherwise wait out the head limit, then retry in silence.
          limits.onTls?.();
          return c.end();
        }
        if (this.#headLength === 0) {
          // The head's time runs from its first byte, empty lines before it included.
          if (this.#skipped === 0) c.awaitHead();
          const empty = data[0] === 13 || data[0] === 10 ? emptyLinesAt(data) : 0;
          if (empty > 0) {
            // Passed over, not passed on; they count toward the head limit, so a client that
            // sends only empty lines is refused as one whose head never ends.
            this.#skipped += empty;
            if (this.#skipped > MAX_HEAD) {
              await answerRefusal(conn, HEAD_TOO_LARGE, limits.onRefused);
              c.linger();
              break;
            }
            data = data.subarray(empty);
            continue;
          }
        }
        if (this.#headLength === 1 && this.#head[0] === 13 && data[0] === 10) {
          // An empty line's CR and LF came in two reads: passed over as well.
          this.#headLength = 0;
          this.#skipped += 1;
          data = data.subarray(1);
          continue;
        }
        let raw: Uint8Array;
        const endHere = this.#headLength === 0 ? headEnd(data, data.byteLength) : -1;
        if (endHere >= 0) {
          // The usual case: the whole head came in this read, and is read where it lies.
          raw = data.subarray(0, endHere);
          data = data.subarray(endHere);
        } else {
          data = data.subarray(this.#collectHead(data));
          const split = this.#collectedHeadEnd();
          if (split < 0) {
            if (this.#headLength + this.#skipped > MAX_HEAD) {
              await answerRefusal(conn, HEAD_TOO_LARGE, limits.onRefused);
              // The server's side goes too (in `linger`): it would wait for a request that never
              // comes, and the connection would keep its place under max_connections.
              c.linger();
              break;
            }
            continue;
          }
          // What came after the head goes back to the front of the data to handle.
          data = concat(this.#head.slice(split, this.#headLength), data);
          raw = this.#head.subarray(0, split);
          this.#headLength = 0;
        }

        // A whole head: checked, then passed on with the body bytes that came with it.
        const checked = inspectHead(raw, c.peer, limits.maxBodyBytes);
        if (!checked.ok) {
          await answerRefusal(conn, checked, limits.onRefused);
          c.linger();
          break;
        }
        c.headRead();
        this.#skipped = 0;
        if (checked.dropBody) {
          await writeAll(backend, checked.bytes);
          c.requestSent();
          this.#dropping = true;
          break;
        }
        const declared = this.#bodyLeft = checked.bodyLength;
        const body = declared === "unknown" ? 0 : Math.min(declared, data.byteLength);
        if (filled && body > 0 && body < (declared as number)) {
          this.#gather(checked.bytes, data.subarray(0, body), declared as number);
          break;
        }
        // The head and the body bytes already here go to the server in one write, unless there
        // are many of them: copying a large read behind the head cost more than a second write.
        if (body <= JOIN_BODY_BYTES) {
          const joined = concat(checked.bytes, data.subarray(0, body));
          const wrote = await backend.write(joined);
          if (wrote < joined.byteLength) await writeAll(backend, joined.subarray(wrote));
        } else {
          await writeAll(backend, checked.bytes);
          await writeAll(backend, data.subarray(0, body));
        }
        data = data.subarray(body);
        this.#bodySent(body);
      }
    }
    // The client finished sending: let the server see the end of its input too.
    await backend.closeWrite().catch(() => {});
  }

  // `n` bytes of a declared body went to the server; the last of them completes the request.
  #bodySent(n: number): void {
    if (this.#bodyLeft !== "unknown") this.#bodyLeft -= n;
    if (this.#bodyLeft === 0) this.#c.requestSent();
  }

  // A chunked body: only the idle limit applies, until its last chunk (`0` and a blank line;
  // trailers are not looked for) says the request is complete.
  #chunkedSent(data: Uint8Array): void {
    this.#chunkedTail = (this.#chunkedTail + latin1Text(data.subarray(-5))).slice(-5);
    if (this.#chunkedTail === "0\r\n\r\n") this.#c.requestSent();
  }

  // A large body, gathered: when a read fills the small buffer with the start of a body the client
  // is still sending, that start (after its head) is copied into a buffer of up to 64 KiB, the
  // body is read on into it and sent in writes of up to 64 KiB. The server gets the body in as
  // few pieces as one large read would give (a body split at 4 KiB cost it ~10 % more CPU to
  // join), and the buffer is dropped once the body has gone.
  #gather(head: Uint8Array, part: Uint8Array, owed: number): void {
    this.#gathered = new Uint8Array(head.byteLength + Math.min(owed, GATHER_BYTES));
    this.#gathered.set(head);
    this.#gathered.set(part, head.byteLength);
    this.#carried = head.byteLength + part.byteLength;
    this.#bodyLeft = owed - part.byteLength;
  }

  // Where the next read of a gathered body goes: no further than the body or the buffer.
  #gatherRoom(): Uint8Array {
    const room = Math.min(this.#bodyLeft as number, this.#gathered.byteLength - this.#carried);
    return this.#gathered.subarray(this.#carried, this.#carried + room);
  }

  // `n` more bytes are in; says whether to write what was gathered (the body or the buffer is full).
  #gatheredRead(n: number): boolean {
    this.#carried += n;
    this.#bodyLeft = (this.#bodyLeft as number) - n;
    return !(this.#bodyLeft > 0 && this.#carried < this.#gathered.byteLength);
  }

  // What was gathered went to the server: the buffer fills again, or goes once the body has gone.
  #gatheredSent(): void {
    this.#carried = 0;
    if (this.#bodyLeft === 0) {
      this.#gathered = NO_BYTES;
      this.#c.requestSent();
    }
  }

  // A head split across reads is collected in `#head`. Only then: copying every read there copied
  // a large body's first read (up to 64 KiB) three times per request. Returns the bytes it took.
  #collectHead(data: Uint8Array): number {
    const length = this.#headLength;
    if (length + data.byteLength > this.#head.byteLength) {
      const size = Math.max(this.#head.byteLength * 2, SPLIT_HEAD_BYTES, length + data.byteLength);
      const grown = new Uint8Array(Math.min(MAX_HEAD + 4, size));
      grown.set(this.#head.subarray(0, length));
      this.#head = grown;
    }
    const take = Math.min(data.byteLength, this.#head.byteLength - length);
    this.#head.set(data.subarray(0, take), length);
    this.#searchFrom = Math.max(0, length - 3);
    this.#headLength = length + take;
    return take;
  }

  // Where the collected head ends (its blank line may span two reads), or -1 while it goes on.
  #collectedHeadEnd(): number {
    const from = this.#searchFrom;
    const endAt = headEnd(this.#head.subarray(from), this.#headLength - from);
    return endAt < 0 ? -1 : from + endAt;
  }
}
