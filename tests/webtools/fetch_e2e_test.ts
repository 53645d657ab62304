import assert from "node:assert/strict";
import type { Config } from "../../src/config/types.ts";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type ModelMove, startScriptedOpenAI, startWebMock, trailingToolResults } from "./mocks.ts";

const FETCH_TOOL = { type: "web_fetch_20250910", name: "web_fetch", max_uses: 2 };

function config(modelUrl: string, allowPrivateNetworks: boolean): Config {
  return {
    ...testConfig({
      providers: [provider("up", { type: "openai", baseUrl: modelUrl, authHeader: "bearer" })],
      routes: { default: "up/mock-model" },
    }),
    webTools: { fetch: { allowPrivateNetworks, maxBytes: 1024 * 1024, timeoutMs: 10_000 } },
  };
}

// Fetches `url` once, then answers with the text of what it got back.
function fetchThenAnswer(url: string) {
  return (messages: Parameters<Parameters<typeof startScriptedOpenAI>[0]>[0]): ModelMove => {
    const results = trailingToolResults(messages);
    return results.length === 0
      ? { calls: [{ name: "web_fetch", args: { url } }] }
      : { text: results[0]! };
  };
}

async function fetchThroughCcp(
  url: (port: number) => string,
  allowPrivateNetworks: boolean,
  over: Parameters<typeof startCcp>[1] = {},
  tool: Record<string, unknown> = FETCH_TOOL,
) {
  const web = startWebMock();
  const model = startScriptedOpenAI(fetchThenAnswer(url(web.port)));
  const ccp = startCcp(config(model.url, allowPrivateNetworks), over);
  try {
    const res = await postMessages(ccp.url, {
      model: "claude-sonnet-4-6",
      max_tokens: 1000,
      messages: [{ role: "user", content: `Fetch ${url(web.port)}` }],
      tools: [tool],
    });
    assert.equal(res.status, 200);
    return { msg: await res.json(), paths: web.paths, modelBodies: model.bodies };
  } finally {
    await ccp.close();
    await model.close();
    await web.close();
  }
}

/** A fetch that sends public.test's requests to the mock on 127.0.0.1. */
function publicToMock(input: Request | URL | string, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (url.hostname === "public.test") url.hostname = "127.0.0.1";
  return fetch(new Request(url, request));
}

Deno.test("web_fetch through ccp", async (t) => {
  await t.step("a page is fetched and reduced to text", async () => {
    const { msg, modelBodies } = await fetchThroughCcp(
      (port) => `http://127.0.0.1:${port}/page`,
      true,
    );
    assert.deepEqual(msg.content.map((b: { type: string }) => b.type), [
      "server_tool_use",
      "web_fetch_tool_result",
      "text",
    ]);
    const result = msg.content[1];
    assert.equal(result.tool_use_id, msg.content[0].id);
    assert.equal(result.content.type, "web_fetch_result");
    assert.match(result.content.url, /^http:\/\/127\.0\.0\.1:\d+\/page$/);
    assert.deepEqual(result.content.content, {
      type: "document",
      source: {
        type: "text",
        media_type: "text/plain",
        data: "Tides\n\nThe Moon's pull makes the tides.\n\nHigh <twice> a day",
      },
      title: "Tide & Moon",
    });
    assert.ok(!Number.isNaN(Date.parse(result.content.retrieved_at)));
    assert.deepEqual(msg.usage.server_tool_use, { web_search_requests: 0, web_fetch_requests: 1 });
    // The model read the page text as its tool result.
    assert.match(msg.content[2].text, /The Moon's pull makes the tides\./);
    assert.equal(modelBodies.length, 2);
  });

  const refusals: Array<[string, (port: number) => string]> = [
    ["a loopback literal", (port) => `http://127.0.0.1:${port}/page`],
    ["an IPv6 loopback literal", (port) => `http://[::1]:${port}/page`],
    ["an IPv4-mapped loopback", (port) => `http://[::ffff:127.0.0.1]:${port}/page`],
    ["localhost", (port) => `http://localhost:${port}/page`],
    ["the metadata address", () => "http://169.254.169.254/latest/meta-data/"],
    ["a file URL", () => "file:///etc/passwd"],
  ];
  for (const [name, url] of refusals) {
    await t.step(`refused: ${name}`, async () => {
      const { msg, paths } = await fetchThroughCcp(url, false);
      assert.deepEqual(msg.content[1].content, {
        type: "web_fetch_tool_result_error",
        error_code: "url_not_allowed",
      });
      assert.deepEqual(paths, [], "nothing was fetched");
      // A fetch that failed is not counted, as Anthropic counts a search that failed.
      assert.deepEqual(msg.usage.server_tool_use, {
        web_search_requests: 0,
        web_fetch_requests: 0,
      });
    });
  }

  await t.step("refused: a host name that resolves to 127.0.0.1", async () => {
    const { msg, paths } = await fetchThroughCcp(
      (port) => `http://inside.test:${port}/page`,
      false,
      {
        resolveHost: () => Promise.resolve(["127.0.0.1"]),
      },
    );
    assert.equal(msg.content[1].content.error_code, "url_not_allowed");
    assert.deepEqual(paths, []);
  });

  await t.step("refused: a redirect from an allowed server to 127.0.0.1", async () => {
    // public.test passes the address check (a public address) and is served by the mock.
    const { msg, paths } = await fetchThroughCcp(
      (port) => `http://public.test:${port}/redirect`,
      false,
      {
        fetch: publicToMock,
        resolveHost: (host) => Promise.resolve(host === "public.test" ? ["93.184.216.34"] : []),
      },
    );
    assert.deepEqual(msg.content[1].content, {
      type: "web_fetch_tool_result_error",
      error_code: "url_not_allowed",
    });
    assert.deepEqual(paths, ["/redirect"], "the redirect target was never requested");
  });

  await t.step("a URL outside allowed_domains is url_not_allowed", async () => {
    const { msg, paths } = await fetchThroughCcp(
      (port) => `http://127.0.0.1:${port}/page`,
      true,
      {},
      { ...FETCH_TOOL, allowed_domains: ["example.org"] },
    );
    assert.equal(msg.content[1].content.error_code, "url_not_allowed");
    assert.deepEqual(paths, []);
  });

  await t.step("a redirect out of allowed_domains is url_not_allowed", async () => {
    // public.test is allowed and served by the mock; it redirects to 127.0.0.1, outside the list.
    const { msg, paths } = await fetchThroughCcp(
      (port) => `http://public.test:${port}/redirect`,
      true,
      { fetch: publicToMock },
      { ...FETCH_TOOL, allowed_domains: ["public.test"] },
    );
    assert.equal(msg.content[1].content.error_code, "url_not_allowed");
    assert.deepEqual(paths, ["/redirect"], "the redirect target was never requested");
  });

  await t.step("an unreachable page is url_not_accessible", async () => {
    const { msg } = await fetchThroughCcp((port) => `http://127.0.0.1:${port}/missing`, true);
    assert.deepEqual(msg.content[1].content, {
      type: "web_fetch_tool_result_error",
      error_code: "url_not_accessible",
    });
    assert.deepEqual(msg.usage.server_tool_use, { web_search_requests: 0, web_fetch_requests: 0 });
  });
});
