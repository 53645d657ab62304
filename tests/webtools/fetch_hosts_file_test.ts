/**
 * `web_fetch`'s address check sees names that /etc/hosts maps, as the fetch itself does: a name
 * the hosts file sends to loopback or a LAN address is refused, though no DNS server knows it.
 * Deno's resolver reads the hosts file on each lookup (and prefers it to DNS); this test keeps it
 * so. It runs the real resolver in a private mount namespace whose /etc/hosts is a file of the
 * test's own (the machine's hosts file is never touched), so it needs `unshare` and root.
 */

import assert from "node:assert/strict";
import { canUnshare, runInNamespace } from "../helpers/namespace.ts";

const SRC = new URL("../../src/webtools/fetch_page.ts", import.meta.url).href;

Deno.test({
  name: "web_fetch refuses names that /etc/hosts maps to loopback or private addresses",
  ignore: !(await canUnshare(["-m", "mount", "--bind", "/etc/hosts", "/etc/hosts"])),
  fn: async () => {
    const result = await runInNamespace({
      files: {
        // Names with both families listed need no name server (which would only time out here).
        "/etc/hosts": "127.0.0.1 localhost\n" +
          "127.0.0.1 loop.ccp-test\n::1 loop.ccp-test\n" +
          "10.1.2.3\tlan.ccp-test  other-alias.ccp-test # a comment\n" +
          "fd00::8 lan.ccp-test other-alias.ccp-test\n" +
          "fd00::7 six.ccp-test\n",
        // A name server that never answers: only the hosts file can resolve the test's names.
        "/etc/resolv.conf": "nameserver 127.0.0.9\noptions timeout:1 attempts:1\n",
      },
      script: `
import { fetchPage } from "${SRC}";
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () =>
  new Response("reached", { headers: { "content-type": "text/plain" } }));
const port = server.addr.port;
const config = { allowPrivateNetworks: false, maxBytes: 1000, timeoutMs: 8000 };
const signal = new AbortController().signal;
const out = {};
for (const host of ["loop.ccp-test", "other-alias.ccp-test", "LAN.ccp-test", "six.ccp-test"]) {
  out[host] = await fetchPage("http://" + host + ":" + port + "/", { config, fetch, signal });
}
// The same name, allowed: the fetch itself reaches what the hosts file says.
out.allowed = await fetchPage("http://loop.ccp-test:" + port + "/", {
  config: { ...config, allowPrivateNetworks: true },
  fetch,
  signal,
});
console.log(JSON.stringify(out));
await server.shutdown();
`,
    });
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout);
    assert.deepEqual(out["loop.ccp-test"], {
      ok: false,
      code: "url_not_allowed",
      detail: "loop.ccp-test is a loopback address (127.0.0.1)",
    });
    assert.deepEqual(out["other-alias.ccp-test"], {
      ok: false,
      code: "url_not_allowed",
      detail: "other-alias.ccp-test is a private address (10.1.2.3)",
    });
    assert.equal(out["LAN.ccp-test"].code, "url_not_allowed");
    assert.deepEqual(out["six.ccp-test"], {
      ok: false,
      code: "url_not_allowed",
      detail: "six.ccp-test is a unique local (private) address (fd00::7)",
    });
    assert.equal(out.allowed.ok, true, JSON.stringify(out.allowed));
    assert.equal(out.allowed.page.text, "reached");
  },
});
