/**
 * The status page in a real headless Chromium: opened with the token, it shows the routes and the
 * requests made, updates live, loads nothing from any other host, and logs no console error. And
 * its refresh, with its /ui/state answers held or broken on purpose: a first state that fails
 * still connects the live events, and a request that arrives while a refresh is on its way gets a
 * refresh of its own. One browser for both (its start is most of their cost), a context each.
 */

import assert from "node:assert/strict";
import puppeteer, { type Browser, type HTTPRequest } from "npm:puppeteer-core@24.43.1";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { chartsInEveryZone } from "./status_page_charts.ts";
import { sdkInBrowser } from "../server/cors_browser.ts";
import { postMessages } from "../helpers/ccp.ts";

const TOKEN = "ccp-ui-test-token";
const REFRESH_TOKEN = "ccp-ui-refresh-token";
const ALICE_TOKEN = "ccp-ui-alice-token";
const CHROMIUM = "/usr/bin/chromium";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function statusPage(browser: Browser): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ui_" });
  const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 3) }]);
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    `server: { auth_token: ${TOKEN}, data_dir: data }
clients:
  - { name: alice, token: ${ALICE_TOKEN} }
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
  - { target: anth, cost_usd: 1234567.891, per: month }
`,
  );
  const server = await startServer({
    ctx: testContext(dir),
    flags: { config: "c.yaml", port: 0 },
  });
  const send = () => sendOne(server.url, TOKEN);
  // A context of its own: nothing (cookies, storage, cache) carries over from the other test.
  const context = await browser.createBrowserContext();
  try {
    const denied = await fetch(`${server.url}/ui`);
    assert.equal(denied.status, 401);
    await denied.body?.cancel();
    const wrong = await fetch(`${server.url}/ui?token=nope`);
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();

    await send();
    await new Promise((r) => setTimeout(r, 250)); // the ledger writes within ~0.1 s
    const page = await context.newPage();
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
    // Dollars with thousands separators, whatever the machine's locale.
    const dollars = await page.$$eval("#budgets tbody tr", (rows) => rows[1]?.textContent ?? "");
    assert.match(dollars, /\$0\.0\d\$1,234,567\.89$/);
    // The routes say it too: requests skip both targets, which showed `ok` in green.
    const health = await page.$$eval(
      "#routes tbody tr",
      (rows) => rows.map((r) => `${r.children[2]?.textContent}|${r.children[2]?.className}`),
    );
    assert.equal(health.length, 3);
    for (const h of health) assert.match(h, /^over budget anth: requests skip it .*\|bad$/);
    // The lone token's requests name no client: the column shows once a named client asks.
    const clientColumn = async () =>
      String(
        await page.evaluate(
          'getComputedStyle(document.querySelector("#latest th.client")).display',
        ),
      );
    assert.equal(await clientColumn(), "none");
    await sendOne(server.url, ALICE_TOKEN);
    await page.waitForFunction('document.querySelectorAll("#latest tbody tr").length === 3');
    assert.notEqual(await clientColumn(), "none");
    const cells = await page.$$eval(
      "#latest tbody tr",
      (rows) => rows.map((r) => r.children[1]?.textContent),
    );
    assert.deepEqual(cells, ["alice", "", ""]);
    const text = String(await page.evaluate("document.body.innerText"));
    assert.ok(!text.includes("0123456789"), "no key on the page");
    // CCP_TEST_ARTIFACTS=<dir> keeps the screenshot (outside the repository) for a look.
    const artifacts = Deno.env.get("CCP_TEST_ARTIFACTS") ?? dir;
    await page.screenshot({ path: `${artifacts}/status_page.png`, fullPage: true });
    assert.deepEqual(elsewhere, []);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await server.stop();
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function refresh(browser: Browser): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ccp_ui_refresh_" });
  const turns = Array.from({ length: 6 }, () => ({
    kind: "stream" as const,
    events: textTurn("m", 3),
  }));
  const mock = startAnthropicMock(turns);
  await Deno.writeTextFile(
    `${dir}/c.yaml`,
    `server: { auth_token: ${REFRESH_TOKEN}, data_dir: data }
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
  const send = () => sendOne(server.url, REFRESH_TOKEN);
  // A context of its own: nothing (cookies, storage, cache) carries over from the other test.
  const context = await browser.createBrowserContext();
  try {
    const page = await context.newPage();
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
    await page.goto(`${server.url}/ui?token=${REFRESH_TOKEN}`);
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
    await context.close();
    await server.stop();
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** One streamed request through ccp, read to its end. */
async function sendOne(url: string, token: string): Promise<void> {
  const res = await postMessages(url, {
    model: "claude-sonnet-4-5",
    max_tokens: 10,
    stream: true,
    messages: [{ role: "user", content: "hi" }],
  }, { "x-api-key": token });
  await res.text();
}

Deno.test({
  name: "/ui in a real headless Chromium",
  ignore: !(await exists(CHROMIUM)),
  // puppeteer keeps sockets and timers of its own past browser.close().
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async (t) => {
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--window-size=420,900"],
    });
    try {
      await t.step(
        "/ui: routes, live requests, charts, no other host, no console error, 401 without the token",
        () => statusPage(browser),
      );
      await t.step(
        "/ui: a failed first state still goes live; a request during a refresh is refreshed for",
        () => refresh(browser),
      );
      await t.step(
        "/ui charts: every axis label fits, edge bars whole, UTC days on the 7-day chart",
        () => chartsInEveryZone(browser),
      );
      // Not the status page's, but its browser: a Chromium of its own would cost seconds more.
      await t.step(
        "server.cors: the Anthropic SDK on a page of a listed origin calls ccp; unlisted, it cannot",
        () => sdkInBrowser(browser),
      );
    } finally {
      await browser.close();
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
