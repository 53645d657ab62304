/**
 * The status page's refresh in a real headless Chromium, with its /ui/state answers held or
 * broken on purpose: a first state that fails still connects the live events, and a request that
 * arrives while a refresh is on its way gets a refresh of its own.
 */

import assert from "node:assert/strict";
import puppeteer, { type HTTPRequest } from "npm:puppeteer-core@24.43.1";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

const TOKEN = "ccp-ui-refresh-token";
const CHROMIUM = "/usr/bin/chromium";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "/ui: a failed first state still goes live; a request during a refresh is refreshed for",
  ignore: !(await exists(CHROMIUM)),
  // puppeteer keeps sockets and timers of its own past browser.close().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_ui_refresh_" });
    const turns = Array.from({ length: 6 }, () => ({
      kind: "stream" as const,
      events: textTurn("m", 3),
    }));
    const mock = startAnthropicMock(turns);
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: data }
providers:
  anth: { type: anthropic, base_url: "${mock.url}", api_key: sk-ant-ui-0123456789 }
routes:
  default: anth/m
`,
    );
    const server = await startServer({
      ctx: testContext(dir),
      flags: { config: "c.yaml", port: 0 },
    });
    const send = async () => {
      const res = await fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": TOKEN },
        body: JSON.stringify({
          model: "claude-sonnet-4-5",
          max_tokens: 10,
          stream: true,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      await res.text();
    };
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--headless=new", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      await page.setRequestInterception(true);
      // How each /ui/state request is answered: "break" answers JSON the page cannot render,
      // "hold" keeps it waiting in `held`, "pass" lets it through.
      let mode: "break" | "hold" | "pass" = "break";
      const held: HTTPRequest[] = [];
      let states = 0;
      page.on("request", (r) => {
        if (!r.url().endsWith("/ui/state")) return void r.continue();
        states++;
        if (mode === "break") {
          return void r.respond({ status: 200, contentType: "application/json", body: "{}" });
        }
        if (mode === "hold") return void held.push(r);
        return void r.continue();
      });
      await page.goto(`${server.url}/ui?token=${TOKEN}`);
      // The first state could not be shown: the live events connect all the same.
      await page.waitForFunction('document.getElementById("live").textContent === "live"', {
        timeout: 5000,
      });
      mode = "pass";
      await send();
      // Shown from the event itself, long before the 15 s poll.
      await page.waitForFunction('document.querySelectorAll("#latest tbody tr").length === 1', {
        timeout: 5000,
      });
      await page.waitForFunction('document.getElementById("version").textContent !== ""', {
        timeout: 5000,
      });

      // A refresh on its way (held) when the next request's event arrives.
      mode = "hold";
      await send();
      await waitFor(() => held.length === 1, "the refresh after the first event");
      await send();
      await page.waitForFunction('document.querySelectorAll("#latest tbody tr").length === 3', {
        timeout: 5000,
      });
      await new Promise((r) => setTimeout(r, 600)); // past the event's 300 ms delay
      mode = "pass";
      const before = states;
      for (const r of held.splice(0)) await r.continue();
      // The second event's refresh runs once the first is done, not at the next poll.
      await waitFor(() => states > before, "a refresh for the request that came meanwhile");
      assert.equal(held.length, 0);
    } finally {
      await browser.close();
      await server.stop();
      await mock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function waitFor(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
