/**
 * DNS rebinding: `web_fetch` checks the addresses a name resolves to, then connects to the one it
 * checked, never to what the name resolves to a moment later. The check's resolver is the test's
 * own and answers a public address; the system resolver that a second lookup would use answers
 * loopback (the hosts file of a private mount namespace), where an "internal" server waits. In a
 * private network namespace the public address is on the loopback interface too, so both servers
 * answer and the page says which one was reached. Needs `unshare` and root, like
 * fetch_hosts_file_test.ts.
 */

import assert from "node:assert/strict";
import { canUnshare, runInNamespace } from "../helpers/namespace.ts";

const SRC = new URL("../../src/webtools/fetch_page.ts", import.meta.url).href;
const TLS = new URL("../fixtures/tls/", import.meta.url).pathname;
// Public addresses (the TEST-NETs and 2001:db8::/32 are refused as documentation addresses).
const PUBLIC = "93.184.215.5";
// On the loopback interface too, with nothing listening: it refuses, as a host's address that is
// down does.
const DOWN = "93.184.215.7";
// No route in the namespace: as IPv6 is on a machine without it.
const NO_ROUTE = "2606:4700::1";
const NETWORK =
  `ip link set lo up && ip addr add ${PUBLIC}/32 dev lo && ip addr add ${DOWN}/32 dev lo`;

Deno.test({
  name: "web_fetch connects to the address it checked, not to a second lookup's (DNS rebinding)",
  // A network and mount namespace with an address of its own.
  ignore: !(await canUnshare(["-m", "-n", "sh", "-c", NETWORK])),
  fn: async () => {
    const result = await runInNamespace({
      // The name is the internal server's as far as the system resolver knows.
      files: { "/etc/hosts": "127.0.0.1 localhost\n127.0.0.1 rebind.test\n::1 rebind.test\n" },
      network: NETWORK,
      env: { DENO_CERT: `${TLS}ca.pem` },
      script: `
import { fetchPage } from "${SRC}";
const cert = Deno.readTextFileSync("${TLS}rebind.test.pem");
const key = Deno.readTextFileSync("${TLS}rebind.test-key.pem");
const page = (who) => (req) => {
  const url = new URL(req.url);
  // A redirect to the same name: its hop is checked and connected the same way.
  if (url.pathname === "/hop") return Response.redirect(new URL("/page", url), 302);
  return new Response(who + " " + url.pathname, { headers: { "content-type": "text/plain" } });
};
const quiet = { onListen: () => {} };
const http = Deno.serve({ ...quiet, hostname: "${PUBLIC}", port: 0 }, page("public"));
const https = Deno.serve({ ...quiet, hostname: "${PUBLIC}", port: 0, cert, key }, page("public"));
const servers = [
  http,
  https,
  Deno.serve({ ...quiet, hostname: "127.0.0.1", port: http.addr.port }, page("internal")),
  Deno.serve({ ...quiet, hostname: "127.0.0.1", port: https.addr.port, cert, key }, page("internal")),
];
const deps = {
  config: { allowPrivateNetworks: false, maxBytes: 1000, timeoutMs: 8000 },
  fetch,
  signal: new AbortController().signal,
  resolve: () => Promise.resolve(["${PUBLIC}"]),
};
const out = {};
out.http = await fetchPage("http://rebind.test:" + http.addr.port + "/hop", deps);
out.https = await fetchPage("https://rebind.test:" + https.addr.port + "/hop", deps);
// A name with several addresses, the first ones unreachable: the next checked one serves.
const several = { ...deps, resolve: () => Promise.resolve(["${NO_ROUTE}", "${DOWN}", "${PUBLIC}"]) };
out.severalHttp = await fetchPage("http://rebind.test:" + http.addr.port + "/hop", several);
out.severalHttps = await fetchPage("https://rebind.test:" + https.addr.port + "/hop", several);
// None of them serves: the fetch fails saying so, and never reaches the internal server.
const none = { ...deps, resolve: () => Promise.resolve(["${NO_ROUTE}", "${DOWN}"]) };
out.none = await fetchPage("http://rebind.test:" + http.addr.port + "/", none);
// Control: without the test's resolver the system one answers loopback, which is refused.
out.system = await fetchPage("http://rebind.test:" + http.addr.port + "/", { ...deps, resolve: undefined });
console.log(JSON.stringify(out));
await Promise.all(servers.map((s) => s.shutdown()));
`,
    });
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.equal(out.http.ok, true, JSON.stringify(out.http));
    assert.equal(out.http.page.text, "public /page");
    assert.equal(out.https.ok, true, JSON.stringify(out.https));
    assert.equal(out.https.page.text, "public /page");
    assert.equal(out.system.code, "url_not_allowed", JSON.stringify(out.system));
    assert.equal(out.severalHttp.ok, true, JSON.stringify(out.severalHttp));
    assert.equal(out.severalHttp.page.text, "public /page");
    assert.equal(out.severalHttps.ok, true, JSON.stringify(out.severalHttps));
    assert.equal(out.severalHttps.page.text, "public /page");
    assert.equal(out.none.code, "url_not_accessible", JSON.stringify(out.none));
    assert.match(out.none.detail, /no address of the host accepted a connection/);
    assert.match(out.none.detail, /2606:4700::1: .*93\.184\.215\.7: /);
  },
});
