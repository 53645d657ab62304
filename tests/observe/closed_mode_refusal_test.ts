/**
 * With `shared.on_unavailable: closed` and an engine away, every Messages request is refused
 * with 503: an outage an operator must see where requests are counted, not only as an engine
 * gauge. Each refusal is a request like any other: a log line with its id, `/metrics`, and the
 * ledger's observers.
 */

import assert from "node:assert/strict";
import { startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { type SharedEngine, SharedMonitor } from "../../src/shared/monitor.ts";
import { silentLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

const TOKEN = "ccp-closed-mode-test";

Deno.test("closed mode: a refused Messages request is logged, counted in /metrics and recorded", async () => {
  const engine: SharedEngine = {
    name: "redis",
    description: "Redis at test",
    ping: () => Promise.resolve(false),
  };
  const shared = new SharedMonitor([engine], "closed", silentLogger);
  await shared.check();
  const records: RequestRecord[] = [];
  const ccp = startCcp(
    testConfig({
      providers: [provider("up", { baseUrl: "http://127.0.0.1:9" })],
      routes: { default: "up/m" },
      authToken: TOKEN,
    }),
    { shared, observers: [{ ended: (r) => void records.push(r) }] },
  );
  try {
    const headers = { "x-api-key": TOKEN, "content-type": "application/json" };
    const res = await fetch(`${ccp.url}/v1/messages`, {
      method: "POST",
      headers: { ...headers, "x-claude-code-session-id": "sess-closed" },
      body: JSON.stringify({
        model: "claude-sonnet-4-5",
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    const body = await res.json();
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "5");
    assert.equal(res.headers.get("x-ccp-route"), "none");
    assert.match(body.error.message, /shared\.redis\) is unreachable/);
    const id = res.headers.get("request-id");
    assert.ok(id, "the refusal has a request id");

    assert.equal(records.length, 1, "one record for the refused request");
    assert.deepEqual(
      [records[0]!.id, records[0]!.status, records[0]!.outcome, records[0]!.route],
      [id, 503, "error", "none"],
    );
    assert.ok(ccp.logs.some((line) => line.includes("503") && line.includes("/v1/messages")));

    const metrics = await (await fetch(`${ccp.url}/metrics`, { headers })).text();
    assert.match(
      metrics,
      /^ccp_requests_total\{route="none",provider="none",model="none",status="503"\} 1$/m,
    );
    assert.match(metrics, /^ccp_inflight_requests 0$/m);

    // Not a Messages request: refused as before, with no record.
    const count = await fetch(`${ccp.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers,
      body: JSON.stringify({ model: "claude-sonnet-4-5", messages: [] }),
    });
    await count.body?.cancel();
    assert.equal(count.status, 503);
    assert.ok(count.headers.get("request-id"), "an API answer has a request id");
    assert.equal(records.length, 1);
  } finally {
    await ccp.close();
    shared.stop();
  }
});
