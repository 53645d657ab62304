/** Opening the status page with the token: any client gets the page, under any routing prefix. */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { testConfig } from "../helpers/config.ts";
import { MAX_UI_SESSIONS, UiSessions } from "../../src/server/routes/ui.ts";

const TOKEN = "ui-session-token-0123456789";

Deno.test("/ui?token= answers the page and a session cookie; the cookie opens /ui after", async () => {
  const ccp = startCcp(
    testConfig({ providers: [], routes: { default: "up/m" }, authToken: TOKEN }),
  );
  try {
    // A client that keeps no cookies (fetch, curl -L) still gets the page itself.
    const opened = await fetch(`${ccp.url}/ui?token=${TOKEN}`);
    assert.equal(opened.status, 200);
    assert.match(opened.headers.get("content-type") ?? "", /text\/html/);
    assert.equal(opened.headers.get("referrer-policy"), "no-referrer");
    const page = await opened.text();
    assert.match(page, /<script src="ui\/uplot\.js">/);
    assert.ok(!page.includes(TOKEN), "the token is not written into the page");
    const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0]!;
    assert.match(cookie, new RegExp(`^ccp_ui_${new URL(ccp.url).port}=[0-9a-f]{48}$`));
    // No Path: the browser scopes the cookie to the page's own directory (all of ccp's pages).
    assert.doesNotMatch(opened.headers.get("set-cookie") ?? "", /path=/i);

    for (const path of ["/ui", "/ui/state", "/ui/uplot.js"]) {
      const res = await fetch(`${ccp.url}${path}`, { headers: { cookie } });
      assert.equal(res.status, 200, path);
      await res.body?.cancel();
    }
    for (
      const [path, headers] of [["/ui", {}], ["/ui/state", {}], ["/ui?token=nope", {}]] as const
    ) {
      const res = await fetch(`${ccp.url}${path}`, { headers });
      assert.equal(res.status, 401, path);
      await res.body?.cancel();
    }
  } finally {
    await ccp.close();
  }
});

/** The addresses a page loads, as a browser resolves them against the page's own URL. */
function pageAddresses(page: string, at: string): string[] {
  const found = [
    ...page.matchAll(/<(?:script|link)[^>]* (?:src|href)="([^"]+)"/g),
    ...page.matchAll(/(?:fetch|EventSource)\("([^"]+)"/g),
  ].map((m) => m[1]!).filter((address) => !address.startsWith("data:"));
  return found.map((address) => new URL(address, at).href);
}

/** A browser's visit: the page with ?token=, then all it loads with the cookie it was given. */
async function visit(pageUrl: string): Promise<Record<string, number>> {
  const opened = await fetch(`${pageUrl}?token=${TOKEN}`);
  assert.equal(opened.status, 200, pageUrl);
  const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0]!;
  const addresses = pageAddresses(await opened.text(), pageUrl);
  assert.equal(addresses.length, 4, addresses.join(" "));
  const statuses: Record<string, number> = {};
  for (const address of addresses) {
    const res = await fetch(address, { headers: { cookie } });
    statuses[new URL(address).pathname] = res.status;
    await res.body?.cancel();
  }
  return statuses;
}

Deno.test("under a routing prefix the page opens and loads its data and script", async () => {
  const ccp = startCcp(
    testConfig({ providers: [], routes: { default: "up/m" }, authToken: TOKEN }),
  );
  try {
    const res = await fetch(`${ccp.url}/local:qwen3-coder/ui?token=${TOKEN}`, {
      redirect: "manual",
    });
    assert.equal(res.status, 200);
    assert.ok(!(await res.text()).includes("local:"), "no URL built from the prefix");
    assert.deepEqual(await visit(`${ccp.url}/local:qwen3-coder/ui`), {
      "/local:qwen3-coder/ui/uplot.css": 200,
      "/local:qwen3-coder/ui/uplot.js": 200,
      "/local:qwen3-coder/ui/state": 200,
      "/local:qwen3-coder/ui/events": 200,
    });
  } finally {
    await ccp.close();
  }
});

Deno.test("behind a reverse proxy under a path, the page loads what it needs through that path", async () => {
  const ccp = startCcp(
    testConfig({ providers: [], routes: { default: "up/m" }, authToken: TOKEN }),
  );
  // Serves ccp at /ccp/ only, as `location /ccp/ { proxy_pass http://ccp/; }` does.
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (!url.pathname.startsWith("/ccp/")) return new Response("not here", { status: 404 });
    const to = `${ccp.url}${url.pathname.slice("/ccp".length)}${url.search}`;
    return fetch(to, { headers: req.headers, signal: req.signal });
  });
  try {
    const statuses = await visit(`http://127.0.0.1:${proxy.addr.port}/ccp/ui`);
    assert.deepEqual(statuses, {
      "/ccp/ui/uplot.css": 200,
      "/ccp/ui/uplot.js": 200,
      "/ccp/ui/state": 200,
      "/ccp/ui/events": 200,
    });
  } finally {
    await proxy.shutdown();
    await ccp.close();
  }
});

Deno.test("UiSessions keeps at most MAX_UI_SESSIONS, the oldest forgotten first", () => {
  const sessions = new UiSessions();
  const cookie = (id: string) => new Headers({ cookie: `ccp_ui=${id}` });
  const first = sessions.open();
  let last = first;
  for (let i = 0; i < MAX_UI_SESSIONS * 10; i++) last = sessions.open();
  assert.equal(sessions.size, MAX_UI_SESSIONS);
  assert.equal(sessions.holds(cookie(first), "ccp_ui"), false);
  assert.equal(sessions.holds(cookie(last), "ccp_ui"), true);
});

Deno.test("two ccp on one host keep their own page sessions: a browser sends both cookies to each", async () => {
  const config = testConfig({ providers: [], routes: { default: "up/m" }, authToken: TOKEN });
  const first = startCcp(config);
  const second = startCcp(config);
  try {
    // A browser keeps cookies per host, not per port: what either page set goes to both.
    const jar = new Map<string, string>();
    for (const ccp of [first, second]) {
      const opened = await fetch(`${ccp.url}/ui?token=${TOKEN}`);
      await opened.body?.cancel();
      const [name, value] = (opened.headers.get("set-cookie") ?? "").split(";")[0]!.split("=");
      jar.set(name!, value!);
    }
    assert.equal(jar.size, 2, "the second page's cookie does not replace the first's");
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
    for (const ccp of [first, second]) {
      const res = await fetch(`${ccp.url}/ui/state`, { headers: { cookie } });
      assert.equal(res.status, 200, ccp.url);
      await res.body?.cancel();
    }
    // Each takes only its own: the other's session, sent under this one's name, opens nothing.
    const [, secondValue] = [...jar][1]!;
    const res = await fetch(`${first.url}/ui/state`, {
      headers: { cookie: `ccp_ui_${new URL(first.url).port}=${secondValue}` },
    });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  } finally {
    await first.close();
    await second.close();
  }
});

Deno.test("/ui/ with a trailing slash leads to /ui, with the token, the cookie or a bearer, under any prefix", async () => {
  const ccp = startCcp(
    testConfig({ providers: [], routes: { default: "up/m" }, authToken: TOKEN }),
  );
  // Serves ccp at /ccp/ only, as `location /ccp/ { proxy_pass http://ccp/; }` does.
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    const to = `${ccp.url}${url.pathname.slice("/ccp".length)}${url.search}`;
    return fetch(to, { headers: req.headers, redirect: "manual", signal: req.signal });
  });
  try {
    const opened = await fetch(`${ccp.url}/ui?token=${TOKEN}`);
    await opened.body?.cancel();
    const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0]!;
    const bases = [
      ccp.url,
      `${ccp.url}/local:qwen3-coder`,
      `http://127.0.0.1:${proxy.addr.port}/ccp`,
    ];
    for (const base of bases) {
      for (
        const [query, headers] of [
          [`?token=${TOKEN}`, {}],
          ["", { cookie }],
          ["", { authorization: `Bearer ${TOKEN}` }],
        ] as const
      ) {
        const res = await fetch(`${base}/ui/${query}`, { headers, redirect: "manual" });
        await res.body?.cancel();
        assert.equal(res.status, 302, `${base}/ui/${query}`);
        // Relative, so that a prefix or a reverse proxy's path stays in the address.
        const to = new URL(res.headers.get("location")!, `${base}/ui/${query}`);
        assert.equal(to.href, `${base}/ui${query}`);
        // Followed, the browser (or curl -L) lands on the page and its session.
        const page = await fetch(to, { headers });
        assert.equal(page.status, 200, to.href);
        assert.match(await page.text(), /<script src="ui\/uplot\.js">/);
      }
      for (const query of ["", "?token=nope"]) {
        const res = await fetch(`${base}/ui/${query}`, { redirect: "manual" });
        await res.body?.cancel();
        assert.equal(res.status, 401, `${base}/ui/${query}`);
      }
    }
  } finally {
    await proxy.shutdown();
    await ccp.close();
  }
});
