import assert from "node:assert/strict";
import { searchWeb } from "../../src/webtools/search.ts";
import { createLogger } from "../../src/core/log.ts";
import type { WebSearchConfig } from "../../src/config/types.ts";

function recorder(answer: () => Response) {
  const seen: Request[] = [];
  return {
    seen,
    fetch: (input: Request | URL | string, init?: RequestInit) => {
      seen.push(new Request(input, init));
      return Promise.resolve(answer());
    },
  };
}

const signal = new AbortController().signal;
const query = { query: "deno 2", count: 5 };

Deno.test("search backends", async (t) => {
  await t.step("searxng: GET /search?q=…&format=json, results[].content", async () => {
    const r = recorder(() =>
      Response.json({
        results: [{ url: "https://a.example/", title: "A", content: "aa", publishedDate: "2026" }],
      })
    );
    const config: WebSearchConfig = { provider: "searxng", baseUrl: "http://127.0.0.1:8888" };
    const out = await searchWeb(query, { config, fetch: r.fetch, signal, timeoutMs: 5000 });
    assert.equal(r.seen[0]!.method, "GET");
    assert.equal(r.seen[0]!.url, "http://127.0.0.1:8888/search?q=deno+2&format=json");
    assert.deepEqual(out, {
      ok: true,
      hits: [{ url: "https://a.example/", title: "A", snippet: "aa", pageAge: "2026" }],
    });
  });

  await t.step("brave: X-Subscription-Token, web.results[].description", async () => {
    const r = recorder(() =>
      Response.json({
        web: {
          results: [{
            url: "https://b.example/",
            title: "B",
            description: "bb",
            page_age: "2025-01-01",
          }],
        },
      })
    );
    const config: WebSearchConfig = { provider: "brave", apiKey: "brave-key" };
    const out = await searchWeb(query, { config, fetch: r.fetch, signal, timeoutMs: 5000 });
    assert.equal(r.seen[0]!.url, "https://api.search.brave.com/res/v1/web/search?q=deno+2&count=5");
    assert.equal(r.seen[0]!.headers.get("x-subscription-token"), "brave-key");
    assert.deepEqual(out, {
      ok: true,
      hits: [{ url: "https://b.example/", title: "B", snippet: "bb", pageAge: "2025-01-01" }],
    });
  });

  await t.step(
    "tavily: POST /search with a bearer key, results[].content, domain lists",
    async () => {
      const r = recorder(() =>
        Response.json({ results: [{ url: "https://c.example/", title: "C", content: "cc" }] })
      );
      const config: WebSearchConfig = { provider: "tavily", apiKey: "tvly-key" };
      const out = await searchWeb(
        { ...query, allowedDomains: ["c.example"] },
        { config, fetch: r.fetch, signal, timeoutMs: 5000 },
      );
      const req = r.seen[0]!;
      assert.equal(req.method, "POST");
      assert.equal(req.url, "https://api.tavily.com/search");
      assert.equal(req.headers.get("authorization"), "Bearer tvly-key");
      assert.deepEqual(await req.json(), {
        query: "deno 2",
        max_results: 5,
        include_domains: ["c.example"],
      });
      assert.deepEqual(out, {
        ok: true,
        hits: [{ url: "https://c.example/", title: "C", snippet: "cc" }],
      });
    },
  );

  await t.step(
    "brave and searxng are told the domain lists as site: operators; the filter still holds",
    async () => {
      const lists = {
        ...query,
        allowedDomains: ["docs.deno.com", "*.jsr.io"],
        blockedDomains: ["spam.example"],
      };
      for (
        const [config, q] of [
          [{ provider: "brave", apiKey: "k" }, "q"],
          [{ provider: "searxng", baseUrl: "http://127.0.0.1:8888" }, "q"],
        ] as const
      ) {
        const r = recorder(() =>
          Response.json({
            web: { results: [{ url: "https://elsewhere.example/", title: "E" }] },
            results: [{ url: "https://docs.deno.com/x", title: "D" }, {
              url: "https://elsewhere.example/",
              title: "E",
            }],
          })
        );
        const out = await searchWeb(lists, { config, fetch: r.fetch, signal, timeoutMs: 5000 });
        assert.equal(
          new URL(r.seen[0]!.url).searchParams.get(q),
          "deno 2 site:docs.deno.com OR site:jsr.io -site:spam.example",
          config.provider,
        );
        // The backend may not honour the operators: what it answers is filtered all the same.
        assert.ok(out.ok);
        assert.ok(out.hits.every((h) => h.url.startsWith("https://docs.deno.com/")));
      }
      // Brave takes at most 400 characters: lists that would pass it go by the filter alone.
      const r = recorder(() => Response.json({}));
      const many = Array.from({ length: 40 }, (_, i) => `domain-number-${i}.example`);
      await searchWeb(
        { ...query, allowedDomains: many },
        { config: { provider: "brave", apiKey: "k" }, fetch: r.fetch, signal, timeoutMs: 5000 },
      );
      assert.equal(new URL(r.seen[0]!.url).searchParams.get("q"), "deno 2");
    },
  );

  await t.step("failures become Anthropic error codes", async () => {
    const config: WebSearchConfig = { provider: "searxng", baseUrl: "http://127.0.0.1:8888" };
    const run = (status: number) =>
      searchWeb(query, {
        config,
        fetch: recorder(() => new Response("x", { status })).fetch,
        signal,
        timeoutMs: 5000,
      });
    assert.equal((await run(429) as { code: string }).code, "too_many_requests");
    assert.equal((await run(500) as { code: string }).code, "unavailable");
    const empty = await searchWeb({ query: " ", count: 5 }, {
      config,
      fetch: recorder(() => Response.json({})).fetch,
      signal,
      timeoutMs: 5000,
    });
    assert.equal((empty as { code: string }).code, "invalid_tool_input");
    const none = await searchWeb(query, {
      config: undefined,
      fetch: recorder(() => Response.json({})).fetch,
      signal,
      timeoutMs: 5000,
    });
    assert.equal((none as { code: string }).code, "unavailable");
  });
});

Deno.test("search backends: an endless answer is cut at 8 MiB, not held", async () => {
  let sent = 0;
  const piece = new TextEncoder().encode(" ".repeat(64 * 1024));
  const endless = () =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          // Bounded only so that a reader that takes it all still ends the test.
          if (sent >= 256 * 1024 * 1024) return controller.close();
          sent += piece.length;
          controller.enqueue(piece);
        },
      }),
      { headers: { "content-type": "application/json" } },
    );
  const config: WebSearchConfig = { provider: "searxng", baseUrl: "http://127.0.0.1:8888" };
  const out = await searchWeb(query, {
    config,
    fetch: recorder(endless).fetch,
    signal,
    timeoutMs: 5000,
  });
  assert.deepEqual(out, {
    ok: false,
    code: "unavailable",
    detail: "searxng answered more than 8 MiB",
  });
  assert.ok(sent <= 9 * 1024 * 1024, `read ${sent} bytes`);
});

Deno.test("search backends: a backend's failure is logged for its operator, without the query", async () => {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line), colour: false });
  const searxng: WebSearchConfig = { provider: "searxng", baseUrl: "http://127.0.0.1:8888" };
  const deps = (answer: () => Response, config: WebSearchConfig | undefined = searxng) => ({
    config,
    fetch: recorder(answer).fetch,
    signal,
    timeoutMs: 5000,
    log,
  });

  // SearXNG without the json format enabled: the warning says how to enable it.
  const refused = await searchWeb(query, deps(() => new Response("forbidden", { status: 403 })));
  assert.equal((refused as { code: string }).code, "unavailable");
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /WARN {2}Web search failed \(unavailable\): searxng answered 403 \(enable the json format in its settings\.yml: search\.formats\)/,
  );

  // A backend that cannot be reached: named by origin, never with the query it was asked.
  lines.length = 0;
  await searchWeb({ query: "secret plans", count: 5 }, {
    ...deps(() => Response.json({})),
    fetch: (req: Request | URL | string) =>
      Promise.reject(new TypeError(`error sending request for url (${(req as Request).url})`)),
  });
  assert.equal(lines.length, 1);
  assert.match(
    lines[0]!,
    /searxng is unreachable: error sending request for url \(http:\/\/127\.0\.0\.1:8888\)/,
  );
  assert.ok(!lines[0]!.includes("secret"), lines[0]);

  // The model's own mistake and a missing backend are not the operator's to fix.
  lines.length = 0;
  await searchWeb({ query: " ", count: 5 }, deps(() => Response.json({})));
  await searchWeb(query, deps(() => Response.json({}), undefined));
  await searchWeb(query, deps(() => Response.json({ results: [] })));
  assert.deepEqual(lines, []);
});
