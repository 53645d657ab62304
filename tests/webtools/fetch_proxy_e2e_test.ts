/**
 * `web_fetch` behind an HTTP_PROXY on a machine without outside DNS (a `.test` name never
 * resolves here): the proxy resolves and fetches the page, while a private address written in
 * the URL is still refused without asking the proxy.
 */

import assert from "node:assert/strict";
import { childEnv, inTempDir, servingConfig } from "../cli/helpers.ts";
import { startMockProxy } from "../mocks/http_proxy.ts";
import { startScriptedOpenAI, startWebMock, trailingToolResults } from "./mocks.ts";
import { post } from "./_loop_env.ts";

const FETCH_TOOL = { type: "web_fetch_20250910", name: "web_fetch", max_uses: 3 };

Deno.test("web_fetch behind HTTP_PROXY: the proxy resolves a name this machine cannot", async (t) => {
  const web = startWebMock();
  const model = startScriptedOpenAI((messages) => {
    const first = messages.find((m) => m.role === "user");
    const url = String(first?.content).replace(/^Fetch /, "");
    return trailingToolResults(messages).length === 0
      ? { calls: [{ name: "web_fetch", args: { url } }] }
      : { text: "done" };
  });
  const proxy = startMockProxy({ forwardTo: web.port });
  try {
    await inTempDir("ccp_fetch_proxy_", async (dir) => {
      const yaml = `providers:
  up: { type: openai, base_url: "${model.url}", api_key: sk-up-0123456789 }
routes:
  default: up/m
web_tools:
  fetch: { allow_private_networks: false }
`;
      const env = childEnv(dir, { HTTP_PROXY: proxy.url, DENO_NO_UPDATE_CHECK: "1" });
      await servingConfig(dir, yaml, env, async (url) => {
        const fetchVia = async (page: string) => {
          const res = await post(url, {
            messages: [{ role: "user", content: `Fetch ${page}` }],
            tools: [FETCH_TOOL],
          });
          const body = await res.json();
          assert.equal(res.status, 200, JSON.stringify(body));
          return body.content.find((b: { type: string }) => b.type === "web_fetch_tool_result")
            .content;
        };

        await t.step("a name without local DNS is fetched through the proxy", async () => {
          const result = await fetchVia("http://pages.example.test/page");
          assert.equal(result.type, "web_fetch_result", JSON.stringify(result));
          assert.equal(result.content.title, "Tide & Moon");
          assert.deepEqual(proxy.seen, ["GET http://pages.example.test/page HTTP/1.1"]);
        });

        await t.step("a private address in the URL is refused, the proxy not asked", async () => {
          const before = proxy.seen.length;
          const result = await fetchVia("http://10.1.2.3/page");
          assert.equal(result.type, "web_fetch_tool_result_error", JSON.stringify(result));
          assert.equal(result.error_code, "url_not_allowed");
          assert.equal(proxy.seen.length, before);
        });
      });
    });
  } finally {
    await proxy.close();
    await model.close();
    await web.close();
  }
});
