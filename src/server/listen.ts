/**
 * Binds ccp's HTTP server the way `ccp serve` does: behind the connection guard (ccp accepts the
 * TCP connections itself and hands the bytes to its HTTP server on a Unix socket in a private
 * directory) unless the config turns the guard off or the system has no Unix sockets.
 */

import type { ServerConfig } from "../config/types.ts";
import { type Guard, guardConnections } from "./connection_guard.ts";
import type { GuardRefusal } from "./guard_io.ts";
import type { DepartureWatcher } from "./departures.ts";
import { PEER_HEADER } from "./guard_head.ts";
import { makeSocketDir, SOCKET_NAME, sweepSocketDirs } from "./socket_dirs.ts";

/** A bound server. */
export interface Listening {
  readonly server: Deno.HttpServer;
  /** The port bound (the one asked for, or the one the system chose for port 0). */
  readonly port: number;
  /** Stops accepting connections (requests in flight go on until `server.shutdown()`). */
  stopAccepting(): void;
  /** Removes what binding created on disk (the guard's socket directory), ending the sweep. */
  cleanUp(): Promise<void>;
  /**
   * How many socket directories of ccp processes that were killed binding removed beside its
   * own (0 without the guard). It runs after the bind, so it adds nothing to the start.
   */
  readonly swept: Promise<number>;
}

type Handler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr | Deno.UnixAddr>,
) => Promise<Response>;

/** Listens on `hostname:port`; throws what Deno throws when the address cannot be bound. */
export async function listen(
  hostname: string,
  port: number,
  settings: Pick<
    ServerConfig,
    "connectionGuard" | "clientTimeouts" | "maxConnections" | "maxBodyBytes"
  >,
  handler: Handler,
  departures: DepartureWatcher,
  /** Told the bound port when a client speaks TLS to it (only the guard can see that). */
  onTls?: (port: number) => void,
  /** Told each answer the guard gives itself, with its `request-id` (for the log). */
  onRefused?: (refusal: GuardRefusal) => void,
): Promise<Listening> {
  if (!settings.connectionGuard || Deno.build.os === "windows") {
    const server = Deno.serve({ hostname, port, onListen: () => {} }, handler);
    return {
      server,
      port: server.addr.port,
      stopAccepting: () => {},
      cleanUp: () => Promise.resolve(),
      swept: Promise.resolve(0),
    };
  }
  const listener = Deno.listen({ hostname, port });
  let dir = "";
  let server: Deno.HttpServer;
  let guard: Guard | undefined = undefined;
  // Deno's server keeps a connection open after an answer that says `connection: close` (one
  // given before the request's body was all read): the guard closes it instead.
  const closing: Handler = async (request, info) => {
    const response = await handler(request, info);
    if (response.headers.get("connection")?.toLowerCase() === "close") {
      const peer = request.headers.get(PEER_HEADER);
      if (peer !== null) guard?.closeAfterAnswer(peer);
    }
    return response;
  };
  try {
    dir = await makeSocketDir();
    server = Deno.serve(
      { transport: "unix", path: `${dir}/${SOCKET_NAME}`, onListen: () => {} },
      closing,
    );
  } catch (err) {
    listener.close();
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
  const socket = `${dir}/${SOCKET_NAME}`;
  guard = guardConnections(listener, socket, {
    timeouts: settings.clientTimeouts,
    maxConnections: settings.maxConnections,
    maxBodyBytes: settings.maxBodyBytes,
    onClientGone: (peer) => departures.gone(peer),
    ...(onTls ? { onTls: () => onTls(listener.addr.port) } : {}),
    ...(onRefused ? { onRefused } : {}),
  });
  const stopSweep = new AbortController();
  const swept = sweepSocketDirs(dir, stopSweep.signal);
  return {
    server,
    port: listener.addr.port,
    stopAccepting: () => guard?.close(),
    cleanUp: async () => {
      // A sweep still going (thousands of leftovers) ends with the directory it is at.
      stopSweep.abort();
      await swept;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
    swept,
  };
}
