import assert from "node:assert/strict";
import { fetchPage, MAX_URL_LENGTH } from "../../src/webtools/fetch_page.ts";
import type { WebFetchConfig } from "../../src/config/types.ts";

const PUBLIC = () => Promise.resolve(["93.184.216.34"]);
const signal = new AbortController().signal;

function config(over: Partial<WebFetchConfig> = {}): WebFetchConfig {
  return { allowPrivateNetworks: false, maxBytes: 1024, timeoutMs: 10_000, ...over };
}

/** A fetch that answers from a table of URL → response, recording what it was asked. */
function site(pages: Record<string, () => Response>) {
  const asked: string[] = [];
  return {
    asked,
    fetch: (input: Request | URL | string) => {
      const url = String(input instanceof Request ? input.url : input);
      asked.push(url);
      const page = pages[url];
      return Promise.resolve(page ? page() : new Response("no", { status: 404 }));
    },
  };
}

Deno.test("fetchPage", async (t) => {
  await t.step("follows redirects, checking each hop", async () => {
    const s = site({
      "http://a.test/": () => new Response(null, { status: 301, headers: { location: "/b" } }),
      "http://a.test/b": () =>
        new Response("plain text", { headers: { "content-type": "text/plain" } }),
    });
    const out = await fetchPage("http://a.test/", {
      config: config(),
      fetch: s.fetch,
      signal,
      resolve: PUBLIC,
    });
    assert.deepEqual(out, {
      ok: true,
      page: { url: "http://a.test/b", text: "plain text", truncated: false },
    });
    assert.deepEqual(s.asked, ["http://a.test/", "http://a.test/b"]);
  });

  await t.step("a redirect to a private address is refused before it is requested", async () => {
    const s = site({
      "http://a.test/": () =>
        new Response(null, { status: 302, headers: { location: "http://internal.test/" } }),
    });
    const resolve = (host: string) =>
      Promise.resolve(host === "internal.test" ? ["10.0.0.5"] : ["93.184.216.34"]);
    const out = await fetchPage("http://a.test/", {
      config: config(),
      fetch: s.fetch,
      signal,
      resolve,
    });
    assert.equal(out.ok, false);
    assert.equal((out as { code: string }).code, "url_not_allowed");
    assert.match(
      (out as { detail: string }).detail,
      /internal\.test is a private address \(10\.0\.0\.5\)/,
    );
    assert.deepEqual(s.asked, ["http://a.test/"]);
  });

  await t.step("the refusal reads as a sentence whatever the address's kind", async () => {
    const cases: Array<[string, string]> = [
      ["::", "an unspecified address"],
      ["192.0.0.8", "an IETF protocol address"],
      ["fd00::7", "a unique local (private) address"],
      ["127.0.0.1", "a loopback address"],
    ];
    for (const [address, said] of cases) {
      const out = await fetchPage("http://odd.test/", {
        config: config(),
        fetch: site({}).fetch,
        signal,
        resolve: () => Promise.resolve([address]),
      });
      assert.equal((out as { detail: string }).detail, `odd.test is ${said} (${address})`);
    }
  });

  await t.step("any private address among a host's addresses refuses it", async () => {
    const resolve = () => Promise.resolve(["93.184.216.34", "fd00::1"]);
    const out = await fetchPage("http://mixed.test/", {
      config: config(),
      fetch: site({}).fetch,
      signal,
      resolve,
    });
    assert.equal((out as { code: string }).code, "url_not_allowed");
  });

  await t.step("allow_private_networks lets private addresses through", async () => {
    const s = site({ "http://10.0.0.5/": () => new Response("inside") });
    const out = await fetchPage("http://10.0.0.5/", {
      config: config({ allowPrivateNetworks: true }),
      fetch: s.fetch,
      signal,
    });
    assert.equal(out.ok, true);
  });

  await t.step("the body is cut at max_bytes", async () => {
    const s = site({
      "http://a.test/": () =>
        new Response("x".repeat(5000), { headers: { "content-type": "text/plain" } }),
    });
    const out = await fetchPage("http://a.test/", {
      config: config({ maxBytes: 100 }),
      fetch: s.fetch,
      signal,
      resolve: PUBLIC,
    });
    assert.equal(out.ok, true);
    const page = (out as { page: { text: string; truncated: boolean } }).page;
    assert.equal(page.text.length, 100);
    assert.equal(page.truncated, true);
  });

  await t.step("error codes", async () => {
    const s = site({
      "http://a.test/img": () =>
        new Response("GIF89a", { headers: { "content-type": "image/gif" } }),
      "http://a.test/busy": () => new Response("slow down", { status: 429 }),
      "http://a.test/loop": () =>
        new Response(null, { status: 302, headers: { location: "/loop" } }),
    });
    const code = async (url: string) => {
      const out = await fetchPage(url, {
        config: config(),
        fetch: s.fetch,
        signal,
        resolve: PUBLIC,
      });
      return (out as { code?: string }).code;
    };
    assert.equal(await code("http://a.test/img"), "unsupported_content_type");
    assert.equal(await code("http://a.test/busy"), "too_many_requests");
    assert.equal(await code("http://a.test/missing"), "url_not_accessible");
    assert.equal(await code("http://a.test/loop"), "url_not_accessible");
    assert.equal(await code("not a url"), "invalid_tool_input");
    assert.equal(await code(`http://a.test/${"x".repeat(MAX_URL_LENGTH)}`), "url_too_long");
    assert.equal(await code("ftp://a.test/file"), "url_not_allowed");
    assert.equal(await code("http://user:pass@a.test/"), "url_not_allowed");
    assert.equal(await code("http://app.localhost/"), "url_not_allowed");
  });
});

Deno.test("fetchPage: a body whose type is missing or text/plain but whose bytes are binary is refused", async () => {
  const binary = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00]);
  const s = site({
    "http://a.test/none": () => new Response(binary),
    "http://a.test/plain": () =>
      new Response(binary, { headers: { "content-type": "text/plain; charset=iso-8859-1" } }),
    "http://a.test/text": () => new Response("tab\there\r\nand a form feed \f"),
    "http://a.test/utf16": () =>
      new Response(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]), {
        headers: { "content-type": "text/plain" },
      }),
    "http://a.test/json": () =>
      new Response('{"a":1}', { headers: { "content-type": "application/json" } }),
  });
  const fetchIt = (path: string) =>
    fetchPage(`http://a.test/${path}`, {
      config: config(),
      fetch: s.fetch,
      signal,
      resolve: PUBLIC,
    });
  for (const path of ["none", "plain"]) {
    const out = await fetchIt(path);
    assert.equal((out as { code?: string }).code, "unsupported_content_type", path);
    assert.match((out as { detail: string }).detail, /binary/);
  }
  for (const path of ["text", "utf16", "json"]) {
    assert.equal((await fetchIt(path)).ok, true, path);
  }
});

Deno.test("fetchPage: a name server that never answers is bounded by the fetch timeout", async () => {
  const s = site({});
  const started = Date.now();
  const out = await fetchPage("http://slow-dns.test/", {
    config: config({ timeoutMs: 200 }),
    fetch: s.fetch,
    signal,
    resolve: () => new Promise<string[]>(() => {}),
  });
  assert.equal(out.ok, false);
  assert.equal((out as { code: string }).code, "url_not_accessible");
  assert.match((out as { detail: string }).detail, /no answer within 200 ms/);
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(s.asked, []);
});

Deno.test("fetchPage: a redirect to a domain the tool refuses is not followed", async () => {
  const s = site({
    "http://docs.test/": () =>
      new Response(null, { status: 302, headers: { location: "http://blocked.test/page" } }),
    "http://blocked.test/page": () =>
      new Response("secret", { headers: { "content-type": "text/plain" } }),
  });
  const out = await fetchPage("http://docs.test/", {
    config: config(),
    fetch: s.fetch,
    signal,
    resolve: PUBLIC,
    allowUrl: (url) => !url.includes("blocked.test"),
  });
  assert.equal(out.ok, false);
  assert.equal((out as { code: string }).code, "url_not_allowed");
  assert.deepEqual(s.asked, ["http://docs.test/"]);
});

Deno.test("fetchPage behind a proxy: a name only the proxy can resolve is left to it", async (t) => {
  const page = () => new Response("outside", { headers: { "content-type": "text/plain" } });
  const noDns = () => Promise.reject(new Error("no DNS here"));
  const proxiedHosts = (url: string) => !new URL(url).hostname.endsWith(".lan");
  const run = (url: string, resolve: (host: string) => Promise<string[]>, proxied?: boolean) => {
    const s = site({ [url]: page });
    const out = fetchPage(url, {
      config: config(),
      fetch: s.fetch,
      signal,
      resolve,
      ...(proxied === undefined ? {} : { proxied: proxied ? proxiedHosts : () => false }),
    });
    return out.then((o) => ({ out: o, asked: s.asked }));
  };

  await t.step("unresolvable here, fetched through the proxy", async () => {
    const { out, asked } = await run("http://far.test/", noDns, true);
    assert.equal(out.ok, true, JSON.stringify(out));
    assert.deepEqual(asked, ["http://far.test/"]);
    const empty = await run("http://far.test/", () => Promise.resolve([]), true);
    assert.equal(empty.out.ok, true, JSON.stringify(empty.out));
  });

  await t.step("without a proxy for the URL, unresolvable stays not accessible", async () => {
    for (const proxied of [undefined, false]) {
      const { out, asked } = await run("http://far.test/", noDns, proxied);
      assert.equal((out as { code: string }).code, "url_not_accessible");
      assert.deepEqual(asked, []);
    }
    const direct = await run("http://printer.lan/", noDns, true);
    assert.equal((direct.out as { code: string }).code, "url_not_accessible", "NO_PROXY host");
  });

  await t.step("a private address, literal or resolved here, stays refused", async () => {
    for (const url of ["http://10.1.2.3/", "http://[fd00::1]/", "http://localhost/"]) {
      const { out, asked } = await run(url, noDns, true);
      assert.equal((out as { code: string }).code, "url_not_allowed", url);
      assert.deepEqual(asked, [], url);
    }
    const intranet = await run("http://wiki.test/", () => Promise.resolve(["192.168.1.9"]), true);
    assert.equal((intranet.out as { code: string }).code, "url_not_allowed");
    assert.deepEqual(intranet.asked, []);
  });
});
