/** The status page's latest requests keep a long chain's passed targets as x-ccp-passed does. */

import assert from "node:assert/strict";
import { RecentRequests } from "../../src/observe/recent.ts";
import { servedRecord } from "../helpers/records.ts";

Deno.test("a request that passed 40 targets keeps the first ones whole and counts the rest", () => {
  const recent = new RecentRequests();
  const passed = Array.from(
    { length: 40 },
    (_, i) =>
      `overloaded-provider-number-${i}/some-long-model-name-${i} (not sent: key cooling down ` +
      `after 429, usable again in 28s)`,
  );
  recent.ended(servedRecord({ id: "req_1", passed }));
  const text = recent.latest()[0]!.passed ?? "";
  assert.ok(text.length <= 2048, `${text.length} characters`);
  assert.ok(text.startsWith(`${passed[0]}, ${passed[1]}, `));
  const more = /, and (\d+) more \(named in the log line\)$/.exec(text);
  assert.ok(more, text.slice(-80));
  const kept = text.slice(0, -more[0].length).split(", overloaded-").length;
  assert.equal(kept + Number(more[1]), 40);
  // A short list stays whole.
  recent.ended(servedRecord({ id: "req_2", passed: passed.slice(0, 2) }));
  assert.equal(recent.latest()[0]!.passed, `${passed[0]}, ${passed[1]}`);
});
