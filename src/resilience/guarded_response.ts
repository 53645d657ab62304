/**
 * A guarded upstream answer as a Response, whose body stream is made only when something asks for
 * it. An answer read whole (a non-streaming one) is read through the guard's direct reader and
 * never needs the stream: making a ReadableStream and a Response around it cost ~7 µs per answer
 * in-process, a few % of a small request's CPU.
 */

import { type ChunkReader, chunksOf, type PrimedBody } from "./body_guard.ts";

// Statuses whose Response may have no body: one is built as before, so it is refused as before.
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * `upstream` with the guarded body in place of its own, keeping the upstream's Headers object:
 * copying it into a new Response walks it header by header (~0.8 µs each, and a hosted
 * upstream's answer carries two dozen), while ccp only reads its headers with `get` and never
 * hands it to the HTTP server.
 */
export function guardedResponse(upstream: Response, guarded: PrimedBody): Response {
  const init = { status: upstream.status, statusText: upstream.statusText };
  const response = NULL_BODY_STATUSES.has(upstream.status)
    ? new Response(guarded.body, init)
    : new GuardedResponse(guarded, init);
  Object.defineProperty(response, "headers", { value: upstream.headers });
  return response;
}

/**
 * The chunks of `response`'s body: a guarded answer's read directly (see chunksOf), without its
 * stream made when nobody made it; undefined when it has no body.
 */
export function bodyChunks(response: Response): ChunkReader | undefined {
  if (response instanceof GuardedResponse) return response.chunks();
  return response.body ? chunksOf(response.body) : undefined;
}

/**
 * Every read that needs the stream (the body, `json()`, `text()` and the others) goes through a
 * Response over it, made on first use: it behaves as the Response ccp built before did.
 */
class GuardedResponse extends Response {
  readonly #guarded: PrimedBody;
  readonly #init: ResponseInit;
  #whole: Response | undefined;

  constructor(guarded: PrimedBody, init: ResponseInit) {
    super(null, init);
    this.#guarded = guarded;
    this.#init = init;
  }

  #real(): Response {
    return this.#whole ??= new Response(this.#guarded.body, this.#init);
  }

  chunks(): ChunkReader {
    return this.#guarded.chunks();
  }

  static {
    Object.defineProperties(this.prototype, {
      body: {
        get(this: GuardedResponse) {
          return this.#real().body;
        },
      },
      bodyUsed: {
        get(this: GuardedResponse) {
          return this.#whole?.bodyUsed ?? false;
        },
      },
    });
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#real().arrayBuffer();
  }
  override blob(): Promise<Blob> {
    return this.#real().blob();
  }
  override bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#real().bytes();
  }
  override formData(): Promise<FormData> {
    return this.#real().formData();
  }
  // deno-lint-ignore no-explicit-any
  override json(): Promise<any> {
    return this.#real().json();
  }
  override text(): Promise<string> {
    return this.#real().text();
  }
  override clone(): Response {
    return this.#real().clone();
  }
}
