/** A loopback port nothing listens on (bound, then released): to start a server on, or to refuse. */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}
