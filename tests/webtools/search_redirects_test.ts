import assert from "node:assert/strict";
import { searchWeb } from "../../src/webtools/search.ts";
import type { WebSearchConfig } from "../../src/config/types.ts";

const KEY = "search-key-0123456789abcdef";
const signal = new AbortController().signal;
const query = { query: "deno 2", count: 5 };

/** A server on 127.0.0.1 that records what reaches it and answers with `answer`. */
function server(answer: (req: Request) => Response) {
  const seen: Array<{ url: string; method: string; headers: Record<string, string> }> = [];
  const srv = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    seen.push({ url: req.url, method: req.method, headers: Object.fromEntries(req.headers) });
    return answer(req);
  });
  return { seen, origin: `http://127.0.0.1:${srv.addr.port}`, close: () => srv.shutdown() };
}

const results = () => Response.json({ results: [{ url: "https://a.example/", title: "A" }] });

Deno.test("search redirects: a keyed backend's redirect is refused; its key goes nowhere else", async () => {
  // Another origin (another port) stands for another host.
  const elsewhere = server(results);
  const to = `${elsewhere.origin}/res/v1/web/search`;
  try {
    for (const status of [301, 302, 303, 307, 308]) {
      const backend = server(() => new Response(null, { status, headers: { location: to } }));
      try {
        for (const provider of ["brave", "tavily"] as const) {
          const config: WebSearchConfig = { provider, apiKey: KEY, baseUrl: backend.origin };
          const out = await searchWeb(query, { config, fetch, signal, timeoutMs: 5000 });
          assert.deepEqual(out, {
            ok: false,
            code: "unavailable",
            detail: `${provider} answered ${status} (a redirect to ${elsewhere.origin}): not ` +
              `followed, since ccp sends the ${provider} key to its base_url only; set base_url ` +
              "to the address the API is served at",
          });
        }
        // Within its own origin too: the API documents no redirect.
        const same = server((req) =>
          new URL(req.url).pathname === "/v2/web/search"
            ? results()
            : new Response(null, { status, headers: { location: "/v2/web/search" } })
        );
        const config: WebSearchConfig = { provider: "brave", apiKey: KEY, baseUrl: same.origin };
        const out = await searchWeb(query, { config, fetch, signal, timeoutMs: 5000 });
        await same.close();
        assert.equal(out.ok, false);
        assert.equal(same.seen.length, 1);
      } finally {
        await backend.close();
      }
    }
    assert.deepEqual(elsewhere.seen, []);
  } finally {
    await elsewhere.close();
  }
});

Deno.test("search redirects: SearXNG follows its own origin's, not another's, and not forever", async () => {
  const elsewhere = server(results);
  const instance = server((req) => {
    const path = new URL(req.url).pathname;
    if (path === "/search") {
      return new Response(null, { status: 301, headers: { location: "/searx/search?q=x" } });
    }
    if (path === "/searx/search") return results();
    if (path === "/away/search") {
      return new Response(null, { status: 302, headers: { location: `${elsewhere.origin}/s` } });
    }
    return new Response(null, { status: 302, headers: { location: path } });
  });
  const ask = (baseUrl: string) =>
    searchWeb(query, { config: { provider: "searxng", baseUrl }, fetch, signal, timeoutMs: 5000 });
  try {
    assert.deepEqual(await ask(instance.origin), {
      ok: true,
      hits: [{ url: "https://a.example/", title: "A", snippet: "" }],
    });
    assert.deepEqual(instance.seen.map((s) => new URL(s.url).pathname), [
      "/search",
      "/searx/search",
    ]);
    assert.equal(instance.seen[1]!.headers.accept, "application/json");

    assert.deepEqual(await ask(`${instance.origin}/away`), {
      ok: false,
      code: "unavailable",
      detail: `searxng answered 302 (a redirect to ${elsewhere.origin}): not followed, since ccp ` +
        "sends searches to base_url's origin only; set base_url to the address the instance is " +
        "served at",
    });
    assert.deepEqual(elsewhere.seen, []);

    instance.seen.length = 0;
    assert.deepEqual(await ask(`${instance.origin}/loop`), {
      ok: false,
      code: "unavailable",
      detail: "searxng redirected more than 5 times",
    });
    assert.equal(instance.seen.length, 6);
  } finally {
    await instance.close();
    await elsewhere.close();
  }
});
