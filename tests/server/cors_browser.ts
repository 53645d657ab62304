/**
 * `server.cors` in a real Chromium: a page served from one origin runs the Anthropic TypeScript
 * SDK (bundled for the browser, `dangerouslyAllowBrowser`) against ccp on another, so the browser
 * itself makes the preflight and decides whether the page may read each answer.
 */

import assert from "node:assert/strict";
import type { Browser } from "npm:puppeteer-core@24.43.1";
import { configFromYaml } from "../../src/config/from_yaml.ts";
import { ROOT } from "../cli/helpers.ts";
import { startCcp } from "../helpers/ccp.ts";
import { textMessage, textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

const TOKEN = "ccp-cors-browser-token";

/** The SDK as one script for the page, which sets `globalThis.Anthropic`. */
async function bundledSdk(dir: string): Promise<string> {
  await Deno.writeTextFile(
    `${dir}/entry.ts`,
    'import Anthropic from "npm:@anthropic-ai/sdk@1.17.0";\n' +
      "(globalThis as Record<string, unknown>).Anthropic = Anthropic;\n",
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--lock=dev.lock",
      "--frozen",
      "--quiet",
      "--platform",
      "browser",
      `${dir}/entry.ts`,
      "-o",
      `${dir}/sdk.js`,
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return await Deno.readTextFile(`${dir}/sdk.js`);
}

/** What the page's SDK calls came to. */
interface PageResult {
  readonly text?: string;
  readonly requestId?: string | null;
  readonly streamed?: string;
  readonly error?: string;
}

/** The SDK on a page of `http://localhost:<port>` calls ccp (on 127.0.0.1, another origin). */
export async function sdkInBrowser(browser: Browser): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_cors_" });
  const sdk = await bundledSdk(dir);
  const site = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/sdk.js") {
      return new Response(sdk, { headers: { "content-type": "text/javascript" } });
    }
    return new Response('<!doctype html><script src="/sdk.js"></script>', {
      headers: { "content-type": "text/html" },
    });
  });
  const page = `http://localhost:${site.addr.port}`;
  const mock = startAnthropicMock([
    { kind: "json", body: textMessage("m", { input_tokens: 3, output_tokens: 1 }, "from ccp") },
    { kind: "stream", events: textTurn("m", 3) },
  ]);
  const config = (origins: string) =>
    configFromYaml({
      file: "c.yaml",
      env: {},
      text: `
server: { auth_token: ${TOKEN}, cors: { origins: [${origins}] } }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: k }
routes: { default: up/m }
`,
    });
  const ccp = startCcp(config(page));
  const context = await browser.createBrowserContext();
  try {
    const tab = await context.newPage();
    await tab.goto(page);
    const call = () =>
      tab.evaluate(
        async (baseURL: string, apiKey: string): Promise<PageResult> => {
          // deno-lint-ignore no-explicit-any
          const Anthropic = (globalThis as any).Anthropic;
          const client = new Anthropic({
            apiKey,
            baseURL,
            dangerouslyAllowBrowser: true,
            maxRetries: 0,
          });
          const ask = {
            model: "claude-sonnet-4-5",
            max_tokens: 16,
            messages: [{ role: "user", content: "hi" }],
          };
          try {
            const message = await client.messages.create(ask).withResponse();
            const stream = client.messages.stream(ask);
            const final = await stream.finalMessage();
            return {
              text: message.data.content[0].text,
              requestId: message.response.headers.get("request-id"),
              streamed: final.content.map((b: { text?: string }) => b.text ?? "").join(""),
            };
          } catch (error) {
            return { error: `${(error as Error).constructor.name}: ${(error as Error).message}` };
          }
        },
        ccp.url,
        TOKEN,
      );
    const listed = await call();
    assert.equal(listed.error, undefined, listed.error);
    assert.equal(listed.text, "from ccp");
    assert.match(listed.requestId ?? "", /^req_/, "the SDK reads the request id");
    assert.ok((listed.streamed ?? "").length > 0, "the stream reached the page");
    // An origin taken off the list: the browser keeps the answer from the page, which the SDK
    // can only see as a failed connection (its class name may carry the bundler's suffix; SDK
    // 1.17 says "Connection to <host> failed", earlier ones "Connection error.").
    ccp.setConfig(config("https://app.example"));
    const removed = await call();
    assert.match(
      removed.error ?? "",
      /^APIConnectionError\d*: Connection/,
      JSON.stringify(removed),
    );
  } finally {
    await context.close();
    await ccp.close();
    await mock.close();
    await site.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}
