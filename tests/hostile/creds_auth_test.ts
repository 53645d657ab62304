/**
 * ccp's own token: consumed by ccp, never forwarded (not even to an `auth: passthrough` provider);
 * only the header that carried it may name a model after it; and /health shows its detail only
 * to a request that carries it.
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { SharedMonitor } from "../../src/shared/monitor.ts";
import { silentLogger } from "../../src/core/log.ts";
import { testConfig } from "../helpers/config.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import {
  anthropicHead,
  anthropicTail,
  messageBody,
  messages,
  providerOf,
  sse,
  startUpstream,
} from "./creds_helpers.ts";

const TOKEN = "ccp-token-0123456789abcdef";
const PROVIDER_KEY = "sk-provider-0123456789abcdef";

Deno.test("auth: passthrough forwards the client's own credentials, never ccp's token", async (t) => {
  const upstream = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  const ccp = startCcp(testConfig({
    providers: [providerOf("anthropic", upstream.url, "", { apiKeys: [], auth: "passthrough" })],
    routes: { default: "up/m" },
    authToken: TOKEN,
  }));
  const send = async (headers: Record<string, string>) => {
    const res = await postMessages(ccp.url, messageBody({ stream: true }), headers);
    await res.body?.cancel();
    assert.equal(res.status, 200);
    const seen = upstream.seen.at(-1)!;
    return seen.headers;
  };
  try {
    await t.step("token in Authorization, the client's key in x-api-key", async () => {
      const seen = await send({ authorization: `Bearer ${TOKEN}`, "x-api-key": "user-own-key" });
      assert.equal(seen.get("x-api-key"), "user-own-key");
      assert.equal(seen.get("authorization"), null);
      for (const [name, value] of seen) {
        assert.ok(!value.includes(TOKEN), `${name} carries the token`);
      }
    });
    await t.step("token in x-api-key, the client's key as a bearer", async () => {
      const seen = await send({ "x-api-key": TOKEN, authorization: "Bearer user-bearer" });
      assert.equal(seen.get("authorization"), "Bearer user-bearer");
      assert.equal(seen.get("x-api-key"), null);
    });
    await t.step("token with a model suffix is consumed too", async () => {
      const seen = await send({ "x-api-key": `${TOKEN}:up/m` });
      for (const [name, value] of seen) {
        assert.ok(!value.includes(TOKEN), `${name} carries the token`);
      }
    });
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a passthrough credential held after a plan limit reaches no other provider, log or answer", async () => {
  const OAUTH = "sk-ant-oat01-user-secret-0123456789-WXYZ";
  const plan = startUpstream(() =>
    Response.json({
      type: "error",
      error: { type: "rate_limit_error", message: `limit for Bearer ${OAUTH}` },
    }, {
      status: 429,
      headers: {
        "anthropic-ratelimit-unified-status": "rejected",
        "anthropic-ratelimit-unified-reset": String(Math.floor(Date.now() / 1000) + 3600),
      },
    })
  );
  const fallback = startUpstream(() =>
    Response.json({ error: { message: "down" } }, { status: 500 })
  );
  const ccp = startCcp(testConfig({
    providers: [
      providerOf("anthropic", plan.url, "", { id: "claude", apiKeys: [], auth: "passthrough" }),
      providerOf("openai", fallback.url, PROVIDER_KEY, { id: "zai", maxRetries: 0 }),
    ],
    routes: { default: ["claude/m", "zai/m"] },
    authToken: TOKEN,
  }));
  try {
    // Twice: the first request is refused and remembered, the second skips the plan at first
    // and tries it again last (the fallback fails too).
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await postMessages(ccp.url, messageBody(), {
        "x-api-key": TOKEN,
        authorization: `Bearer ${OAUTH}`,
      });
      texts.push(JSON.stringify([...res.headers]), await res.text());
    }
    const health = await fetch(`${ccp.url}/health`, { headers: { "x-api-key": TOKEN } });
    texts.push(await health.text());
    for (const seen of fallback.seen) {
      for (const [name, value] of seen.headers) {
        assert.ok(!value.includes(OAUTH.slice(0, 20)), `the fallback got it in ${name}`);
      }
      assert.ok(!seen.body.includes(OAUTH.slice(0, 20)));
    }
    assert.equal(fallback.seen.length, 2);
    assert.equal(plan.seen.length, 2);
    // ccp's token (x-api-key) was consumed; the plan got the client's login unchanged.
    for (const seen of plan.seen) {
      assert.equal(seen.headers.get("authorization"), `Bearer ${OAUTH}`);
      assert.equal(seen.headers.get("x-api-key"), null);
    }
    for (const text of [...texts, ...ccp.logs]) {
      assert.ok(!text.includes(OAUTH.slice(0, 20)), `leaked: ${text}`);
      assert.ok(!text.includes("user-secret"), `leaked: ${text}`);
    }
    // The log names the credential by its last 4 characters only.
    assert.ok(
      ccp.logs.some((line) => line.includes("client credential (…WXYZ)")),
      ccp.logs.join(""),
    );
  } finally {
    await ccp.close();
    await plan.close();
    await fallback.close();
  }
});

Deno.test("only the header that authenticated may carry a route suffix", async (t) => {
  const main = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  const other = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  const ccp = startCcp(testConfig({
    providers: [
      providerOf("anthropic", main.url, PROVIDER_KEY, { id: "main" }),
      providerOf("anthropic", other.url, PROVIDER_KEY, { id: "other" }),
    ],
    routes: { default: "main/m" },
    authToken: TOKEN,
  }));
  const send = async (headers: Record<string, string>) => {
    const res = await postMessages(ccp.url, messageBody(), headers);
    await res.body?.cancel();
    return res;
  };
  try {
    await t.step("a suffix in a header that did not authenticate is ignored", async () => {
      const res = await send({ "x-api-key": TOKEN, authorization: "Bearer wrong:other/x" });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-provider"), "main");
      assert.equal(other.seen.length, 0);
    });
    await t.step("the authenticating header's suffix routes", async () => {
      const res = await send({ authorization: `Bearer ${TOKEN}:other/x` });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ccp-provider"), "other");
      assert.equal(other.seen.length, 1);
    });
  } finally {
    await ccp.close();
    await main.close();
    await other.close();
  }
});

Deno.test("/health without the token still says whether the shared engines are reachable", async () => {
  const engines = [
    { name: "redis" as const, description: "Redis", ping: () => Promise.resolve(false) },
  ];
  const shared = new SharedMonitor(engines, "open", silentLogger);
  await shared.check();
  const ccp = startCcp(
    testConfig({ providers: [], routes: { default: "up/m" }, authToken: TOKEN }),
    { shared },
  );
  try {
    const bare = await (await fetch(`${ccp.url}/health`)).json();
    assert.deepEqual(bare, { status: "ok", name: "ccp", shared: { redis: { reachable: false } } });
  } finally {
    await ccp.close();
  }
});

Deno.test("/health: only 'up' without the token; providers and key labels with it", async () => {
  const upstream = startUpstream(() =>
    Response.json({ error: { message: "down" } }, { status: 500 })
  );
  const ccp = startCcp(testConfig({
    providers: [providerOf("anthropic", upstream.url, PROVIDER_KEY, { maxRetries: 0 })],
    routes: { default: "up/m" },
    authToken: TOKEN,
  }));
  try {
    // A failure gives the registry something to report.
    const failed = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": TOKEN },
      body: messages(),
    });
    await failed.body?.cancel();
    const bare = await (await fetch(`${ccp.url}/health`)).json();
    assert.deepEqual(bare, { status: "ok", name: "ccp" });
    const wrong = await (await fetch(`${ccp.url}/health`, { headers: { "x-api-key": "nope" } }))
      .json();
    assert.deepEqual(wrong, { status: "ok", name: "ccp" });
    const full = await fetch(`${ccp.url}/health`, { headers: { "x-api-key": TOKEN } });
    const text = await full.text();
    assert.match(text, /"resilience"/);
    assert.match(text, /"up"/, "the provider id is reported to the operator");
    assert.ok(!text.includes(PROVIDER_KEY), "never the whole key");
  } finally {
    await ccp.close();
    await upstream.close();
  }
});

Deno.test("a passthrough attempt's record names the client credential by its last 4 characters, never more", async () => {
  const plan = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  const records: Readonly<RequestRecord>[] = [];
  const ccp = startCcp(
    testConfig({
      providers: [
        providerOf("anthropic", plan.url, "", { id: "claude", apiKeys: [], auth: "passthrough" }),
      ],
      routes: { default: "claude/m" },
      authToken: TOKEN,
    }),
    { observers: [{ ended: (record) => records.push(structuredClone(record)) }] },
  );
  const users = [
    "sk-ant-oat01-first-user-secret-0123-AAAA",
    "sk-ant-oat01-other-user-secret-4567-BBBB",
  ];
  try {
    for (const oauth of users) {
      const res = await postMessages(ccp.url, messageBody({ stream: true }), {
        "x-api-key": TOKEN,
        authorization: `Bearer ${oauth}`,
      });
      await res.text();
    }
    await waitFor(() => records.length === 2);
    // Two users of one ccp token: their plans are told apart in the ledger by the label alone.
    assert.deepEqual(records.map((r) => r.keyLabel), [
      "client credential (…AAAA)",
      "client credential (…BBBB)",
    ]);
    assert.deepEqual(records.map((r) => r.attempts[0]?.keyLabel), [
      "client credential (…AAAA)",
      "client credential (…BBBB)",
    ]);
    const stored = JSON.stringify(records) + ccp.logs.join("");
    for (const oauth of users) {
      assert.ok(!stored.includes(oauth.slice(0, 30)), "the credential was kept");
    }
    assert.ok(!stored.includes(TOKEN), "ccp's token was kept");
  } finally {
    await ccp.close();
    await plan.close();
  }
});

Deno.test("a passthrough upstream that quotes the client's credential back: the quote goes nowhere", async () => {
  // Not shaped like any known key: only knowing the credential itself can scrub it.
  const CREDENTIAL = "corp-gateway-credential-0123456789-QRST";
  const plan = startUpstream(() =>
    Response.json({
      type: "error",
      error: { type: "authentication_error", message: `credential ${CREDENTIAL} is revoked` },
    }, { status: 401 })
  );
  const fallback = startUpstream(() =>
    Response.json({ error: { message: "down" } }, { status: 500 })
  );
  const records: Readonly<RequestRecord>[] = [];
  const ccp = startCcp(
    testConfig({
      providers: [
        providerOf("anthropic", plan.url, "", { id: "claude", apiKeys: [], auth: "passthrough" }),
        providerOf("openai", fallback.url, PROVIDER_KEY, { id: "zai", maxRetries: 0 }),
      ],
      routes: { default: ["claude/m", "zai/m"] },
      authToken: TOKEN,
    }),
    { observers: [{ ended: (record) => records.push(structuredClone(record)) }] },
  );
  try {
    const texts: string[] = [];
    for (const stream of [false, true]) {
      const res = await postMessages(ccp.url, messageBody({ stream }), {
        authorization: `Bearer ${TOKEN}`,
        "x-api-key": CREDENTIAL,
      });
      texts.push(JSON.stringify([...res.headers]), await res.text());
    }
    await waitFor(() => records.length === 2);
    texts.push(JSON.stringify(records), ...ccp.logs);
    texts.push(
      await (await fetch(`${ccp.url}/health`, { headers: { "x-api-key": TOKEN } })).text(),
    );
    for (const text of texts) assert.ok(!text.includes("credential-0123456789"), `leaked: ${text}`);
    for (const seen of fallback.seen) {
      assert.ok(!JSON.stringify([...seen.headers]).includes("credential-0123456789"));
    }
  } finally {
    await ccp.close();
    await plan.close();
    await fallback.close();
  }
});

Deno.test("two users of one ccp token: one user's plan limit never skips the other's plan", async () => {
  const SPENT = "sk-ant-oat01-spent-user-0123456789-AAAA";
  const FRESH = "sk-ant-oat01-fresh-user-0123456789-BBBB";
  const plan = startUpstream((seen) =>
    seen.headers.get("authorization") === `Bearer ${SPENT}`
      ? Response.json({
        type: "error",
        error: { type: "rate_limit_error", message: "limit" },
      }, {
        status: 429,
        headers: {
          "anthropic-ratelimit-unified-status": "rejected",
          "anthropic-ratelimit-unified-reset": String(Math.floor(Date.now() / 1000) + 3600),
        },
      })
      : sse([...anthropicHead(), ...anthropicTail()])
  );
  const fallback = startUpstream(() => sse([...anthropicHead(), ...anthropicTail()]));
  const ccp = startCcp(testConfig({
    providers: [
      providerOf("anthropic", plan.url, "", { id: "claude", apiKeys: [], auth: "passthrough" }),
      providerOf("anthropic", fallback.url, PROVIDER_KEY, { id: "keyed" }),
    ],
    routes: { default: ["claude/m", "keyed/m"] },
    authToken: TOKEN,
  }));
  const send = async (oauth: string) => {
    // ccp's shared token in x-api-key, each user's own login as the bearer.
    const res = await postMessages(ccp.url, messageBody({ stream: true }), {
      "x-api-key": TOKEN,
      authorization: `Bearer ${oauth}`,
    });
    await res.text();
    return res.headers.get("x-ccp-provider");
  };
  try {
    assert.equal(await send(SPENT), "keyed");
    assert.equal(await send(SPENT), "keyed");
    assert.equal(plan.seen.length, 1, "the spent plan was asked again");
    // The other user's plan is asked and serves: the hold is that user's credential's alone.
    assert.equal(await send(FRESH), "claude");
    assert.equal(await send(FRESH), "claude");
    assert.equal(plan.seen.length, 3);
    for (const seen of fallback.seen) {
      assert.ok(!JSON.stringify([...seen.headers]).includes("sk-ant-oat01"), "a login leaked");
    }
  } finally {
    await ccp.close();
    await plan.close();
    await fallback.close();
  }
});

async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(done(), "timed out");
}
