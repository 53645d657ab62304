/** The connect probe through an HTTP proxy: up to the CONNECT tunnel fetch asks for. */

import assert from "node:assert/strict";
import { tcpConnectProbe } from "../../src/resilience/connect_probe.ts";
import { connectRequest, tunnels } from "../../src/resilience/tunnel_probe.ts";

/** A proxy that reads each CONNECT request and answers it with `answer` (none: it never answers). */
function mockProxy(answer?: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const closed: Promise<void>[] = [];
  const serving = (async () => {
    for await (const conn of listener) {
      closed.push((async () => {
        const buffer = new Uint8Array(4096);
        const read = await conn.read(buffer).catch(() => null);
        requests.push(new TextDecoder().decode(buffer.subarray(0, read ?? 0)));
        if (answer !== undefined) await conn.write(new TextEncoder().encode(answer));
        // Held until ccp closes its end.
        while ((await conn.read(buffer).catch(() => null)) !== null);
        conn.close();
      })());
    }
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    requests,
    /** Resolves once every connection made to the proxy has been closed by ccp. */
    allClosed: () => Promise.all(closed),
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving.catch(() => {});
    },
  };
}

const signal = () => new AbortController().signal;

Deno.test("tunnels: https upstreams through an http proxy only", () => {
  assert.equal(tunnels("https://api.example.test/v1", "http://proxy:3128"), true);
  assert.equal(tunnels("http://api.example.test/v1", "http://proxy:3128"), false);
  assert.equal(tunnels("https://api.example.test/v1", "https://proxy:3128"), false);
  assert.equal(tunnels("https://api.example.test/v1", "socks5://proxy:1080"), false);
});

Deno.test("connectRequest: the upstream's host and port, and the proxy's credentials", () => {
  const text = (url: string, proxy: string) => new TextDecoder().decode(connectRequest(url, proxy));
  assert.equal(
    text("https://api.example.test/v1/messages", "http://proxy:3128"),
    "CONNECT api.example.test:443 HTTP/1.1\r\nHost: api.example.test:443\r\n\r\n",
  );
  assert.equal(
    text("https://[::1]:8443/v1", "http://us%40er:p%3Ass@proxy:3128"),
    "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n" +
      `Proxy-Authorization: Basic ${btoa("us@er:p:ss")}\r\n\r\n`,
  );
});

Deno.test("tunnel probe: connected when the proxy opens the tunnel, which is then closed", async () => {
  await using proxy = mockProxy("HTTP/1.1 200 Connection established\r\n\r\n");
  await tcpConnectProbe("https://api.example.test/v1", proxy.url)(signal());
  await proxy.allClosed();
  assert.deepEqual(proxy.requests, [
    "CONNECT api.example.test:443 HTTP/1.1\r\nHost: api.example.test:443\r\n\r\n",
  ]);
});

Deno.test("tunnel probe: a proxy that refuses the tunnel fails the probe, naming the proxy", async () => {
  await using proxy = mockProxy("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
  await assert.rejects(
    tcpConnectProbe("https://api.example.test/v1", proxy.url)(signal()),
    new RegExp(`proxy ${proxy.url.slice(7)} answered CONNECT with 407`),
  );
  await proxy.allClosed();
});

Deno.test("tunnel probe: a proxy that never answers keeps it waiting until it is given up", async () => {
  await using proxy = mockProxy();
  const giveUp = new AbortController();
  let settled = false;
  const probing = tcpConnectProbe("https://api.example.test/v1", proxy.url)(giveUp.signal)
    .finally(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(settled, false, "a proxy that took the connection is not yet a tunnel");
  giveUp.abort();
  await assert.rejects(probing);
  await proxy.allClosed();
});

Deno.test("tunnel probe: an http upstream through the proxy is probed up to the proxy", async () => {
  await using proxy = mockProxy();
  await tcpConnectProbe("http://api.example.test/v1", proxy.url)(signal());
  await proxy.allClosed();
});

Deno.test("tunnel probe: proxy credentials that cannot be decoded fail the probe, not its making", async () => {
  const probe = tcpConnectProbe("https://api.example.test/v1", "http://us%zz@127.0.0.1:9");
  await assert.rejects(probe(signal()), URIError);
});
