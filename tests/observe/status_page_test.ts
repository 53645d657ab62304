/**
 * The status page in a real headless Chromium: opened with the token, it shows the routes and the
 * requests made, updates live, loads nothing from any other host, and logs no console error.
 */

import assert from "node:assert/strict";
import puppeteer from "npm:puppeteer-core@24.43.1";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";

const TOKEN = "ccp-ui-test-token";
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
  name:
    "/ui: routes, live requests, charts, no other host, no console error, 401 without the token",
  ignore: !(await exists(CHROMIUM)),
  // puppeteer keeps sockets and timers of its own past browser.close().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ccp_ui_" });
    const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 3) }]);
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${TOKEN}, data_dir: data }
providers:
  anth:
    type: anthropic
    base_url: "${mock.url}"
    api_key: sk-ant-ui-secret-0123456789
    model_settings: { m: { price: { input: 3, output: 15 } } }
routes:
  default: anth/m
  opus: [anth/m, anth/m2]
budgets:
  - { target: anth, tokens: 5000, per: day, route_away_at: 80% }
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
      args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--window-size=420,900"],
    });
    try {
      const denied = await fetch(`${server.url}/ui`);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const wrong = await fetch(`${server.url}/ui?token=nope`);
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();

      await send();
      await new Promise((r) => setTimeout(r, 250)); // the ledger writes within ~0.1 s
      const page = await browser.newPage();
      await page.setViewport({ width: 420, height: 900 }); // a narrow window
      const origin = new URL(server.url).origin;
      const elsewhere: string[] = [];
      const problems: string[] = [];
      page.on("request", (r) => {
        if (!r.url().startsWith(origin)) elsewhere.push(r.url());
      });
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(String(e)));
      await page.goto(`${server.url}/ui?token=${TOKEN}`, { waitUntil: "networkidle2" });
      assert.equal(new URL(page.url()).search, "", "the token left the address bar");
      await page.waitForFunction('document.querySelectorAll("#latest tbody tr").length === 1');
      const routes = await page.$$eval(
        "#routes tbody tr",
        (rows) => rows.map((r) => r.textContent),
      );
      assert.ok(routes.some((r) => r?.includes("default") && r.includes("anth/m")), String(routes));
      assert.ok(routes.some((r) => r?.includes("anth/m2")), String(routes));
      const first = await page.$eval("#latest tbody tr", (r) => r.textContent ?? "");
      assert.match(first, /claude-sonnet-4-5.*default.*anth\/m.*200/);
      // Live: a request made now appears without a reload.
      await send();
      await page.waitForFunction('document.querySelectorAll("#latest tbody tr").length === 2', {
        timeout: 5000,
      });
      await page.waitForFunction('document.querySelectorAll("#chart24 canvas").length === 1');
      // Two answers of 2,098 tokens spent 84 % of 5,000: past route_away_at, though under the
      // limit, so requests skip the target and the page says so.
      await page.waitForFunction(
        'document.querySelector("#budgets tbody")?.textContent?.includes("requests skip it")',
        { timeout: 5000 },
      );
      const budget = await page.$eval("#budgets tbody tr", (r) => r.innerHTML);
      assert.match(budget, /class="n bad"/);
      const text = String(await page.evaluate("document.body.innerText"));
      assert.ok(!text.includes("0123456789"), "no key on the page");
      // CCP_TEST_ARTIFACTS=<dir> keeps the screenshot (outside the repository) for a look.
      const artifacts = Deno.env.get("CCP_TEST_ARTIFACTS") ?? dir;
      await page.screenshot({ path: `${artifacts}/status_page.png`, fullPage: true });
      assert.deepEqual(elsewhere, []);
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.stop();
      await mock.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
