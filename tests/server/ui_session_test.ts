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
    assert.match(page, /<script src="\/ui\/uplot\.js">/);
    assert.ok(!page.includes(TOKEN), "the token is not written into the page");
    const cookie = (opened.headers.get("set-cookie") ?? "").split(";")[0]!;
    assert.match(cookie, /^ccp_ui=[0-9a-f]{48}$/);

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

Deno.test("under a routing prefix the page opens and points at /ui for its data", async () => {
  const ccp = startCcp(
    testConfig({ providers: [], routes: { default: "up/m" }, authToken: TOKEN }),
  );
  try {
    const res = await fetch(`${ccp.url}/local:qwen3-coder/ui?token=${TOKEN}`, {
      redirect: "manual",
    });
    assert.equal(res.status, 200);
    const page = await res.text();
    assert.match(page, /href="\/ui\/uplot\.css"/);
    assert.match(page, /fetch\("\/ui\/state"/);
    assert.ok(!page.includes("local:"), "no URL built from the prefix");
  } finally {
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
  assert.equal(sessions.holds(cookie(first)), false);
  assert.equal(sessions.holds(cookie(last)), true);
});
