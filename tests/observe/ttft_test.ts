/**
 * Time to first token is the time until the first answer content reaches the client, for
 * streamed answers only: not `message_start` (which an upstream may send before it has read the
 * prompt), and not a JSON answer's whole body (which would blend answer times into the figure).
 */

import assert from "node:assert/strict";
import { postMessages, startCcp } from "../helpers/ccp.ts";
import { provider, testConfig } from "../helpers/config.ts";
import { LATE_MS, startBehaviourUpstream } from "../mocks/behaviour_upstream.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";

async function withRecords(
  run: (
    send: (model: string, stream: boolean, text?: string) => Promise<RequestRecord>,
  ) => Promise<void>,
): Promise<void> {
  const upstream = startBehaviourUpstream();
  const records: RequestRecord[] = [];
  const ccp = startCcp(
    testConfig({
      providers: [
        provider("oa", { type: "openai", baseUrl: `${upstream.url}/oa/v1`, apiKeys: ["k-oa"] }),
        provider("an", { baseUrl: `${upstream.url}/an`, apiKeys: ["k-an"] }),
      ],
      routes: { default: "an/claude-x", sonnet: "oa/ok", late: "an/late", haiku: "oa/late" },
    }),
    { observers: [{ ended: (r) => records.push(structuredClone(r)) }] },
  );
  try {
    await run(async (model, stream, text = "Say hello") => {
      const res = await postMessages(ccp.url, {
        model,
        max_tokens: 100,
        stream,
        messages: [{ role: "user", content: text }],
      });
      assert.equal(res.status, 200);
      await res.text();
      const id = res.headers.get("request-id");
      for (let i = 0; i < 100 && !records.some((r) => r.id === id); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      return records.find((r) => r.id === id)!;
    });
  } finally {
    await ccp.close();
    await upstream.close();
  }
}

Deno.test("ttft: a JSON answer has none, passthrough or translated, local or not", async () => {
  await withRecords(async (send) => {
    assert.equal((await send("claude-opus-4-5", false)).ttftMs, undefined);
    assert.equal((await send("sonnet", false)).ttftMs, undefined);
    assert.equal((await send("sonnet", false, "Warmup")).route, "local");
    assert.equal((await send("sonnet", false, "Warmup")).ttftMs, undefined);
    const local = await send("sonnet", true, "Warmup");
    assert.ok(local.ttftMs !== undefined && local.ttftMs <= local.durationMs);
  });
});

Deno.test("ttft: a stream's first token is its first content, not message_start", async () => {
  await withRecords(async (send) => {
    for (const model of ["late", "claude-haiku-4-5"]) { // passthrough, translated
      const r = await send(model, true);
      assert.ok(r.ttftMs !== undefined, model);
      assert.ok(r.ttftMs >= LATE_MS - 5, `${model}: first token at ${r.ttftMs} ms`);
      assert.ok(r.ttftMs <= r.durationMs);
    }
    // The quickest of three, so that one stall of a loaded machine is not read as ccp's wait.
    const quick: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { ttftMs } = await send("sonnet", true);
      assert.ok(ttftMs !== undefined);
      quick.push(ttftMs);
    }
    assert.ok(Math.min(...quick) < LATE_MS, `quick first tokens at ${quick.join(", ")} ms`);
  });
});
