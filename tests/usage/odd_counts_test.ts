/**
 * An upstream's usage numbers are its own: a fractional count, or one no model could reach (a
 * server that sends a garbage or overflowed number), must not stop the ledger. Before, the store
 * refused the whole batch, and every later record waited in memory for a write that never went
 * through, until the records were lost at stop.
 */

import assert from "node:assert/strict";
import { createLogger } from "../../src/core/log.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import type { UsageTotals } from "../../src/upstream/transport.ts";
import { Ledger } from "../../src/usage/ledger.ts";
import { openKvStore } from "../../src/usage/kv_store.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { startServer } from "../../src/cli/serve.ts";
import { testContext } from "../cli/helpers.ts";
import { textTurn } from "../mocks/anthropic_fixtures.ts";
import { startAnthropicMock } from "../mocks/anthropic_mock.ts";
import { servedRecord } from "../helpers/records.ts";
import { postMessages } from "../helpers/ccp.ts";

function record(id: string, usage: UsageTotals): RequestRecord {
  return servedRecord({ id, usage });
}

Deno.test("ledger: odd counts from an upstream are written, and the records after them too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ccp_odd_counts_" });
  const warnings: string[] = [];
  const log = createLogger({ level: "warn", write: (l) => void warnings.push(l), colour: false });
  const config = testConfig({
    providers: [provider("up", { modelSettings: { m: { price: { input: 15, output: 75 } } } })],
    routes: { default: "up/m" },
  });
  const store = await openKvStore(`${dir}/usage.kv`, { retentionMs: 0 });
  const ledger = new Ledger(store, () => config, log);
  try {
    ledger.ended(record("req_fraction", { inputTokens: 10.5, outputTokens: 2.25 }));
    ledger.ended(record("req_huge", { inputTokens: 1e15, outputTokens: 1e20 }));
    ledger.ended(record("req_plain", { inputTokens: 100, outputTokens: 10 }));
    await ledger.flush();
    assert.equal(ledger.pending, 0, warnings.join("\n"));
    assert.deepEqual(warnings, []);
    const rows = await store.grouped(0, "provider");
    const up = rows.get("up");
    assert.equal(up?.requests, 3);
    assert.ok(Number.isInteger(up.inputTokens) && up.inputTokens >= 100 + 10, `${up.inputTokens}`);
    assert.ok(Number.isSafeInteger(up.costNanoUsd), `${up.costNanoUsd}`);
  } finally {
    await ledger.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ledger: a session header too long to be a session, or a wide model name, stops nothing", async () => {
  const mock = startAnthropicMock([{ kind: "stream", events: textTurn("m", 3) }]);
  const dir = await Deno.makeTempDir({ prefix: "ccp_long_session_" });
  const token = "ccp-long-session-test";
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      `server: { auth_token: ${token}, data_dir: ${dir}/data, log_format: json }
providers:
  up: { type: anthropic, base_url: "${mock.url}", api_key: sk-up-0123456789 }
routes:
  default: up/m
`,
    );
    const ctx = testContext(dir);
    const server = await startServer({ ctx, flags: { config: "c.yaml", port: 0 } });
    try {
      const send = async (session: string, model = "claude-sonnet-4-5") => {
        const res = await postMessages(server.url, {
          model,
          max_tokens: 50,
          stream: true,
          messages: [{ role: "user", content: "hello" }],
        }, { "x-api-key": token, "x-claude-code-session-id": session });
        assert.match(await res.text(), /event: message_stop/);
        return res.headers.get("request-id");
      };
      // Deno KV refuses a key over 2 KiB: a session's totals are keyed by its id.
      const long = await send("s".repeat(3000));
      // A model name within the 1024 characters a client may send, but 3 KiB in UTF-8: the
      // ledger's hourly sums are keyed by it.
      const wide = `up/${"\u30e2".repeat(1000)}`;
      await send("sess-wide", wide);
      await send("sess-after");
      const res = await fetch(`${server.url}/v1/ccp/usage?since=1h&by=model`, {
        headers: { "x-api-key": token },
      });
      const report = await res.json();
      assert.equal(report.total.requests, 3, ctx.io.stderr.join("\n"));
      const wideRow = report.rows.find((r: { key: string }) => r.key.startsWith("up/\u30e2"));
      assert.ok(wideRow, JSON.stringify(report.rows.map((r: { key: string }) => r.key)));
      const session = await fetch(`${server.url}/v1/ccp/usage/session/sess-wide`, {
        headers: { "x-api-key": token },
      });
      assert.equal((await session.json()).latest.model.slice(0, 3), "\u30e2".repeat(3));
      // The status line of a session id no record can hold: nothing recorded, not a 503.
      const none = await fetch(`${server.url}/v1/ccp/usage/session/${"s".repeat(3000)}`, {
        headers: { "x-api-key": token },
      });
      assert.equal(none.status, 200);
      assert.equal((await none.json()).totals.requests, 0);
      // One write may hold several lines: those of one turn go out together.
      const lines = ctx.io.stderr.join("\n").split("\n").map((l) => JSON.parse(l));
      const line = lines.find((l) => l.request_id === long);
      assert.ok(line, "the request has its log line");
      assert.equal(line.session_hash, undefined, "no session: the header is no session id");
      assert.ok(lines.some((l) => typeof l.session_hash === "string"), "a real session is kept");
      assert.ok(!lines.some((l) => /cannot write/.test(l.msg)), ctx.io.stderr.join("\n"));
    } finally {
      await server.stop();
    }
  } finally {
    await mock.close();
    await Deno.remove(dir, { recursive: true });
  }
});
