/**
 * /ui/events to a client that stops reading: the server does not queue events for it without
 * bound; past a backlog it ends the stream (a browser's EventSource reconnects and refreshes).
 */

import assert from "node:assert/strict";
import { Hono } from "hono";
import { RecentRequests } from "../../src/observe/recent.ts";
import type { RequestRecord } from "../../src/pipeline/record.ts";
import type { AppEnv, ServerDeps } from "../../src/server/deps.ts";
import { addUiRoutes, UiSessions } from "../../src/server/routes/ui.ts";
import { servedRecord } from "../helpers/records.ts";

function record(i: number): RequestRecord {
  return servedRecord({
    id: `req_${i}`,
    clientModel: "claude-sonnet-4-5",
    route: "default",
    provider: "anth",
    usage: { inputTokens: 5, outputTokens: 1 },
    durationMs: 4,
  });
}

Deno.test("/ui/events: a client that never reads is cut off after a bounded backlog", async () => {
  const app = new Hono<AppEnv>();
  const recent = new RecentRequests();
  const deps = { metrics: { inflight: 0 } } as unknown as ServerDeps;
  addUiRoutes(app, deps, recent, new UiSessions());
  const res = await app.request("/ui/events");
  assert.equal(res.status, 200);
  for (let i = 0; i < 20_000; i++) recent.ended(record(i));
  // Nothing was read while the events arrived; what is left must be bounded and must end.
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let ended = false;
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((r) => (timer = setTimeout(() => r("quiet"), 200)));
    const next = await Promise.race([reader.read(), quiet]);
    clearTimeout(timer);
    if (next === "quiet") break;
    if (next.done) {
      ended = true;
      break;
    }
    text += decoder.decode(next.value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  const events = text.split("event: request").length - 1;
  assert.ok(ended, `the stream stayed open with ${events} request events queued`);
  assert.ok(events < 5_000, `${events} request events were queued for a client that read none`);
});
